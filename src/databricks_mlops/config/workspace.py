"""Which Databricks workspace to talk to; no host means the embedded local backends."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from databricks_mlops.config.base import EnvSecret, EnvStr, StrictModel


class WorkspaceConfig(StrictModel):
    host: EnvStr | None = Field(None, description="https://<workspace>; empty means local.")
    token: EnvSecret | None = None
    profile: str | None = Field(None, description="Profile in ~/.databrickscfg.")
    client_id: EnvStr | None = None
    client_secret: EnvSecret | None = None

    @field_validator("host", mode="after")
    @classmethod
    def _https(cls, host: str | None) -> str | None:
        if not host:
            return None
        host = host.rstrip("/")
        local = host.startswith(("http://127.0.0.1", "http://localhost"))
        if not host.startswith("https://") and not local:
            raise ValueError(f"host {host!r} must start with https://")
        return host

    @property
    def is_local(self) -> bool:
        return self.host is None and self.profile is None

    def sdk_kwargs(self) -> dict[str, Any]:
        """Arguments for ``databricks.sdk.WorkspaceClient`` (secrets revealed only here)."""
        kwargs: dict[str, Any] = {"host": self.host, "profile": self.profile}
        if self.token is not None:
            kwargs["token"] = self.token.get_secret_value()
        if self.client_id is not None:
            kwargs["client_id"] = self.client_id
        if self.client_secret is not None:
            kwargs["client_secret"] = self.client_secret.get_secret_value()
        return {key: value for key, value in kwargs.items() if value is not None}
