"""``ModelDeployer``: one interface, two serving backends, chosen once.

* **local** (no workspace configured and the local runtime): MLflow scoring servers on
  127.0.0.1, see :mod:`databricks_mlops.deployment.local_serving`;
* **Databricks** otherwise: Model Serving endpoints through ``databricks-sdk``
  (``WorkspaceConfig.sdk_kwargs()``, or the SDK's default auth on a cluster).

``deploy_model(config)`` resolves the configured version in the MLflow registry (numbers,
``latest``, ``@alias``, the documented stage names), takes the smoke rows from the model's
logged input example when ``serving.rollout.smoke_test`` is on, and hands both to the
backend, which rolls the version out blue/green and returns the :class:`Endpoint`.

``deployment_type: batch`` has no endpoint: such a config is scored by the
batch_inference job (``mlops-score``), and ``deploy_model`` refuses it with that advice
rather than pretend an endpoint exists.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Literal, Protocol

from databricks_mlops.deployment.errors import DeploymentError, require_serving
from databricks_mlops.deployment.smoke import smoke_rows
from databricks_mlops.deployment.versions import resolve_model_version

if TYPE_CHECKING:
    import pandas as pd

    from databricks_mlops.config.deployment import DeploymentConfig
    from databricks_mlops.config.workspace import WorkspaceConfig
    from databricks_mlops.deployment.endpoint import Endpoint

logger = logging.getLogger(__name__)

BackendKind = Literal["local", "databricks"]


class ServingBackend(Protocol):
    """What every backend offers (local scoring servers, Databricks Model Serving)."""

    def deploy(
        self,
        config: DeploymentConfig,
        model_name: str,
        version: str,
        smoke_rows: pd.DataFrame | None = None,
    ) -> Endpoint: ...

    def get(self, name: str) -> Endpoint | None: ...

    def list(self) -> list[Endpoint]: ...

    def stop(self, name: str) -> None: ...

    def rollback(self, name: str) -> Endpoint: ...


class ModelDeployer:
    """Deploy registered model versions to serving endpoints (blue/green)."""

    def __init__(
        self,
        workspace: WorkspaceConfig | None = None,
        *,
        backend: ServingBackend | None = None,
    ) -> None:
        from databricks_mlops.runtime import get_runtime

        self.runtime = get_runtime()
        self.kind: BackendKind
        if backend is not None:
            self.backend = backend
            self.kind = "local" if _is_local_backend(backend) else "databricks"
        elif (workspace is None or workspace.is_local) and self.runtime.is_local:
            from databricks_mlops.deployment.local_serving import LocalServingBackend

            self.backend = LocalServingBackend(self.runtime.home)
            self.kind = "local"
        else:
            self.backend = _databricks_backend(workspace)
            self.kind = "databricks"
        logger.info("deployment backend: %s", self.kind)

    def deploy_model(self, config: DeploymentConfig) -> Endpoint:
        """Put the configured version behind ``config.serving.endpoint_name``."""
        serving = require_serving(config)
        self.runtime.configure_mlflow()
        resolved = resolve_model_version(config)
        smoke = serving.rollout.smoke_test
        rows = smoke_rows(resolved.model_uri, smoke.rows) if smoke.enabled else None
        logger.info(
            "deploying %s to %s (%s, environment %s)",
            resolved.model_uri,
            serving.endpoint_name,
            self.kind,
            config.environment,
        )
        return self.backend.deploy(config, resolved.model_name, resolved.version, rows)

    def get(self, name: str) -> Endpoint | None:
        self.runtime.configure_mlflow()
        return self.backend.get(name)

    def list(self) -> list[Endpoint]:
        self.runtime.configure_mlflow()
        return self.backend.list()

    def stop(self, name: str) -> None:
        """Stop (locally) or delete (Databricks) the endpoint."""
        self.runtime.configure_mlflow()
        self.backend.stop(name)

    def rollback(self, name: str) -> Endpoint:
        """Serve the version the endpoint served before its last rollout again, and move
        ``@champion`` back with it when it still names the version rolled back from."""
        self.runtime.configure_mlflow()
        before = self.backend.get(name)
        endpoint = self.backend.rollback(name)
        if before is not None:
            _realign_champion(before, endpoint)
        return endpoint


def _realign_champion(before: Endpoint, after: Endpoint) -> None:
    from databricks_mlops.deployment.promotion import restore_champion

    old, new = before.main_served, after.main_served
    if old is None or new is None or old.model_name != new.model_name:
        return  # nothing served, or rolled back to another model (not this alias's)
    if old.version == new.version:
        return
    try:
        moved = restore_champion(new.model_name, old.version, new.version)
    except Exception as exc:  # MLflow raises its own and requests' errors
        raise DeploymentError(
            f"{after.name} was rolled back to {new.model_name} version {new.version}, but "
            f"moving @champion from version {old.version} failed: {exc}. Set the alias by "
            "hand, or batch scoring keeps using the rolled-back version"
        ) from exc
    if moved:
        logger.info(
            "@champion of %s moved back from version %s to %s",
            new.model_name,
            old.version,
            new.version,
        )


def _is_local_backend(backend: ServingBackend) -> bool:
    from databricks_mlops.deployment.local_serving import LocalServingBackend

    return isinstance(backend, LocalServingBackend)


def _databricks_backend(workspace: WorkspaceConfig | None) -> ServingBackend:
    # Imported here: the SDK is heavy and only the Databricks path needs it.
    from databricks.sdk import WorkspaceClient

    from databricks_mlops.deployment.databricks.serving import DatabricksServingBackend

    try:
        client = WorkspaceClient(**(workspace.sdk_kwargs() if workspace is not None else {}))
    except ValueError as exc:  # the SDK's "cannot configure default credentials"
        where = workspace.host if workspace is not None and workspace.host else "default auth"
        raise DeploymentError(
            f"Failed to configure the Databricks workspace client ({where}): {exc}; set "
            "host and token (or a profile) in WorkspaceConfig, or DATABRICKS_HOST/TOKEN"
        ) from exc
    backend: ServingBackend = DatabricksServingBackend(client)
    return backend
