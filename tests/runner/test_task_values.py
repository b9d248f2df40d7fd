"""runtime.task_values: the run's store, the process-local fallback, and the checks."""

from __future__ import annotations

import sys
import types

import pytest

from databricks_mlops.runtime.environment import detect_environment
from databricks_mlops.runtime.task_values import (
    TaskValueError,
    TaskValueStore,
    bind_task_values,
    clear_unbound_task_values,
    get_task_value,
    set_task_value,
)


@pytest.fixture(autouse=True)
def _clean() -> None:
    clear_unbound_task_values()


def test_values_go_to_the_bound_store_under_the_task_key() -> None:
    store = TaskValueStore()
    with bind_task_values(store, "train"):
        set_task_value("auc", 0.91)
    with bind_task_values(store, "evaluate"):
        assert get_task_value("train", "auc") == 0.91
        assert get_task_value("train", "missing", default=-1) == -1
    assert store.keys_of("train") == ["auc"]
    assert get_task_value("train", "auc") is None  # outside the run: not visible


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
