"""Promotion on the local MLflow registry (sqlite), through the real MLflow client."""

from __future__ import annotations

import uuid

import pytest
from mlflow import MlflowClient

from databricks_mlops.deployment.promotion import (
    PREVIOUS_CHAMPION_TAG,
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
