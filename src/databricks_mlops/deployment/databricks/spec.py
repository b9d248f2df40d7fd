"""From ``ServingConfig`` to Model Serving request objects, and from endpoints to ``Endpoint``.

Pure translation, no calls: what the Databricks backend sends and how it reads answers.

Mapping choices (Model Serving has no instance types or replicas, only workload sizes and
provisioned concurrency):

- ``instance_type`` naming a workload size (``Small``/``Medium``/``Large``) is used as is;
  naming a workload type (``GPU_MEDIUM``, ``CPU_LARGE`` ...) sets the workload type; anything
  else (a VM type such as ``Standard_DS3_v2``) has no Model Serving meaning and is ignored,
  the size then comes from ``compute_scale`` (1 Small, 2 Medium, 3+ Large).
- ``compute_type: gpu`` means ``GPU_SMALL`` unless ``instance_type`` names a GPU type.
- ``autoscaling_enabled`` sends ``min/max_provisioned_concurrency`` instead of a workload size
  (the API takes one or the other): one replica = 4 concurrent requests, the unit in which
  Model Serving provisions concurrency.
- ``timeout_seconds`` is not sent: Model Serving has a fixed request timeout; clients use it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from databricks_mlops.config.deployment import endpoint_name_for
from databricks_mlops.deployment.endpoint import Endpoint, EndpointState, ServedVersion
from databricks_mlops.deployment.errors import DeploymentError

if TYPE_CHECKING:
    from databricks.sdk.service.serving import (
        AiGatewayConfig,
        EndpointTag,
        ServedEntityInput,
        ServedEntityOutput,
        ServingEndpoint,
        ServingEndpointDetailed,
        TrafficConfig,
    )

    from databricks_mlops.config.deployment import DeploymentConfig, ServingConfig

# Where the endpoint remembers the version it served before the last rollout (for rollback).
PREVIOUS_MODEL_TAG = "mlops.previous_model"
PREVIOUS_VERSION_TAG = "mlops.previous_version"

CONCURRENCY_PER_REPLICA = 4
_SIZES = {"small": "Small", "medium": "Medium", "large": "Large"}


def served_entity_name(model_name: str, version: str) -> str:
    """``<last part of the model name>-<version>``: unique per version within an endpoint."""
    suffix = f"-{version}"
    return endpoint_name_for(model_name, 63 - len(suffix)) + suffix


def workload(serving: ServingConfig) -> tuple[str, str]:
    """(workload size, workload type) for a served entity."""
    from databricks.sdk.service.serving import ServingModelWorkloadType

    types = set(ServingModelWorkloadType.__members__)
    hint = (serving.instance_type or "").strip()
    size = _SIZES.get(hint.lower())
    if size is None:
        size = ["Small", "Medium", "Large"][min(serving.compute_scale, 3) - 1]
    kind = hint.upper() if hint.upper() in types else None
    if kind is None or (serving.compute_type == "gpu") != kind.startswith(("GPU", "MULTIGPU")):
        kind = "GPU_SMALL" if serving.compute_type == "gpu" else "CPU"
    return size, kind


def served_entity_input(serving: ServingConfig, model_name: str, version: str) -> ServedEntityInput:
    from databricks.sdk.service.serving import ServedEntityInput, ServingModelWorkloadType

    size, kind = workload(serving)
    entity = ServedEntityInput(
        name=served_entity_name(model_name, version),
        entity_name=model_name,
        entity_version=version,
        workload_type=ServingModelWorkloadType(kind),
        scale_to_zero_enabled=serving.scale_to_zero_enabled,
        environment_vars=dict(serving.environment_variables) or None,
    )
    if serving.autoscaling_enabled:
        entity.min_provisioned_concurrency = serving.min_instances * CONCURRENCY_PER_REPLICA
        entity.max_provisioned_concurrency = serving.max_instances * CONCURRENCY_PER_REPLICA
    else:
        entity.workload_size = size
    return entity


def entity_input_from_output(entity: ServedEntityOutput) -> ServedEntityInput:
    """The input that recreates a served entity as it serves now (for restoring it)."""
    from databricks.sdk.service.serving import ServedEntityInput

    wanted = set(ServedEntityInput.__dataclass_fields__)
    return ServedEntityInput.from_dict(
        {key: value for key, value in entity.as_dict().items() if key in wanted}
    )


def same_settings(desired: ServedEntityInput, current: ServedEntityOutput) -> bool:
    """Whether ``current`` already serves as ``desired`` asks.

    Only fields we set are compared: the service fills others in (a workload size shows up
    with its provisioned concurrency range), which must not look like a change.
    """
    have = current.as_dict()
    for key, value in desired.as_dict().items():
        if key == "environment_vars":
            if value != (have.get(key) or {}):
                return False
        elif have.get(key) != value:
            return False
    return not (desired.environment_vars is None and have.get("environment_vars"))


def traffic(routes: dict[str, int]) -> TrafficConfig:
    from databricks.sdk.service.serving import Route, TrafficConfig

    # served_model_name is the route key every API version accepts (served entities included).
    return TrafficConfig(
        routes=[
            Route(served_model_name=name, traffic_percentage=percent)
            for name, percent in routes.items()
        ]
    )


def endpoint_tags(config: DeploymentConfig, extra: dict[str, str] | None = None) -> dict[str, str]:
    serving_tags = config.serving.tags if config.serving is not None else {}
    return {**config.tags, **serving_tags, "environment": config.environment, **(extra or {})}


def tag_list(tags: dict[str, str]) -> list[EndpointTag]:
    from databricks.sdk.service.serving import EndpointTag

    return [EndpointTag(key=key, value=value) for key, value in tags.items()]


def inference_table(model_name: str, endpoint_name: str) -> AiGatewayConfig:
    """AI Gateway inference table beside the model: ``<catalog>.<schema>.<endpoint>_payload``."""
    from databricks.sdk.service.serving import AiGatewayConfig, AiGatewayInferenceTableConfig

    parts = model_name.split(".")
    if len(parts) != 3 or not all(parts):
        raise DeploymentError(
            f"inference_log needs a Unity Catalog model name catalog.schema.model to place "
            f"the inference table, got {model_name!r}: register the model in Unity Catalog "
            f"or set serving.inference_log: false"
        )
    return AiGatewayConfig(
        inference_table_config=AiGatewayInferenceTableConfig(
            catalog_name=parts[0],
            schema_name=parts[1],
            table_name_prefix=re.sub(r"[^A-Za-z0-9_]", "_", endpoint_name),
            enabled=True,
        )
    )


def routes_of(endpoint: ServingEndpointDetailed) -> dict[str, int]:
    """Served entity name -> percent of traffic, as the endpoint routes now."""
    config = endpoint.config
    if config is None:
        return {}
    routes = {}
    for route in (config.traffic_config.routes or []) if config.traffic_config else []:
        name = route.served_entity_name or route.served_model_name
        if name:
            routes[name] = route.traffic_percentage
    entities = config.served_entities or []
    if not routes and len(entities) == 1 and entities[0].name:
        routes[entities[0].name] = 100
    return routes


def state_of(endpoint: ServingEndpoint | ServingEndpointDetailed) -> EndpointState:
    state = endpoint.state
    update = state.config_update.value if state and state.config_update else None
    ready = state.ready.value if state and state.ready else None
    if update == "IN_PROGRESS":
        return "UPDATING"
    if ready == "READY":
        # A failed update leaves the previous config serving: the endpoint still answers.
        return "READY"
    if update in ("UPDATE_FAILED", "UPDATE_CANCELED"):
        return "FAILED"
    return "NOT_READY"


def invocations_url(host: str, name: str) -> str:
    return f"{host.rstrip('/')}/serving-endpoints/{name}/invocations"


def to_endpoint(
    endpoint: ServingEndpoint | ServingEndpointDetailed,
    host: str,
    routes: dict[str, int] | None = None,
) -> Endpoint:
    """``routes`` (entity name -> percent) defaults to the detailed endpoint's traffic config."""
    from databricks.sdk.service.serving import ServingEndpointDetailed

    if routes is None:
        routes = routes_of(endpoint) if isinstance(endpoint, ServingEndpointDetailed) else {}
    entities: list[Any] = list(endpoint.config.served_entities or []) if endpoint.config else []
    served = [
        ServedVersion(
            model_name=entity.entity_name or "",
            version=str(entity.entity_version),
            traffic_percent=routes.get(entity.name or "", 0),
        )
        for entity in entities
        if entity.entity_version is not None
    ]
    name = endpoint.name or ""
    return Endpoint(
        name=name,
        url=invocations_url(host, name),
        state=state_of(endpoint),
        backend="databricks",
        served=served,
    )


def tags_of(endpoint: ServingEndpoint | ServingEndpointDetailed) -> dict[str, str]:
    return {tag.key: tag.value or "" for tag in endpoint.tags or []}
