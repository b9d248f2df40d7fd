"""Task values: small JSON values a *notebook* task of a job run hands to the tasks after it.

Databricks documents ``dbutils.jobs.taskValues.set`` / ``.get`` for notebook tasks only:
from a ``python_wheel_task`` on Spark Connect compute the calls do nothing, and a
``{{tasks.<task>.values.<key>}}`` reference to a value that was never set stays the literal
text. The framework's own wheel tasks therefore pass state keyed by ``{{job.run_id}}``
(MLflow run tags, a run-state table) and a notebook task (``notebooks/drift_gate.py``) sets
the one value a ``condition_task`` needs.

Locally the runner keeps the values of a run in a :class:`TaskValueStore` and enforces the
same rule: a value set while a wheel task is bound is recorded as *not visible* (the run
summary says so) and references to it stay literal text; a notebook task's values are
visible. The local notebook stand-in (``runner/notebook_task.py``) routes
``dbutils.jobs.taskValues`` here.
"""

from __future__ import annotations

import importlib
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from databricks_mlops.errors import MLOpsError
from databricks_mlops.runtime.environment import detect_environment

# Databricks' documented limit on the JSON form of one task value.
MAX_VALUE_BYTES = 48 * 1024
# The task types whose dbutils.jobs.taskValues.set reaches downstream tasks on Databricks.
VISIBLE_SOURCES = frozenset({"notebook_task"})
# A task run in a process of its own (an isolated wheel task) has no binding: what it sets
# is appended to this file, one JSON line per value, for the runner to account for.
SPOOL_ENV = "MLOPS_TASK_VALUES_SPOOL"


class TaskValueError(MLOpsError):
    """A task value cannot be stored (not JSON-serialisable, too large, bad key)."""


def _encode(key: str, value: Any) -> str:
    if not isinstance(key, str) or not key:
        raise TaskValueError(f"task value key must be a non-empty string, got {key!r}")
    try:
        text = json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise TaskValueError(
            f"task value {key!r} must be JSON-serialisable (as on Databricks): {exc}"
        ) from exc
    size = len(text.encode("utf-8"))
    if size > MAX_VALUE_BYTES:
        raise TaskValueError(
            f"task value {key!r} is {size} bytes as JSON; Databricks allows at most "
            f"{MAX_VALUE_BYTES} bytes (write large results to a table and pass its name)"
        )
    return text


@dataclass
class TaskValueStore:
    """The task values of one job run, kept as JSON text so readers get copies.

    Only values set from a task type in :data:`VISIBLE_SOURCES` are visible to
    ``contains`` / ``get``; the others are remembered for the run summary only.
    """

    _values: dict[str, dict[str, str]] = field(default_factory=dict)
    _hidden: dict[str, dict[str, str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    """What the run summary should tell the user about task values (in order)."""

    def set(self, task_key: str, key: str, value: Any, source: str = "notebook_task") -> None:
        text = _encode(key, value)
        if source in VISIBLE_SOURCES:
            self._values.setdefault(task_key, {})[key] = text
            return
        if key not in self._hidden.get(task_key, {}):
            self.note(
                f"{task_key} set task value {key} from a {source}: not visible downstream on "
                "Databricks (dbutils.jobs.taskValues works in notebook tasks only); pass "
                "state keyed by {{job.run_id}} or set the value from a notebook task"
            )
        self._hidden.setdefault(task_key, {})[key] = source

    def contains(self, task_key: str, key: str) -> bool:
        return key in self._values.get(task_key, {})

    def get(self, task_key: str, key: str) -> Any:
        """The value, or ``KeyError`` when ``task_key`` never set ``key`` visibly."""
        return json.loads(self._values[task_key][key])

    def keys_of(self, task_key: str) -> list[str]:
        return sorted(self._values.get(task_key, {}))

    def hidden_source(self, task_key: str, key: str) -> str | None:
        """The task type ``key`` was set from when it is not visible, else None."""
        return self._hidden.get(task_key, {}).get(key)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def absorb_spool(self, path: Path, task_key: str, source: str = "python_wheel_task") -> None:
        """Take in what task ``task_key``, run in its own process, spooled to ``path``."""
        if not path.is_file():
            return
        for line in path.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            self.set(task_key, str(item["key"]), json.loads(item["value"]), source)


@dataclass(frozen=True)
class _Binding:
    store: TaskValueStore
    task_key: str
    source: str


_current: ContextVar[_Binding | None] = ContextVar("mlops_task_values", default=None)

# Used only when no run is active; values are filed under the key alone because a task
# called directly has no task key of its own.
_unbound: dict[str, str] = {}


@contextmanager
def bind_task_values(
    store: TaskValueStore, task_key: str, source: str = "python_wheel_task"
) -> Iterator[None]:
    """Route ``set_task_value`` / ``get_task_value`` to ``store`` while a task runs.

    ``source`` is the task type: only a notebook task's values are visible downstream."""
    token = _current.set(_Binding(store, task_key, source))
    try:
        yield
    finally:
        _current.reset(token)


@contextmanager
def spooled_task_values(
    store: TaskValueStore, task_key: str, env: dict[str, str]
) -> Iterator[None]:
    """Give a task run in its own process (``env`` is its environment) a spool file, and
    take in what it set there afterwards, so the run summary can say it was dropped."""
    handle, name = tempfile.mkstemp(prefix=f"mlops-task-values-{task_key}-", suffix=".jsonl")
    os.close(handle)
    spool = Path(name)
    env[SPOOL_ENV] = name
    try:
        yield
    finally:
        env.pop(SPOOL_ENV, None)
        try:
            store.absorb_spool(spool, task_key)
        finally:
            spool.unlink(missing_ok=True)


def _dbutils_task_values() -> Any:
    # Lazy: databricks.sdk.runtime is only meaningful (and only cheap) on a cluster.
    runtime = importlib.import_module("databricks.sdk.runtime")
    return runtime.dbutils.jobs.taskValues


def set_task_value(key: str, value: Any) -> None:
    """``dbutils.jobs.taskValues.set``: reaches downstream tasks from a notebook task only."""
    if detect_environment().kind == "databricks":
        _encode(key, value)  # fail here with our message rather than deep inside dbutils
        _dbutils_task_values().set(key=key, value=value)
        return
    binding = _current.get()
    if binding is not None:
        binding.store.set(binding.task_key, key, value, binding.source)
        return
    _unbound[key] = text = _encode(key, value)
    spool = os.environ.get(SPOOL_ENV)
    if spool:
        with open(spool, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"key": key, "value": text}) + "\n")


def get_task_value(task_key: str, key: str, default: Any = None) -> Any:
    """``dbutils.jobs.taskValues.get``: ``key`` set by notebook task ``task_key``, or
    ``default``."""
    if detect_environment().kind == "databricks":
        # debugValue lets the same call work when a notebook is run interactively.
        return _dbutils_task_values().get(
            taskKey=task_key, key=key, default=default, debugValue=default
        )
    binding = _current.get()
    if binding is None:
        return json.loads(_unbound[key]) if key in _unbound else default
    if binding.source not in VISIBLE_SOURCES:
        binding.store.note(
            f"{binding.task_key} read task value {task_key}.{key} from a {binding.source}: "
            "dbutils.jobs.taskValues.get works in notebook tasks only, so it got the default"
        )
        return default
    if binding.store.contains(task_key, key):
        return binding.store.get(task_key, key)
    return default


def clear_unbound_task_values() -> None:
    """Forget values set outside any run (for tests that call task code directly)."""
    _unbound.clear()
