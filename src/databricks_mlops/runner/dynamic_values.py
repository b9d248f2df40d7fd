"""Databricks dynamic value references (``{{job.parameters.x}}``) resolved at run time.

These are resolved by the Jobs service when a task starts, not by the bundle loader, so
the local runner resolves them just before each task runs, from the state of the run.

As documented, a reference to a task value that does not exist is left as literal text
(not an error); a task value set from a python_wheel_task never exists downstream, because
Databricks drops it. Each such case is noted for the run summary.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from databricks_mlops.errors import RunnerError, did_you_mean
from databricks_mlops.runner.results import TaskResult
from databricks_mlops.runtime.task_values import TaskValueStore

DYNAMIC_REFERENCE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")

_START_TIME_FIELDS: dict[str, Callable[[datetime], str]] = {
    "iso_date": lambda t: t.date().isoformat(),
    "iso_datetime": lambda t: t.isoformat(timespec="seconds"),
    "year": lambda t: str(t.year),
    "month": lambda t: str(t.month),
    "day": lambda t: str(t.day),
    "hour": lambda t: str(t.hour),
    "minute": lambda t: str(t.minute),
    "second": lambda t: str(t.second),
    "timestamp_ms": lambda t: str(int(t.timestamp() * 1000)),
    "is_weekday": lambda t: "true" if t.weekday() < 5 else "false",
}


@dataclass(frozen=True)
class RunState:
    """What a job run knows when one of its tasks starts."""

    job_key: str
    job_name: str
    run_id: str
    started_at: datetime
    parameters: Mapping[str, str]
    task_keys: Collection[str]
    values: TaskValueStore
    results: Mapping[str, TaskResult]
    trigger_type: str = "ONE_TIME"


@dataclass(frozen=True)
class TaskScope:
    task_key: str
    task_run_id: str
    attempt: int


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _job_reference(parts: list[str], run: RunState) -> str | None:
    simple = {
        "id": f"local-job:{run.job_key}",
        "name": run.job_name,
        "run_id": run.run_id,
        "repair_count": "0",
    }
    if len(parts) == 1 and parts[0] in simple:
        return simple[parts[0]]
    if parts[:1] == ["start_time"] and len(parts) == 2 and parts[1] in _START_TIME_FIELDS:
        return _START_TIME_FIELDS[parts[1]](run.started_at)
    if parts == ["trigger", "type"]:
        return run.trigger_type
    if parts[:1] == ["parameters"] and len(parts) >= 2:
        name = ".".join(parts[1:])
        if name not in run.parameters:
            raise RunnerError(
                f"job parameter '{name}' is not defined for job '{run.job_key}'"
                + did_you_mean(name, run.parameters)
                + " (declare it under the job's `parameters:`)"
            )
        return run.parameters[name]
    return None


class _LeaveLiteral(Exception):
    """Databricks keeps a reference to a task value that is not there as literal text."""


def _tasks_reference(parts: list[str], run: RunState, task: TaskScope) -> str | None:
    if len(parts) < 2:
        return None
    task_key, field = parts[0], parts[1]
    if task_key not in run.task_keys:
        raise RunnerError(
            f"no task '{task_key}' in job '{run.job_key}'" + did_you_mean(task_key, run.task_keys)
        )
    if field == "values" and len(parts) >= 3:
        key = ".".join(parts[2:])
        if not run.values.contains(task_key, key):
            source = run.values.hidden_source(task_key, key)
            why = (
                f"'{task_key}' set it from a {source}, where Databricks drops task values"
                if source is not None
                else f"'{task_key}' did not set it (values it set: "
                f"{', '.join(run.values.keys_of(task_key)) or 'none'})"
            )
            run.values.note(
                f"{task.task_key}: {{{{tasks.{task_key}.values.{key}}}}} stays literal text, "
                f"as on Databricks: {why}"
            )
            raise _LeaveLiteral
        return _text(run.values.get(task_key, key))
    result = run.results.get(task_key)
    if len(parts) == 2 and field == "run_id":
        return result.run_id or "" if result else ""
    if len(parts) == 2 and field == "result_state":
        return result.status.value.lower() if result else ""
    return None


def _resolve_reference(reference: str, run: RunState, task: TaskScope) -> str:
    parts = reference.split(".")
    head, rest = parts[0], parts[1:]
    resolved: str | None = None
    if head == "job":
        resolved = _job_reference(rest, run)
    elif head == "tasks":
        resolved = _tasks_reference(rest, run, task)
    elif head == "task" and rest in (["name"], ["key"]):
        resolved = task.task_key
    elif head == "task" and rest == ["run_id"]:
        resolved = task.task_run_id
    elif head == "task" and rest == ["execution_count"]:
        resolved = str(task.attempt)
    elif not rest:
        # Deprecated single-word references, still served by Databricks.
        legacy = {
            "job_id": f"local-job:{run.job_key}",
            "run_id": task.task_run_id,
            "parent_run_id": run.run_id,
            "task_key": task.task_key,
            "task_retry_count": str(task.attempt - 1),
            "start_date": run.started_at.date().isoformat(),
            "start_time": str(int(run.started_at.timestamp() * 1000)),
        }
        resolved = legacy.get(head)
    if resolved is None:
        raise RunnerError(
            f"unknown dynamic value reference {{{{{reference}}}}}; the local runner knows "
            "{{job.parameters.<name>}}, {{tasks.<task>.values.<key>}}, {{job.id}}, "
            "{{job.run_id}}, {{job.start_time.<field>}}, {{task.name}} and {{task.run_id}}"
        )
    return resolved


def _substitute(match: re.Match[str], run: RunState, task: TaskScope) -> str:
    try:
        return _resolve_reference(match.group(1), run, task)
    except _LeaveLiteral:
        return match.group(0)


def resolve_dynamic_values(value: Any, run: RunState, task: TaskScope) -> Any:
    """Replace every ``{{...}}`` in the strings of ``value`` (lists and maps included)."""
    if isinstance(value, str):
        return DYNAMIC_REFERENCE.sub(lambda match: _substitute(match, run, task), value)
    if isinstance(value, list):
        return [resolve_dynamic_values(item, run, task) for item in value]
    if isinstance(value, dict):
        return {key: resolve_dynamic_values(item, run, task) for key, item in value.items()}
    return value
