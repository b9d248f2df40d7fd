"""One local SparkSession and one MLOPS_HOME for the whole suite (a session costs ~8 s)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from databricks_mlops.runtime import Runtime


@pytest.fixture(scope="session", autouse=True)
def mlops_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Every test runs against the local backends, with state in a temporary home."""
    home = tmp_path_factory.mktemp("mlops_home")
    previous = {
        key: os.environ.get(key) for key in ("MLOPS_HOME", "MLOPS_RUNTIME", "MLOPS_TASK_ISOLATION")
    }
    os.environ["MLOPS_HOME"] = str(home)
    os.environ["MLOPS_RUNTIME"] = "local"
    # Jobs run in this process (one shared Spark) unless a test's subject is isolation
    # (tests/runner/test_isolated_tasks.py): a fresh environment and JVM per task would
    # multiply the suite's time.
    os.environ["MLOPS_TASK_ISOLATION"] = "in-process"
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    yield home
    _stop_local_endpoints(home)
    for key, value in previous.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def _stop_local_endpoints(home: Path) -> None:
    """Scoring servers started by jobs run in tests outlive their task on purpose (that is
    what an endpoint is); the suite stops whatever is still registered when it ends."""
    from databricks_mlops.deployment.local_serving import LocalServingBackend
    from databricks_mlops.runtime.endpoint_registry import LocalEndpointRegistry

    backend = LocalServingBackend(home)
    for entry in LocalEndpointRegistry(home).list():
        backend.stop(entry.name)


@pytest.fixture(scope="session")
def runtime(mlops_home: Path) -> Runtime:
    from databricks_mlops.runtime import get_runtime

    rt = get_runtime()
    assert rt.home == mlops_home, "the runtime was created before the test home was set"
    return rt


@pytest.fixture(scope="session")
def spark(runtime: Runtime) -> SparkSession:
    return runtime.spark


@pytest.fixture(autouse=True)
def fresh_task_values() -> Iterator[None]:
    """Task values set by task code called outside a run must not leak between tests."""
    from databricks_mlops.runtime.task_values import clear_unbound_task_values

    clear_unbound_task_values()
    yield
    clear_unbound_task_values()


@pytest.fixture(scope="session")
def churn_champion(runtime: Runtime) -> tuple[str, str]:
    """A churn classifier registered in the local registry as ``@champion`` (and
    ``@challenger``): ``(model_name, version)``. Trained once per session (~5 s) for the
    deployment, serving and monitoring tests. The model takes the raw churn columns and
    answers ``prediction`` and ``probability``."""
    from databricks_mlops.model_training.sample_model import train_sample_churn_model

    name = "main.serving.churn_model"
    version = train_sample_churn_model(
        name,
        rows=600,
        seed=11,
        trees=10,
        max_depth=4,
        experiment_name="/tests/serving",
        champion=True,
    )
    return name, version
