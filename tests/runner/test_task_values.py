"""runtime.task_values: the run's store, the process-local fallback, and the checks."""

from __future__ import annotations

import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

from databricks_mlops.runtime.environment import detect_environment
from databricks_mlops.runtime.task_values import (
    SPOOL_ENV,
    TaskValueError,
    TaskValueStore,
    bind_task_values,
    clear_unbound_task_values,
    get_task_value,
    set_task_value,
    spooled_task_values,
)

CHILD_SETS_A_VALUE = (
    "from databricks_mlops.runtime.task_values import set_task_value\n"
    "set_task_value('drift_detected', 'true')\n"
)


@pytest.fixture(autouse=True)
def _clean() -> None:
    clear_unbound_task_values()


def test_a_notebook_tasks_values_go_to_the_bound_store_under_the_task_key() -> None:
    store = TaskValueStore()
    with bind_task_values(store, "gate", source="notebook_task"):
        set_task_value("auc", 0.91)
    with bind_task_values(store, "read", source="notebook_task"):
        assert get_task_value("gate", "auc") == 0.91
        assert get_task_value("gate", "missing", default=-1) == -1
    assert store.keys_of("gate") == ["auc"]
    assert store.notes == []
    assert get_task_value("gate", "auc") is None  # outside the run: not visible


def test_a_wheel_tasks_values_are_kept_out_of_sight_and_noted() -> None:
    # A task bound without a source is a python_wheel_task (what the executor binds).
    store = TaskValueStore()
    with bind_task_values(store, "train"):
        set_task_value("run_id", "abc")
        set_task_value("run_id", "abc")  # noted once
    assert not store.contains("train", "run_id")
    assert store.hidden_source("train", "run_id") == "python_wheel_task"
    with bind_task_values(store, "evaluate"):
        assert get_task_value("train", "run_id", default="none") == "none"
    assert store.notes == [
        "train set task value run_id from a python_wheel_task: not visible downstream on "
        "Databricks (dbutils.jobs.taskValues works in notebook tasks only); pass state keyed "
        "by {{job.run_id}} or set the value from a notebook task",
        "evaluate read task value train.run_id from a python_wheel_task: "
        "dbutils.jobs.taskValues.get works in notebook tasks only, so it got the default",
    ]


def test_a_task_in_its_own_process_spools_its_values_for_the_runner(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An isolated wheel task has no binding: its values reach the runner through the spool,
    # and are then as invisible as an in-process wheel task's.
    spool = tmp_path / "values.jsonl"
    monkeypatch.setenv(SPOOL_ENV, str(spool))
    set_task_value("run_id", "abc")
    set_task_value("rows", [1, 2])
    store = TaskValueStore()
    store.absorb_spool(spool, "train")
    assert store.hidden_source("train", "rows") == "python_wheel_task"
    assert not store.contains("train", "run_id")
    assert store.notes[0].startswith("train set task value run_id from a python_wheel_task")


def test_values_a_task_process_sets_are_collected_and_stay_invisible() -> None:
    # What the executor wraps every wheel task in: a real child process sets a value.
    store = TaskValueStore()
    env = {**os.environ, "MLOPS_RUNTIME": "local"}
    with spooled_task_values(store, "check_drift", env):
        subprocess.run([sys.executable, "-c", CHILD_SETS_A_VALUE], env=env, check=True, timeout=120)
    assert SPOOL_ENV not in env
    assert store.hidden_source("check_drift", "drift_detected") == "python_wheel_task"
    assert not store.contains("check_drift", "drift_detected")
    assert store.notes == [
        "check_drift set task value drift_detected from a python_wheel_task: not visible "
        "downstream on Databricks (dbutils.jobs.taskValues works in notebook tasks only); "
        "pass state keyed by {{job.run_id}} or set the value from a notebook task"
    ]


def test_outside_a_run_values_stay_in_the_process() -> None:
    set_task_value("rows", [1, 2])
    assert get_task_value("any_task", "rows") == [1, 2]
    assert get_task_value("any_task", "other", default="d") == "d"


def test_readers_get_copies() -> None:
    store = TaskValueStore()
    store.set("t", "cfg", {"a": [1]})
    store.get("t", "cfg")["a"].append(2)
    assert store.get("t", "cfg") == {"a": [1]}


def test_values_must_be_json_and_small() -> None:
    with pytest.raises(TaskValueError, match="must be JSON-serialisable"):
        set_task_value("when", object())
    with pytest.raises(TaskValueError, match="Databricks allows at most 49152 bytes"):
        set_task_value("big", "x" * 50_000)
    with pytest.raises(TaskValueError, match="must be JSON-serialisable"):
        set_task_value("nan", float("nan"))


class _RecordingTaskValues:
    """Stands in for ``dbutils.jobs.taskValues`` to check the calls made on a cluster."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, object]]] = []

    def set(self, **kwargs: object) -> None:
        self.calls.append(("set", kwargs))

    def get(self, **kwargs: object) -> object:
        self.calls.append(("get", kwargs))
        return "from-dbutils"


def test_on_databricks_the_calls_go_to_dbutils(monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = _RecordingTaskValues()
    runtime = types.ModuleType("databricks.sdk.runtime")
    runtime.dbutils = types.SimpleNamespace(  # type: ignore[attr-defined]
        jobs=types.SimpleNamespace(taskValues=recorder)
    )
    monkeypatch.setitem(sys.modules, "databricks.sdk.runtime", runtime)
    monkeypatch.setenv("MLOPS_RUNTIME", "databricks")
    detect_environment.cache_clear()
    try:
        set_task_value("auc", 0.9)
        assert get_task_value("train", "auc", default=0.0) == "from-dbutils"
        with pytest.raises(TaskValueError, match="must be JSON-serialisable"):
            set_task_value("bad", object())
    finally:
        detect_environment.cache_clear()
    assert recorder.calls == [
        ("set", {"key": "auc", "value": 0.9}),
        ("get", {"taskKey": "train", "key": "auc", "default": 0.0, "debugValue": 0.0}),
    ]
