"""Promotion on the local MLflow registry (sqlite), through the real MLflow client."""

from __future__ import annotations

import uuid

import pytest
from mlflow import MlflowClient
from tests.deployment.serving_workspace_stub import ServingWorkspaceStub

from databricks_mlops.config.deployment import DeploymentConfig
from databricks_mlops.deployment import DeploymentError, ModelDeployer
from databricks_mlops.deployment.batch import BatchInferenceError
from databricks_mlops.deployment.databricks.serving import DatabricksServingBackend
from databricks_mlops.deployment.promotion import (
    PREVIOUS_CHAMPION_TAG,
    ROLLED_BACK_TAG,
    PromotionError,
    promote_challenger,
)
from databricks_mlops.runtime import Runtime


@pytest.fixture
def model(runtime: Runtime) -> str:
    runtime.configure_mlflow()
    name = f"main.promotion.m_{uuid.uuid4().hex[:8]}"
    MlflowClient().create_registered_model(name)
    return name


def add_version(name: str, verdict: str | None) -> str:
    client = MlflowClient()
    version = client.create_model_version(name, source="file:///tmp/not-used-by-promotion")
    if verdict is not None:
        client.set_model_version_tag(name, version.version, "gate.verdict", verdict)
        client.set_model_version_tag(name, version.version, "gate.reason", f"gates {verdict}")
    client.set_registered_model_alias(name, "challenger", version.version)
    return str(version.version)


def test_promotes_a_passed_challenger_and_remembers_the_previous_champion(model: str) -> None:
    first = add_version(model, "passed")
    assert promote_challenger(model).champion_version == first
    second = add_version(model, "passed")
    promoted = promote_challenger(model)
    assert (promoted.champion_version, promoted.previous_champion, promoted.changed) == (
        second,
        first,
        True,
    )
    client = MlflowClient()
    assert str(client.get_model_version_by_alias(model, "champion").version) == second
    assert client.get_model_version(model, second).tags[PREVIOUS_CHAMPION_TAG] == first
    assert promote_challenger(model).changed is False  # idempotent


def test_refuses_a_challenger_whose_gates_failed(model: str) -> None:
    champion = add_version(model, "passed")
    promote_challenger(model)
    add_version(model, "failed")
    with pytest.raises(
        PromotionError, match=r"cannot be promoted: its evaluation gates failed \(gates failed\)"
    ):
        promote_challenger(model)
    assert str(MlflowClient().get_model_version_by_alias(model, "champion").version) == champion


def test_refuses_without_a_verdict_or_a_challenger(model: str) -> None:
    with pytest.raises(PromotionError, match="has no @challenger version"):
        promote_challenger(model)
    add_version(model, None)
    with pytest.raises(PromotionError, match="its evaluation gates were not run"):
        promote_challenger(model)


def rolled_out_endpoint(stub: ServingWorkspaceStub, model: str) -> ModelDeployer:
    """Endpoint ``churn`` moved from version 1 to 2 by a rollout (so it records 1 as the
    version to roll back to), behind a deployer on the real SDK against the stub."""
    backend = DatabricksServingBackend(stub.client(), poll_interval_seconds=0.005)
    stub.add_endpoint("churn", model, "1")
    config = DeploymentConfig.model_validate(
        {
            "model_name": model,
            "model_version": "2",
            "serving": {"endpoint_name": "churn", "rollout": {"traffic_steps": [100]}},
        }
    )
    backend.deploy(config, model, "2", None)
    return ModelDeployer(backend=backend)


def test_rollback_moves_champion_back_to_the_served_version(
    model: str, serving_workspace: ServingWorkspaceStub
) -> None:
    first, second = add_version(model, "passed"), add_version(model, "passed")
    client = MlflowClient()
    client.set_registered_model_alias(model, "champion", second)
    deployer = rolled_out_endpoint(serving_workspace, model)

    endpoint = deployer.rollback("churn")

    assert endpoint.traffic == {first: 100}
    assert str(client.get_model_version_by_alias(model, "champion").version) == first
    assert client.get_model_version(model, second).tags[ROLLED_BACK_TAG] == first


def test_rollback_leaves_a_champion_that_moved_on_alone(
    model: str, serving_workspace: ServingWorkspaceStub
) -> None:
    first, _, third = (add_version(model, "passed") for _ in range(3))
    client = MlflowClient()
    client.set_registered_model_alias(model, "champion", third)  # promoted, not deployed yet
    deployer = rolled_out_endpoint(serving_workspace, model)

    assert deployer.rollback("churn").traffic == {first: 100}
    assert str(client.get_model_version_by_alias(model, "champion").version) == third


def test_a_rolled_back_challenger_is_not_promoted_again(
    model: str, serving_workspace: ServingWorkspaceStub
) -> None:
    add_version(model, "passed")
    promote_challenger(model)
    second = add_version(model, "passed")  # still @challenger after the rollback below
    promote_challenger(model)
    rolled_out_endpoint(serving_workspace, model).rollback("churn")

    with pytest.raises(PromotionError, match=rf"version {second} .* was rolled back to version"):
        promote_challenger(model)
    MlflowClient().delete_model_version_tag(model, second, ROLLED_BACK_TAG)
    assert promote_challenger(model).champion_version == second


def test_a_promotion_failure_is_a_deployment_error(model: str) -> None:
    # One base per stage: a deployment job can catch promotion and rollout failures alike.
    with pytest.raises(DeploymentError, match="has no @challenger version"):
        promote_challenger(model)
    assert issubclass(BatchInferenceError, DeploymentError)
