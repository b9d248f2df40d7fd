"""Databricks Model Serving backend of ``ModelDeployer``, through ``WorkspaceClient.serving_endpoints``.

- Missing endpoint: created with the model version as its only served entity (workload,
  scale-to-zero, concurrency, environment variables, tags, AI Gateway inference table).
- Present endpoint: blue/green through ``update_config`` (``databricks.rollout``). The new
  version is served beside the current one and takes ``rollout.traffic_steps`` percent of
  the traffic in turn (10 -> 50 -> 100), each step waited for (the endpoint leaves
  IN_PROGRESS; UPDATE_FAILED / UPDATE_CANCELED fail) and smoke-tested on the new served
  entity itself. The old entity is removed once the new one has taken 100%. Any failure
  puts 100% of the traffic back on the old entity alone and raises ``DeploymentError``
  naming the step and the cause. The same version already taking 100% is a no-op.
- The version served before a rollout is kept in endpoint tags so ``rollback`` knows it.

Access control: Model Serving endpoints always have an ACL (creator and admins manage them).
``enable_access_control: true`` (the default) keeps it that way; ``false`` opens the endpoint
to every workspace user (``users`` group, CAN_QUERY). Finer grants belong in the bundle's
permissions. Route optimization is not set: it changes the URL and needs OAuth tokens.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from databricks_mlops.deployment.databricks.calls import (
    DEFAULT_WAIT,
    ServingCalls,
    served_entities,
    update_state,
)
from databricks_mlops.deployment.databricks.rollout import Rollout
from databricks_mlops.deployment.databricks.spec import (
    PREVIOUS_MODEL_TAG,
    PREVIOUS_VERSION_TAG,
    entity_input_from_output,
    routes_of,
    served_entity_name,
    tags_of,
    to_endpoint,
)
from databricks_mlops.deployment.endpoint import Endpoint
from databricks_mlops.deployment.errors import DeploymentError, require_serving
from databricks_mlops.errors import did_you_mean

if TYPE_CHECKING:
    import pandas as pd
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.service.serving import ServingEndpointDetailed

    from databricks_mlops.config.deployment import DeploymentConfig

__all__ = ["DatabricksServingBackend", "DeploymentError"]


class DatabricksServingBackend:
    """Deploys registered (Unity Catalog) model versions to Model Serving endpoints."""

    def __init__(self, client: WorkspaceClient, *, poll_interval_seconds: float = 10.0) -> None:
        self._client = client
        self._calls = ServingCalls(client, poll_interval_seconds)

    @property
    def _host(self) -> str:
        return str(self._client.config.host or "")

    # -- public interface -------------------------------------------------------------------

    def deploy(
        self,
        config: DeploymentConfig,
        model_name: str,
        version: str,
        smoke_rows: pd.DataFrame | None = None,
    ) -> Endpoint:
        serving = require_serving(config)
        version = str(version)
        name = serving.endpoint_name
        rollout = Rollout(self._calls, config, serving, model_name, version, smoke_rows)
        current = self._find(name)
        if current is None:
            return rollout.create()
        return rollout.update(current)

    def get(self, name: str) -> Endpoint | None:
        endpoint = self._find(name)
        return None if endpoint is None else to_endpoint(endpoint, self._host)

    def list(self) -> list[Endpoint]:
        try:
            summaries = list(self._client.serving_endpoints.list())
        except Exception as exc:
            raise DeploymentError(
                f"Failed to list serving endpoints on {self._host}: {exc}"
            ) from exc
        endpoints = []
        for summary in summaries:
            entities = (summary.config.served_entities or []) if summary.config else []
            if len(entities) > 1:
                # The list answer has no traffic split; only a split endpoint needs it fetched.
                detailed = self._find(summary.name or "")
                if detailed is not None:
                    endpoints.append(to_endpoint(detailed, self._host))
                continue
            routes = {entities[0].name or "": 100} if entities else {}
            endpoints.append(to_endpoint(summary, self._host, routes))
        return endpoints

    def stop(self, name: str) -> None:
        """Delete the endpoint (Model Serving has no stopped state for custom models)."""
        from databricks.sdk.errors import NotFound

        try:
            self._client.serving_endpoints.delete(name)
        except NotFound as exc:
            known = [endpoint.name for endpoint in self.list()]
            raise DeploymentError(
                f"No serving endpoint {name!r} on {self._host} to stop{did_you_mean(name, known)}"
            ) from exc
        except Exception as exc:
            raise DeploymentError(
                f"Failed to delete serving endpoint {name!r} on {self._host}: {exc}"
            ) from exc

    def rollback(self, name: str) -> Endpoint:
        """All traffic back on the version served before the last rollout."""
        current = self._find(name)
        if current is None:
            raise DeploymentError(f"No serving endpoint {name!r} on {self._host} to roll back")
        tags = tags_of(current)
        model, version = tags.get(PREVIOUS_MODEL_TAG), tags.get(PREVIOUS_VERSION_TAG)
        if not model or not version:
            raise DeploymentError(
                f"Endpoint {name!r} records no previous version (tags {PREVIOUS_MODEL_TAG}, "
                f"{PREVIOUS_VERSION_TAG}): it has served one version only, nothing to roll back to"
            )
        if update_state(current) == "IN_PROGRESS":
            current = self._calls.wait_not_updating(name, DEFAULT_WAIT, "before the rollback")
        entities = served_entities(current)
        if not entities:
            raise DeploymentError(f"Endpoint {name!r} serves nothing: deploy a version instead")
        routes = routes_of(current)
        serving_now = max(entities, key=lambda entity: routes.get(entity.name or "", 0))
        target = next(
            (e for e in entities if e.entity_name == model and str(e.entity_version) == version),
            None,
        )
        if target is not None:
            restored = entity_input_from_output(target)
        else:
            # Recreate the previous version with the compute settings serving now.
            restored = entity_input_from_output(serving_now)
            restored.name = served_entity_name(model, version)
            restored.entity_name, restored.entity_version = model, version
        assert restored.name is not None
        endpoint = self._calls.apply(name, [restored], {restored.name: 100}, "rollback")
        self._calls.set_tags(
            name,
            {
                PREVIOUS_MODEL_TAG: serving_now.entity_name or "",
                PREVIOUS_VERSION_TAG: str(serving_now.entity_version),
            },
        )
        return to_endpoint(endpoint, self._host)

    def _find(self, name: str) -> ServingEndpointDetailed | None:
        return self._calls.find(name)
