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
    previous = {key: os.environ.get(key) for key in ("MLOPS_HOME", "MLOPS_RUNTIME")}
    os.environ["MLOPS_HOME"] = str(home)
    os.environ["MLOPS_RUNTIME"] = "local"
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    yield home
    for key, value in previous.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


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
