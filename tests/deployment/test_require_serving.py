"""One refusal for "this config has no endpoint", and one "main served version"."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from databricks_mlops.config.deployment import DeploymentConfig, ServingConfig
from databricks_mlops.deployment import ModelDeployer
from databricks_mlops.deployment.endpoint import Endpoint, ServedVersion
from databricks_mlops.deployment.errors import (
    DeploymentError,
    NoServingEndpointError,
    require_serving,
)
from databricks_mlops.deployment.local_serving import LocalServingBackend
from databricks_mlops.tasks.deployment import run_smoke_test

REFUSAL = (
    r"^churn has deployment_type batch: there is no serving endpoint to deploy or test; "
    r"batch models are scored by the batch_inference job \(mlops-score\), or set "
    r"deployment_type: serving_endpoint in the deployment config$"
)


def _batch(**extra: object) -> DeploymentConfig:
    return DeploymentConfig.model_validate(
        {"model_name": "churn", "model_version": "1", "deployment_type": "batch", **extra}
    )


def test_require_serving_returns_the_section() -> None:
    config = DeploymentConfig(model_name="main.s.churn", model_version="1")
    serving = require_serving(config)
    assert isinstance(serving, ServingConfig)
    assert serving.endpoint_name == "churn"


@pytest.mark.parametrize("extra", [{}, {"serving": {"endpoint_name": "churn-ep"}}])
def test_require_serving_refuses_batch_even_with_a_serving_section(
    extra: dict[str, object],
) -> None:
    with pytest.raises(NoServingEndpointError, match=REFUSAL) as caught:
        require_serving(_batch(**extra))
    assert isinstance(caught.value, DeploymentError)
    assert caught.value.deterministic  # a retry would be refused the same way


def _deployer(config: DeploymentConfig, home: Path) -> object:
    return ModelDeployer().deploy_model(config)


def _local_backend(config: DeploymentConfig, home: Path) -> object:
    return LocalServingBackend(home).deploy(config, "churn", "1")


def _smoke(config: DeploymentConfig, home: Path) -> object:
    return run_smoke_test(config)


@pytest.mark.parametrize(
    "call", [_deployer, _local_backend, _smoke], ids=["deployer", "local-backend", "smoke-test"]
)
@pytest.mark.parametrize("extra", [{}, {"serving": {"endpoint_name": "churn-ep"}}])
def test_every_caller_refuses_batch_the_same_way(
    call: Callable[[DeploymentConfig, Path], object], extra: dict[str, object], tmp_path: Path
) -> None:
    # Before: three wordings (and the local backend and smoke test accepted a batch config
    # that carried a serving section).
    with pytest.raises(NoServingEndpointError, match=REFUSAL):
        call(_batch(**extra), tmp_path)


def _endpoint(*served: tuple[str, str, int]) -> Endpoint:
    return Endpoint(
        name="churn",
        url="http://127.0.0.1:1/invocations",
        state="READY",
        backend="local",
        served=[ServedVersion(model_name=m, version=v, traffic_percent=t) for m, v, t in served],
    )


def test_main_served_is_the_version_with_most_traffic() -> None:
    endpoint = _endpoint(("old", "1", 10), ("churn", "2", 90))
    assert endpoint.main_served == ServedVersion(
        model_name="churn", version="2", traffic_percent=90
    )
    assert _endpoint().main_served is None
