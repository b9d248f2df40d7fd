"""Local serving runs the model in its own environment, as Databricks Model Serving does.

The environment is built (uv, cached by MLflow) from the model's logged requirements, and
the server sees the model's ``code/`` directory, not this venv nor ``PYTHONPATH``: a model
that lacks its code fails to serve here, and a model that carries everything serves even
what this venv could not import.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from pyspark.sql import SparkSession
from tests.model_training.probe_package import log_probe_model, write_probe_package

from databricks_mlops.config.deployment import DeploymentConfig
from databricks_mlops.deployment import DeploymentError, local_serving
from databricks_mlops.deployment.local_serving import LocalServingBackend
from databricks_mlops.deployment.smoke import dataframe_split_payload
from databricks_mlops.runtime import Runtime

pytestmark = pytest.mark.slow

# Pure Python, tiny, and not installed in this venv: only a model environment has it.
ONLY_IN_THE_MODEL = "inflection==0.5.1"


def config_for(model: str, version: str, endpoint: str) -> DeploymentConfig:
    return DeploymentConfig.model_validate(
        {"model_name": model, "model_version": version, "serving": {"endpoint_name": endpoint}}
    )


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path
    backend = LocalServingBackend(tmp_path)
    for entry in backend.registry.list():
        backend.stop(entry.name)
    for pid in list(local_serving._children):
        backend._stop_process(pid)


@pytest.fixture
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    root = tmp_path_factory.mktemp("project")
    sys.path.insert(0, str(root))
    yield root, f"mlops_probe_{uuid.uuid4().hex[:8]}"
    sys.path.remove(str(root))


def test_model_missing_its_transform_package_fails_to_serve(
    runtime: Runtime,
    spark: SparkSession,
    project: tuple[Path, str],
    home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    runtime.configure_mlflow()
    root, package = project
    # Installed in the caller's environment the way `uv sync` installs a project (an
    # entry point included), and on PYTHONPATH: what the old venv-sharing server relied on.
    transform = write_probe_package(root, package, dist_info=True)
    monkeypatch.setenv("PYTHONPATH", str(root))
    model = log_probe_model(
        spark, package, transform, f"main.probe.{package}", tmp_path / "work", ship_code=False
    )

    # The caller's venv serves it: the permissive behaviour local serving used to have.
    permissive = LocalServingBackend(home, env_manager="local")
    endpoint = permissive.deploy(
        config_for(model.name, model.version, "probe-venv"), model.name, model.version, model.rows
    )
    assert endpoint.state == "READY"

    with pytest.raises(
        DeploymentError, match=r"exited before answering /ping \(the model failed to load: "
    ) as failure:
        LocalServingBackend(home).deploy(
            config_for(model.name, model.version, "probe-own-env"),
            model.name,
            model.version,
            model.rows,
        )
    assert f"No module named '{package}'" in str(failure.value)
    assert f"custom transform '{transform}'" in str(failure.value)


def test_model_with_its_code_and_requirements_serves_and_scores(
    runtime: Runtime,
    spark: SparkSession,
    project: tuple[Path, str],
    home: Path,
    tmp_path: Path,
) -> None:
    runtime.configure_mlflow()
    root, package = project
    transform = write_probe_package(root, package, lazy_imports="import inflection")
    model = log_probe_model(
        spark,
        package,
        transform,
        f"main.probe.{package}",
        tmp_path / "work",
        extra_requirements=[ONLY_IN_THE_MODEL],
        transform_in_process=False,  # this venv cannot import inflection
    )
    backend = LocalServingBackend(home)
    endpoint = backend.deploy(
        config_for(model.name, model.version, "probe-served"), model.name, model.version
    )
    response = requests.post(
        f"{endpoint.url}/invocations", json=dataframe_split_payload(model.rows), timeout=60
    )
    assert response.status_code == 200, response.text
    predictions = [row["prediction"] for row in response.json()["predictions"]]
    assert predictions == model.expected["prediction"].tolist()


def test_serving_without_uv_on_path_says_how_to_fix(
    home: Path, runtime: Runtime, churn_champion: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime.configure_mlflow()
    name, version = churn_champion
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(DeploymentError, match=r"`uv` is not on PATH.*install uv"):
        LocalServingBackend(home).deploy(config_for(name, version, "no-uv"), name, version)
