"""Where an endpoint name is answered, and with which credentials.

* Databricks: ``POST {workspace_url}/serving-endpoints/{name}/invocations`` with the
  headers databricks-sdk's ``Config.authenticate()`` gives (PAT, OAuth M2M, Azure SP,
  a profile); the ``Config`` is built once, on the first request, because building it
  already talks to the workspace (host metadata discovery, OAuth endpoints).
* Local: the endpoint registry under ``MLOPS_HOME`` (written by the local deployer) maps
  the name to a scoring server on 127.0.0.1; a name that is not registered is sent to
  ``{workspace_url}/invocations``, i.e. the URL is the scoring server itself.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from databricks_mlops.config.serving import AuthType, ClientConfig
from databricks_mlops.serving_client.errors import ServingAuthError

if TYPE_CHECKING:
    from databricks.sdk.config import Config

    from databricks_mlops.runtime.endpoint_registry import (
        LocalEndpointEntry,
        LocalEndpointRegistry,
    )

logger = logging.getLogger("databricks_mlops.serving_client")

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True)
class Target:
    """The resolved URL of one endpoint and the model version it serves (when known)."""

    url: str
    version: str | None = None
    local: bool = False


def is_local(config: ClientConfig) -> bool:
    if config.backend != "auto":
        return config.backend == "local"
    return (urlsplit(config.workspace_url).hostname or "") in LOOPBACK_HOSTS


class EndpointResolver:
    """Endpoint name -> :class:`Target`, cheap enough to call before every request.

    Locally the registry file is re-read only when it changed (its stat differs), so a
    blue/green switch by the deployer is seen by the next request."""

    def __init__(self, config: ClientConfig) -> None:
        self.base_url = config.workspace_url.rstrip("/")
        self.local = is_local(config)
        self._lock = threading.Lock()
        self._stamp: tuple[str, int, int, int] | None = None
        self._entries: dict[str, LocalEndpointEntry] = {}
        self._registry: LocalEndpointRegistry | None = None
        self._home_key: str | None = None

    def resolve(self, endpoint_name: str) -> Target:
        if not self.local:
            name = quote(endpoint_name, safe="")
            return Target(f"{self.base_url}/serving-endpoints/{name}/invocations")
        entry = self._local_entries().get(endpoint_name)
        if entry is None:
            return Target(f"{self.base_url}/invocations", local=True)
        return Target(f"{entry.url.rstrip('/')}/invocations", version=entry.version, local=True)

    def _local_entries(self) -> dict[str, LocalEndpointEntry]:
        from databricks_mlops.runtime import mlops_home
        from databricks_mlops.runtime.endpoint_registry import LocalEndpointRegistry

        # mlops_home() resolves a path (pathlib + realpath, ~100 us): once per MLOPS_HOME
        # value (or working directory, which the default home depends on).
        home_key = os.environ.get("MLOPS_HOME") or os.getcwd()
        if self._registry is None or home_key != self._home_key:
            self._registry = LocalEndpointRegistry(mlops_home())
            self._home_key = home_key
        registry = self._registry
        path = str(registry.path)
        try:
            stat = os.stat(path)
        except FileNotFoundError:
            return {}
        stamp = (path, stat.st_ino, stat.st_mtime_ns, stat.st_size)
        with self._lock:
            if stamp != self._stamp:
                self._entries = {entry.name: entry for entry in registry.list()}
                self._stamp = stamp
            return self._entries


class AuthHeaders:
    """Authentication headers for Databricks requests (none for local servers)."""

    def __init__(self, config: ClientConfig, local: bool) -> None:
        self._config = config
        self._enabled = not local and config.auth.auth_type is not AuthType.NONE
        self._sdk_config: Config | None = None
        self._lock = threading.Lock()

    def headers(self) -> dict[str, str]:
        if not self._enabled:
            return {}
        sdk_config = self._sdk_config or self._build()
        try:
            # The SDK caches and refreshes OAuth tokens itself; a PAT is a constant header.
            return dict(sdk_config.authenticate())
        except Exception as exc:  # the SDK raises ValueError / requests / its own errors
            raise ServingAuthError(
                f"Failed to get credentials for {self._config.workspace_url} "
                f"(auth_type {self._config.auth.auth_type.value}): {exc}"
            ) from exc

    def _build(self) -> Config:
        with self._lock:
            if self._sdk_config is None:
                from databricks.sdk.config import Config

                try:
                    self._sdk_config = Config(**sdk_config_kwargs(self._config))
                except ValueError as exc:
                    raise ServingAuthError(
                        f"Failed to configure databricks-sdk auth for "
                        f"{self._config.workspace_url} (auth_type "
                        f"{self._config.auth.auth_type.value}): {exc}. Check the credentials "
                        "in the client's auth block"
                    ) from exc
            return self._sdk_config


_SDK_AUTH_TYPES = {
    AuthType.TOKEN: "pat",
    AuthType.OAUTH_M2M: "oauth-m2m",
    AuthType.AZURE_SP: "azure-client-secret",
    AuthType.DATABRICKS_CLI: "databricks-cli",
}


def sdk_config_kwargs(config: ClientConfig) -> dict[str, Any]:
    """Arguments for ``databricks.sdk.config.Config`` (secrets are revealed only here).

    The auth type is pinned so stray ``DATABRICKS_*`` variables cannot switch the method;
    a ``profile`` auth type leaves the choice to the profile. The SDK's own retry budget
    (5 minutes by default) is bounded by the client's timeout."""
    auth = config.auth
    timeout = max(1, round(config.retry_config.timeout_seconds))
    kwargs: dict[str, Any] = {
        "host": config.workspace_url.rstrip("/"),
        "retry_timeout_seconds": timeout,
        "http_timeout_seconds": timeout,
    }
    if auth.auth_type in _SDK_AUTH_TYPES:
        kwargs["auth_type"] = _SDK_AUTH_TYPES[auth.auth_type]
    if auth.profile:
        kwargs["profile"] = auth.profile
    if auth.auth_type is AuthType.TOKEN and auth.token is not None:
        kwargs["token"] = auth.token.get_secret_value()
    elif auth.auth_type is AuthType.OAUTH_M2M:
        kwargs["client_id"] = auth.client_id
        kwargs["client_secret"] = auth.client_secret and auth.client_secret.get_secret_value()
    elif auth.auth_type is AuthType.AZURE_SP:
        kwargs["azure_client_id"] = auth.client_id
        kwargs["azure_client_secret"] = auth.client_secret and auth.client_secret.get_secret_value()
        kwargs["azure_tenant_id"] = auth.tenant_id
    return kwargs
