"""Deployment config: which model version goes where, and the serving endpoint's shape."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import AliasChoices, Field, model_validator

from databricks_mlops.config.base import StrictModel


class SmokeTestConfig(StrictModel):
    """Requests sent to a new version before (and while) it takes traffic."""

    enabled: bool = True
    rows: int = Field(3, ge=1, description="Rows of the model's input example sent per check.")
    max_latency_ms: float | None = Field(
        None, gt=0, description="Fail the check when a request takes longer than this."
    )


class RolloutConfig(StrictModel):
    """Blue/green: the new version serves beside the old, traffic moves in steps."""

    traffic_steps: list[int] = Field(
        default_factory=lambda: [10, 50, 100],
        description="Percent of traffic on the new version at each step; ends at 100.",
    )
    smoke_test: SmokeTestConfig = Field(default_factory=SmokeTestConfig)
    wait_timeout_seconds: int = Field(
        1200, gt=0, description="Longest wait for an endpoint update to become ready."
    )

    @model_validator(mode="after")
    def _steps(self) -> RolloutConfig:
        steps = self.traffic_steps
        if not steps or steps[-1] != 100:
            raise ValueError(f"traffic_steps {steps} must end at 100")
        if any(not 0 < step <= 100 for step in steps) or steps != sorted(set(steps)):
            raise ValueError(f"traffic_steps {steps} must rise strictly within 1..100")
        return self


class ServingConfig(StrictModel):
    """A Model Serving endpoint (locally: the MLflow scoring server on 127.0.0.1)."""

    endpoint_name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$")
    instance_type: str | None = Field(None, description="Workload size or instance type hint.")
    compute_type: Literal["cpu", "gpu"] = "cpu"
    compute_scale: int = Field(1, ge=1, description="Compute size/scale.")
    min_instances: int = Field(
        1, ge=0, validation_alias=AliasChoices("min_instances", "min_replicas")
    )
    max_instances: int = Field(
        1, ge=1, validation_alias=AliasChoices("max_instances", "max_replicas")
    )
    autoscaling_enabled: bool = False
    scale_to_zero_enabled: bool = False
    enable_access_control: bool = True
    timeout_seconds: int = Field(300, gt=0)
    environment_variables: dict[str, str] = Field(default_factory=dict)
    tags: dict[str, str] = Field(default_factory=dict)
    inference_log: bool = Field(
        False, description="Keep requests and responses in an AI Gateway inference table."
    )
    rollout: RolloutConfig = Field(default_factory=RolloutConfig)

    @model_validator(mode="after")
    def _replicas(self) -> ServingConfig:
        if self.min_instances > self.max_instances:
            raise ValueError(
                f"min_replicas ({self.min_instances}) is above max_replicas ({self.max_instances})"
            )
        return self


# Keys the documented YAML reference writes at the top level of a deployment config; they all
# describe the endpoint, so they are read into `serving` (one meaning, two spellings).
_SERVING_KEYS = {
    name
    for field_name, info in ServingConfig.model_fields.items()
    for name in [
        field_name,
        *(info.validation_alias.choices if isinstance(info.validation_alias, AliasChoices) else []),
    ]
    if isinstance(name, str) and name != "tags"
}


class DeploymentConfig(StrictModel):
    model_name: str = Field(description="Registered model name.")
    model_version: str | None = Field(
        None, description="Version number, an alias (`@champion`) or `latest`."
    )
    model_uri: str | None = Field(
        None, description="`models:/name/version` or `models:/name@alias`."
    )
    environment: str = Field("dev", description="dev, staging or prod.")
    deployment_type: Literal["serving_endpoint", "batch"] = "serving_endpoint"
    description: str = ""
    serving: ServingConfig | None = None
    tags: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _lift_flat_serving_keys(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        flat = {key: data[key] for key in data if key in _SERVING_KEYS}
        serving = data.get("serving")
        endpoint = data.get("deployment_type", "serving_endpoint") == "serving_endpoint"
        if not flat and (serving is not None or not endpoint):
            return data
        if isinstance(serving, ServingConfig):
            serving = serving.model_dump()
        serving = dict(serving or {})
        both = sorted(set(flat) & set(serving))
        if both:
            raise ValueError(f"{both} set both at the top level and under serving: keep one")
        rest = {key: value for key, value in data.items() if key not in flat}
        merged = {**serving, **flat}
        # An endpoint needs a name; derive a valid one from the model name.
        if "endpoint_name" not in merged and isinstance(data.get("model_name"), str):
            merged["endpoint_name"] = endpoint_name_for(data["model_name"])
        return {**rest, "serving": merged}

    @model_validator(mode="after")
    def _consistent(self) -> DeploymentConfig:
        if self.model_version is None and self.model_uri is None:
            raise ValueError("give model_version (or model_uri) to say which version to deploy")
        return self


def endpoint_name_for(model_name: str, max_length: int = 63) -> str:
    """A valid endpoint (or served entity) name from a possibly three-level model name."""
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", model_name.split(".")[-1]).strip("-_")
    return (name or "model")[:max_length]


class BatchInferenceConfig(StrictModel):
    """Score a table with a registered model and keep every prediction in a log table."""

    model_name: str = Field(description="Registered model name.")
    model_alias: str = Field("champion", description="Alias scored (champion by default).")
    input_table: str = Field(description="Rows to score (raw columns, as the model takes them).")
    output_table: str = Field(
        description="Inference log: inputs' keys, predictions, model version."
    )
    key_columns: list[str] = Field(min_length=1, description="Identify a scored row.")
    timestamp_column: str | None = Field(None, description="Event time kept in the log.")
    keep_columns: list[str] = Field(
        default_factory=list, description="Input columns copied to the log (for monitoring)."
    )
