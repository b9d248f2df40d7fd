"""Serving client config: which workspace, how to authenticate, how to retry."""

from __future__ import annotations

from pydantic import AliasChoices, Field, model_validator

from databricks_mlops.models.base import CaseInsensitiveEnum, EnvSecret, EnvStr, StrictModel


class AuthType(CaseInsensitiveEnum):
    TOKEN = "token"  # personal access token or any bearer token
    OAUTH_M2M = "oauth_m2m"  # service principal client id + secret
    DATABRICKS_CLI = "databricks_cli"  # a profile in ~/.databrickscfg
    NONE = "none"  # local scoring server on 127.0.0.1


class AuthConfig(StrictModel):
    auth_type: AuthType = Field(validation_alias=AliasChoices("auth_type", "type"))
    token: EnvSecret | None = None
    client_id: EnvStr | None = None
    client_secret: EnvSecret | None = None
    profile: str | None = None

    @model_validator(mode="after")
    def _credentials_for_type(self) -> AuthConfig:
        if self.auth_type is AuthType.TOKEN and not (self.token and self.token.get_secret_value()):
            raise ValueError("auth_type 'token' needs token")
        if self.auth_type is AuthType.OAUTH_M2M and not (self.client_id and self.client_secret):
            raise ValueError("auth_type 'oauth_m2m' needs client_id and client_secret")
        return self


class RetryConfig(StrictModel):
    max_retries: int = Field(3, ge=0)
    backoff_factor: float = Field(0.5, ge=0)
    timeout_seconds: float = Field(30, gt=0)
    retry_on_status: list[int] = Field(default_factory=lambda: [429, 500, 502, 503, 504])


class ClientConfig(StrictModel):
    workspace_url: EnvStr = Field(pattern=r"^https?://", description="Workspace or server URL.")
    auth: AuthConfig
    retry_config: RetryConfig = Field(default_factory=RetryConfig)
    batch_size: int = Field(1000, ge=1, description="Rows per request when predicting in batches.")
    max_connections: int = Field(10, ge=1, description="Size of the HTTP connection pool.")
