"""One local SparkSession and one throwaway MLOPS_HOME for the whole test session.

Tests run on local Spark + Delta and a local MLflow store. With Databricks Connect
configured (DATABRICKS_HOST set and databricks-connect installed) and MLOPS_RUNTIME=connect,
the same fixtures give a remote session instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from databricks_mlops.runtime import Runtime
    from pyspark.sql import SparkSession

PROJECT = Path(__file__).resolve().parents[1]
# The bundle target whose names the tests use: CD's integration target, a schema of its own.
TEST_TARGET = "test"
# Values Databricks fills in per run (run ids, the start time); a test passes its own.
DYNAMIC = ("run_id", "job_run_id", "window_end")


@pytest.fixture(scope="session", autouse=True)
def mlops_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("mlops_home")
    saved = {key: os.environ.get(key) for key in ("MLOPS_HOME", "MLOPS_RUNTIME")}
    os.environ["MLOPS_HOME"] = str(home)
    os.environ["MLOPS_RUNTIME"] = saved["MLOPS_RUNTIME"] or "local"
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    yield home
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def runtime(mlops_home: Path) -> Runtime:
    from databricks_mlops.runtime import get_runtime

    return get_runtime()


@pytest.fixture(scope="session")
def spark(runtime: Runtime) -> SparkSession:
    return runtime.spark


@pytest.fixture(scope="session")
def stage_variables() -> dict[str, str]:
    """The named parameters the bundle passes its tasks in the test target: the catalog,
    schema, model and experiment names, and the dataset's names (databricks.yml variables),
    read from the bundle itself so the tests follow every edit of it."""
    from databricks_mlops.runner import load_bundle

    bundle = load_bundle(PROJECT, TEST_TARGET, {})
    variables: dict[str, str] = {}
    for job in bundle.jobs.values():
        for task in job["tasks"]:
            named = task.get("python_wheel_task", {}).get("named_parameters", {})
            variables.update({k: str(v) for k, v in named.items() if k not in DYNAMIC})
    variables.pop("config", None)
    # Alerts from a test run go nowhere (nothing listens on the discard port).
    variables["alert_webhook_url"] = "http://127.0.0.1:9/alerts"
    return variables
