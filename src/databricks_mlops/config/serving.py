"""Serving client config: which workspace, how to authenticate, how to retry."""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field, model_validator

from databricks_mlops.config.base import CaseInsensitiveEnum, EnvSecret, EnvStr, StrictModel


class AuthType(CaseInsensitiveEnum):
    TOKEN = "token"  # personal access token or any bearer token
    OAUTH_M2M = "oauth_m2m"  # service principal client id + secret
    AZURE_SP = "azure_sp"  # Microsoft Entra ID service principal: client id + secret + tenant
    DATABRICKS_CLI = "databricks_cli"  # the CLI's `databricks auth login` cache (optional profile)
    PROFILE = "profile"  # whatever auth a profile in ~/.databrickscfg configures
    # databricks-sdk's default chain: DATABRICKS_* variables, a cluster's or notebook's
    # own credentials, then the DEFAULT profile (what jobs running on Databricks use).
    DEFAULT = "default"
    NONE = "none"  # local scoring server on 127.0.0.1


class AuthConfig(StrictModel):
    auth_type: AuthType = Field(validation_alias=AliasChoices("auth_type", "type"))
    token: EnvSecret | None = None
    client_id: EnvStr | None = None
    client_secret: EnvSecret | None = None
    tenant_id: EnvStr | None = Field(None, description="Entra ID tenant (auth_type azure_sp).")
    profile: str | None = None

    @model_validator(mode="after")
    def _credentials_for_type(self) -> AuthConfig:
        if self.auth_type is AuthType.TOKEN and not (self.token and self.token.get_secret_value()):
            raise ValueError("auth_type 'token' needs token")
        if self.auth_type is AuthType.OAUTH_M2M and not (self.client_id and self.client_secret):
            raise ValueError("auth_type 'oauth_m2m' needs client_id and client_secret")
        if self.auth_type is AuthType.AZURE_SP and not (
            self.client_id and self.client_secret and self.tenant_id
        ):
            raise ValueError("auth_type 'azure_sp' needs client_id, client_secret and tenant_id")
        if self.auth_type is AuthType.PROFILE and not self.profile:
            raise ValueError("auth_type 'profile' needs profile (a section of ~/.databrickscfg)")
        return self


class RetryConfig(StrictModel):
    max_retries: int = Field(3, ge=0)
    backoff_factor: float = Field(0.5, ge=0)
    timeout_seconds: float = Field(30, gt=0)
    retry_on_status: list[int] = Field(default_factory=lambda: [429, 500, 502, 503, 504])
    max_backoff_seconds: float = Field(
        30, ge=0, description="Cap on one wait between attempts, Retry-After included."
    )


class ClientConfig(StrictModel):
    workspace_url: EnvStr = Field(pattern=r"^https?://", description="Workspace or server URL.")
    auth: AuthConfig
    retry_config: RetryConfig = Field(default_factory=RetryConfig)
    batch_size: int = Field(1000, ge=1, description="Rows per request when predicting in batches.")
    max_connections: int = Field(10, ge=1, description="Size of the HTTP connection pool.")
    max_concurrency: int = Field(
        4, ge=1, description="Batches in flight at once (at most max_connections)."
    )
    backend: Literal["auto", "databricks", "local"] = Field(
        "auto",
        description=(
            "auto: a loopback workspace_url (127.0.0.1, localhost) means local scoring "
            "servers, anything else Databricks Model Serving."
        ),
    )
    log_payloads: bool = Field(
        False, description="Also log request and response bodies (debug level)."
    )
