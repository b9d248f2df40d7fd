"""Task values: small JSON values one task of a job run hands to the tasks after it.

The same two calls work everywhere:

* on Databricks they are ``dbutils.jobs.taskValues.set`` / ``.get``;
* under the local runner they read and write the :class:`TaskValueStore` of the current
  run, which the runner also uses to resolve ``{{tasks.<task>.values.<key>}}``;
* outside any run (a task function called straight from a test or a REPL) ``set`` keeps
  the value in a process-local store and ``get`` reads it back from there, so task code
  needs no special case.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from databricks_mlops.errors import MLOpsError
from databricks_mlops.runtime.environment import detect_environment

# Databricks' documented limit on the JSON form of one task value.
MAX_VALUE_BYTES = 48 * 1024


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
    """The task values of one job run, kept as JSON text so readers get copies."""

    _values: dict[str, dict[str, str]] = field(default_factory=dict)

    def set(self, task_key: str, key: str, value: Any) -> None:
        self._values.setdefault(task_key, {})[key] = _encode(key, value)

    def contains(self, task_key: str, key: str) -> bool:
        return key in self._values.get(task_key, {})

    def get(self, task_key: str, key: str) -> Any:
        """The value, or ``KeyError`` when ``task_key`` never set ``key``."""
        return json.loads(self._values[task_key][key])

    def keys_of(self, task_key: str) -> list[str]:
        return sorted(self._values.get(task_key, {}))


@dataclass(frozen=True)
class _Binding:
    store: TaskValueStore
    task_key: str


_current: ContextVar[_Binding | None] = ContextVar("mlops_task_values", default=None)

# Used only when no run is active; values are filed under the key alone because a task
# called directly has no task key of its own.
_unbound: dict[str, str] = {}


@contextmanager
def bind_task_values(store: TaskValueStore, task_key: str) -> Iterator[None]:
    """Route ``set_task_value`` / ``get_task_value`` to ``store`` while a task runs."""
    token = _current.set(_Binding(store, task_key))
    try:
        yield
    finally:
        _current.reset(token)


def _dbutils_task_values() -> Any:
    # Lazy: databricks.sdk.runtime is only meaningful (and only cheap) on a cluster.
    runtime = importlib.import_module("databricks.sdk.runtime")
    return runtime.dbutils.jobs.taskValues


def set_task_value(key: str, value: Any) -> None:
    """Publish ``value`` under ``key`` for downstream tasks of the current run."""
    if detect_environment().kind == "databricks":
        _encode(key, value)  # fail here with our message rather than deep inside dbutils
        _dbutils_task_values().set(key=key, value=value)
        return
    binding = _current.get()
    if binding is None:
        _unbound[key] = _encode(key, value)
    else:
        binding.store.set(binding.task_key, key, value)


def get_task_value(task_key: str, key: str, default: Any = None) -> Any:
    """Read ``key`` set by task ``task_key`` of the current run, or ``default``."""
    if detect_environment().kind == "databricks":
        # debugValue lets the same call work when a notebook is run interactively.
        return _dbutils_task_values().get(
            taskKey=task_key, key=key, default=default, debugValue=default
        )
    binding = _current.get()
    if binding is None:
        return json.loads(_unbound[key]) if key in _unbound else default
    if binding.store.contains(task_key, key):
        return binding.store.get(task_key, key)
    return default


def clear_unbound_task_values() -> None:
    """Forget values set outside any run (for tests that call task code directly)."""
    _unbound.clear()
