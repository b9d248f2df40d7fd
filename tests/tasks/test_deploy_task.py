"""``mlops-deploy`` with the repository's own configs/deployment.yml."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from mlflow import MlflowClient

from databricks_mlops.deployment.local_serving import LocalServingBackend
from databricks_mlops.runtime import Runtime
from databricks_mlops.runtime.endpoint_registry import LocalEndpointRegistry
from databricks_mlops.tasks.deployment import deploy_main

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "configs" / "deployment.yml"
ENDPOINT = "churn-predictor"  # configs/deployment.yml's endpoint_name


@pytest.fixture
def schema(churn_champion: tuple[str, str], runtime: Runtime) -> str:
    """A schema of its own whose churn_model has a @champion (a copy of the session's)."""
    runtime.configure_mlflow()
    name, version = churn_champion
    client = MlflowClient()
    source = client.get_model_version(name, version)
    schema = f"deploytask_{uuid.uuid4().hex[:8]}"
    model = f"main.{schema}.churn_model"
    client.create_registered_model(model)
    created = client.create_model_version(model, source=str(source.source), run_id=source.run_id)
    client.set_registered_model_alias(model, "champion", created.version)
    return schema


@pytest.fixture
def backend(mlops_home: Path) -> Iterator[LocalServingBackend]:
    backend = LocalServingBackend(mlops_home, stop_grace_seconds=5)
    yield backend
    if backend.registry.get(ENDPOINT) is not None:
        backend.stop(ENDPOINT)


@pytest.mark.slow
def test_deploy_entry_point_serves_champion_and_sets_task_values(
    schema: str, backend: LocalServingBackend, mlops_home: Path
) -> None:
    # The installed console script, as the local runner or a user starts it: the server
    # it starts must outlive the task's process (it is detached).
    completed = subprocess.run(
        [
            str(Path(sys.executable).parent / "mlops-deploy"),
            "--config",
            str(CONFIG),
            "--catalog=main",
            f"--schema={schema}",
            "--environment=staging",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "MLOPS_HOME": str(mlops_home), "MLOPS_RUNTIME": "local"},
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    entry = LocalEndpointRegistry(mlops_home).get(ENDPOINT)
    assert entry is not None
    assert (entry.model_name, entry.version) == (f"main.{schema}.churn_model", "1")
    assert completed.stdout.strip().splitlines()[-1] == (
        f"deploy: main.{schema}.churn_model version 1 serves at {ENDPOINT} "
        f"({entry.url}, READY, local, staging)"
    )
    assert requests.get(f"{entry.url}/ping", timeout=5).status_code == 200
    log = (mlops_home / "endpoints" / f"{ENDPOINT}-v1.log").read_text()
    assert "environment staging" in log

    # In process, the same version again: a no-op.
    deploy_main(["--config", str(CONFIG), "--catalog=main", f"--schema={schema}"])
    assert LocalEndpointRegistry(mlops_home).get(ENDPOINT) == entry


def test_deploy_without_a_champion_fails_with_one_line(runtime: Runtime) -> None:
    runtime.configure_mlflow()
    schema = f"deploytask_{uuid.uuid4().hex[:8]}"
    MlflowClient().create_registered_model(f"main.{schema}.churn_model")
    with pytest.raises(
        SystemExit,
        match=rf"^error: main\.{schema}\.churn_model has no @champion version: set the alias",
    ):
        deploy_main(["--config", str(CONFIG), "--catalog=main", f"--schema={schema}"])
