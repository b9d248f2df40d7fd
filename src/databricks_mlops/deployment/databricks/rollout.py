"""One deploy to Model Serving: create the endpoint, or roll a new version out blue/green.

Blue/green: the new version is served beside the current one (``update_config`` with both
entities) and takes ``rollout.traffic_steps`` percent of the traffic in turn, each step
waited for and smoke-tested on the new entity; then the old entity is removed. Any failure
sends 100% of the traffic back to the old entity alone, then raises ``DeploymentError``
naming the step and the cause.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import TYPE_CHECKING, NoReturn

from databricks_mlops.deployment.databricks.calls import (
    ServingCalls,
    served_entities,
    update_state,
)
from databricks_mlops.deployment.databricks.spec import (
    PREVIOUS_MODEL_TAG,
    PREVIOUS_VERSION_TAG,
    endpoint_tags,
    entity_input_from_output,
    inference_table,
    routes_of,
    same_settings,
    served_entity_input,
    tag_list,
    tags_of,
    to_endpoint,
    traffic,
)
from databricks_mlops.deployment.errors import DeploymentError

if TYPE_CHECKING:
    import pandas as pd
    from databricks.sdk.service.serving import (
        ServedEntityInput,
        ServedEntityOutput,
        ServingEndpointDetailed,
    )

    from databricks_mlops.config.deployment import DeploymentConfig, ServingConfig
    from databricks_mlops.deployment.endpoint import Endpoint


class Rollout:
    """Deploys ``model_name`` v``version`` to ``serving.endpoint_name``."""

    def __init__(
        self,
        calls: ServingCalls,
        config: DeploymentConfig,
        serving: ServingConfig,
        model_name: str,
        version: str,
        smoke_rows: pd.DataFrame | None,
    ) -> None:
        self.calls = calls
        self.config = config
        self.serving = serving
        self.name = serving.endpoint_name
        self.model_name = model_name
        self.version = version
        self.new = served_entity_input(serving, model_name, version)
        self.new_name = self.new.name or ""
        # Checked before any call: a bad model name must not fail after the rollout.
        self.gateway = inference_table(model_name, self.name) if serving.inference_log else None
        smoke = serving.rollout.smoke_test
        enabled = smoke.enabled and smoke_rows is not None and len(smoke_rows) > 0
        self.rows = smoke_rows.head(smoke.rows) if enabled and smoke_rows is not None else None
        self.max_latency_ms = smoke.max_latency_ms
        self.timeout = timedelta(seconds=serving.rollout.wait_timeout_seconds)

    def create(self) -> Endpoint:
        from databricks.sdk.service.serving import EndpointCoreConfigInput

        calls, name = self.calls, self.name
        try:
            calls.client.serving_endpoints.create(
                name,
                config=EndpointCoreConfigInput(
                    name=name,
                    served_entities=[self.new],
                    traffic_config=traffic({self.new_name: 100}),
                ),
                ai_gateway=self.gateway,
                tags=tag_list(endpoint_tags(self.config)),
                description=self.config.description or None,
            )
        except Exception as exc:
            raise DeploymentError(
                f"Failed to create serving endpoint {name!r} for {self.model_name} "
                f"v{self.version}: {exc}"
            ) from exc
        try:
            endpoint = calls.wait_not_updating(name, self.timeout, "create")
            self._smoke("create")
        except DeploymentError as exc:
            # Nothing served before: no traffic to restore. The endpoint stays for its logs.
            raise DeploymentError(
                f"Deploying {self.model_name} v{self.version} to new endpoint {name!r} failed: "
                f"{exc} (fix the model, then deploy again or stop the endpoint)"
            ) from exc
        self._grant(endpoint)
        return to_endpoint(endpoint, calls.host)

    def update(self, current: ServingEndpointDetailed) -> Endpoint:
        if update_state(current) == "IN_PROGRESS":  # someone else's update: let it end
            current = self.calls.wait_not_updating(self.name, self.timeout, "before the rollout")
        entities, routes = served_entities(current), routes_of(current)
        same = next((e for e in entities if e.name == self.new_name), None)
        others = [e for e in entities if e.name != self.new_name]
        complete = same is not None and routes.get(self.new_name) == 100
        if complete and not others and same is not None:
            if same_settings(self.new, same):
                return to_endpoint(current, self.calls.host)
            # Same version, new compute settings: Model Serving swaps it without downtime.
            endpoint = self._step("settings update", [self.new], {self.new_name: 100}, same)
            return self._finish(endpoint, previous=None)
        if not others:
            # An endpoint whose creation failed serves nothing: nothing to keep or restore.
            endpoint = self._step("first version", [self.new], {self.new_name: 100}, None)
            return self._finish(endpoint, previous=None)
        old = max(others, key=lambda entity: routes.get(entity.name or "", 0))
        old_input = entity_input_from_output(old)
        old_name = old_input.name or ""
        # Already at 100% beside an idle old entity (an interrupted rollout): only remove it.
        steps = [] if complete else self.serving.rollout.traffic_steps
        for percent in steps:
            self._step(
                f"{percent}% traffic",
                [old_input, self.new],
                {old_name: 100 - percent, self.new_name: percent},
                old,
            )
        endpoint = self._step("old version removed", [self.new], {self.new_name: 100}, old)
        return self._finish(endpoint, previous=old)

    def _step(
        self,
        step: str,
        entities: list[ServedEntityInput],
        routes: dict[str, int],
        restore: ServedEntityOutput | None,
    ) -> ServingEndpointDetailed:
        try:
            endpoint = self.calls.apply(self.name, entities, routes, step, self.timeout)
            self._smoke(step)
            return endpoint
        except DeploymentError as exc:
            self._restore(restore, step, exc)

    def _restore(
        self, old: ServedEntityOutput | None, step: str, cause: DeploymentError
    ) -> NoReturn:
        calls, name = self.calls, self.name
        what = f"{self.model_name} v{self.version} to endpoint {name!r} failed at step '{step}'"
        if old is None:
            raise DeploymentError(f"Deploying {what}: {cause}") from cause
        old_input = entity_input_from_output(old)
        # A timed-out update may still be running (the endpoint refuses changes until it
        # ends); a failed one left the old config serving. Either way, restore after.
        with contextlib.suppress(DeploymentError):
            calls.wait_not_updating(name, self.timeout, "before restoring traffic")
        try:
            restore = {old_input.name or "": 100}
            calls.apply(name, [old_input], restore, "restore old version", self.timeout)
        except DeploymentError as exc:
            raise DeploymentError(
                f"Deploying {what}: {cause}; restoring 100% traffic to {old.entity_name} "
                f"v{old.entity_version} ALSO failed: {exc}. Fix the endpoint by hand."
            ) from cause
        raise DeploymentError(
            f"Deploying {what}: {cause}; traffic is back at 100% on "
            f"{old.entity_name} v{old.entity_version}"
        ) from cause

    def _smoke(self, step: str) -> None:
        if self.rows is not None:
            self.calls.smoke_test(self.name, self.new_name, self.rows, self.max_latency_ms, step)

    def _finish(
        self, endpoint: ServingEndpointDetailed, previous: ServedEntityOutput | None
    ) -> Endpoint:
        """Tags (and the previous version, for rollback), inference table, grants."""
        calls, name = self.calls, self.name
        extra = {}
        if previous is not None:
            extra = {
                PREVIOUS_MODEL_TAG: previous.entity_name or "",
                PREVIOUS_VERSION_TAG: str(previous.entity_version),
            }
        wanted = endpoint_tags(self.config, extra)
        if any(tags_of(endpoint).get(key) != value for key, value in wanted.items()):
            calls.set_tags(name, wanted)
        table = endpoint.ai_gateway.inference_table_config if endpoint.ai_gateway else None
        gateway_table = self.gateway.inference_table_config if self.gateway else None
        if gateway_table is not None and not (table and table.enabled):
            calls.put_inference_table(name, gateway_table)
        self._grant(endpoint)
        return to_endpoint(calls.find(name) or endpoint, calls.host)

    def _grant(self, endpoint: ServingEndpointDetailed) -> None:
        if not self.serving.enable_access_control and endpoint.id is not None:
            self.calls.grant_all_users_query(self.name, endpoint.id)
