"""The Model Serving calls the Databricks backend makes, each wrapped in ``DeploymentError``,
and the explicit wait for a config update (named target and failure states, timeout)."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import TYPE_CHECKING

from databricks_mlops.deployment.databricks.spec import tag_list, traffic
from databricks_mlops.deployment.errors import DeploymentError, SmokeTestError

if TYPE_CHECKING:
    from collections.abc import Sequence

    import pandas as pd
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.service.serving import (
        AiGatewayInferenceTableConfig,
        ServedEntityInput,
        ServedEntityOutput,
        ServingEndpointDetailed,
    )

TARGET_STATE = "NOT_UPDATING"
FAILURE_STATES = ("UPDATE_FAILED", "UPDATE_CANCELED")
# rollback() has no rollout config: wait as long as RolloutConfig's default.
DEFAULT_WAIT = timedelta(seconds=1200)


class ServingCalls:
    """``WorkspaceClient.serving_endpoints`` for one backend: polls every
    ``poll_interval_seconds``, doubling up to 4x (a capped backoff)."""

    def __init__(self, client: WorkspaceClient, poll_interval_seconds: float) -> None:
        self.client = client
        self.poll = poll_interval_seconds

    @property
    def host(self) -> str:
        return str(self.client.config.host or "")

    def find(self, name: str) -> ServingEndpointDetailed | None:
        from databricks.sdk.errors import NotFound

        try:
            return self.client.serving_endpoints.get(name)
        except NotFound:
            return None
        except Exception as exc:
            raise DeploymentError(
                f"Failed to read serving endpoint {name!r} on {self.host}: {exc}"
            ) from exc

    def apply(
        self,
        name: str,
        entities: Sequence[ServedEntityInput],
        routes: dict[str, int],
        step: str,
        timeout: timedelta = DEFAULT_WAIT,
    ) -> ServingEndpointDetailed:
        """``update_config`` and wait until the endpoint serves it."""
        try:
            self.client.serving_endpoints.update_config(
                name, served_entities=list(entities), traffic_config=traffic(routes)
            )
        except Exception as exc:
            raise DeploymentError(
                f"Failed to update serving endpoint {name!r} ({step}): {exc}"
            ) from exc
        return self.wait_not_updating(name, timeout, step)

    def wait_not_updating(
        self, name: str, timeout: timedelta, step: str
    ) -> ServingEndpointDetailed:
        """Poll until the config update leaves IN_PROGRESS.

        Not the SDK's ``wait_get_serving_endpoint_not_updating``: it sleeps at least a
        second per poll, this one follows ``poll_interval_seconds`` (tests poll in ms).
        """
        deadline = time.monotonic() + timeout.total_seconds()
        delay = self.poll
        while True:
            endpoint = self.find(name)
            if endpoint is None:
                raise DeploymentError(
                    f"Serving endpoint {name!r} disappeared while waiting for it ({step})"
                )
            update = update_state(endpoint)
            if update == TARGET_STATE:
                return endpoint
            if update in FAILURE_STATES:
                raise DeploymentError(
                    f"Serving endpoint {name!r} {update} ({step}){_entity_messages(endpoint)}; "
                    f"build logs: serving_endpoints.build_logs({name!r}, <served entity>)"
                )
            if time.monotonic() + delay > deadline:
                raise DeploymentError(
                    f"Serving endpoint {name!r} still {update} after {timeout} ({step}): "
                    f"raise rollout.wait_timeout_seconds or check the endpoint's events"
                )
            time.sleep(delay)
            delay = min(delay * 2, self.poll * 4)

    def set_tags(self, name: str, tags: dict[str, str]) -> None:
        try:
            self.client.serving_endpoints.patch(name, add_tags=tag_list(tags))
        except Exception as exc:
            raise DeploymentError(f"Failed to tag serving endpoint {name!r}: {exc}") from exc

    def put_inference_table(self, name: str, table: AiGatewayInferenceTableConfig) -> None:
        try:
            self.client.serving_endpoints.put_ai_gateway(name, inference_table_config=table)
        except Exception as exc:
            raise DeploymentError(
                f"Failed to turn on the inference table of serving endpoint {name!r}: {exc}"
            ) from exc

    def grant_all_users_query(self, name: str, endpoint_id: str) -> None:
        from databricks.sdk.service.serving import (
            ServingEndpointAccessControlRequest,
            ServingEndpointPermissionLevel,
        )

        try:
            self.client.serving_endpoints.update_permissions(
                endpoint_id,
                access_control_list=[
                    ServingEndpointAccessControlRequest(
                        group_name="users",
                        permission_level=ServingEndpointPermissionLevel.CAN_QUERY,
                    )
                ],
            )
        except Exception as exc:
            raise DeploymentError(
                f"Failed to open endpoint {name!r} to all users "
                f"(enable_access_control: false): {exc}"
            ) from exc

    def smoke_test(
        self, name: str, served: str, rows: pd.DataFrame, max_latency_ms: float | None, step: str
    ) -> None:
        """POST the rows to one served entity (not the endpoint: the split would dilute it)."""
        from databricks.sdk.errors.base import DatabricksError

        from databricks_mlops.deployment.smoke import dataframe_split_payload

        path = f"/serving-endpoints/{name}/served-models/{served}/invocations"
        headers = {"Accept": "application/json", "Content-Type": "application/json"}
        if self.client.config.workspace_id:  # as the SDK's own serving calls do
            headers["X-Databricks-Workspace-Id"] = str(self.client.config.workspace_id)
        started = time.perf_counter()
        try:
            answer = self.client.api_client.do(
                "POST", path, body=dataframe_split_payload(rows), headers=headers
            )
        except DatabricksError as exc:
            raise SmokeTestError(f"smoke test ({step}) POST {path} failed: {exc}") from exc
        latency_ms = (time.perf_counter() - started) * 1000
        count = _prediction_count(answer)
        if count != len(rows):
            answered = "no" if count is None else str(count)
            raise SmokeTestError(
                f"smoke test ({step}) {path} answered {answered} predictions for {len(rows)} rows"
            )
        if max_latency_ms is not None and latency_ms > max_latency_ms:
            raise SmokeTestError(
                f"smoke test ({step}) {path} took {latency_ms:.0f} ms, above "
                f"rollout.smoke_test.max_latency_ms={max_latency_ms:g}"
            )


def update_state(endpoint: ServingEndpointDetailed) -> str:
    state = endpoint.state.config_update if endpoint.state else None
    return state.value if state is not None else TARGET_STATE


def served_entities(endpoint: ServingEndpointDetailed) -> list[ServedEntityOutput]:
    return list(endpoint.config.served_entities or []) if endpoint.config else []


def _prediction_count(answer: object) -> int | None:
    """Rows answered: ``predictions`` is a list (one per row) or columns of equal lists."""
    predictions = answer.get("predictions") if isinstance(answer, dict) else None
    if isinstance(predictions, list):
        return len(predictions)
    if isinstance(predictions, dict) and predictions:
        column = next(iter(predictions.values()))
        return len(column) if isinstance(column, list) else None
    return None


def _entity_messages(endpoint: ServingEndpointDetailed) -> str:
    """State messages of served entities that are not ready (why an update failed)."""
    messages = []
    for config in (endpoint.pending_config, endpoint.config):
        for entity in (config.served_entities or []) if config else []:
            state = entity.state
            if state and state.deployment and state.deployment.value != "DEPLOYMENT_READY":
                detail = state.deployment_state_message or ""
                messages.append(f"{entity.name}: {state.deployment.value} {detail}".strip())
    return (": " + "; ".join(messages)) if messages else ""
