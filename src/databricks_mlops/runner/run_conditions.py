"""Whether a task runs, given what happened to its dependencies (Databricks' ``run_if``).

Databricks' rules, kept here in one place:

* a dependency with ``outcome:`` on a condition task whose outcome differs means the
  branch was not taken: the task is EXCLUDED;
* if every dependency was EXCLUDED, so is the task, whatever its ``run_if``;
* otherwise EXCLUDED dependencies count as succeeded, and a dependency that was itself
  skipped because *its* upstream failed counts as failed;
* an unmet ALL_SUCCESS / AT_LEAST_ONE_SUCCESS / NONE_FAILED marks the task "upstream
  failed" (SKIPPED); an unmet AT_LEAST_ONE_FAILED / ALL_FAILED marks it EXCLUDED,
  because those tasks are failure handlers that simply were not needed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from databricks_mlops.errors import RunnerError, did_you_mean
from databricks_mlops.runner.graph import TaskNode
from databricks_mlops.runner.results import TaskResult, TaskStatus

UPSTREAM_FAILED = "upstream failed"

_RULES: dict[str, tuple[Callable[[list[bool]], bool], TaskStatus]] = {
    # Each rule gets one bool per non-excluded dependency: did it succeed?
    "ALL_SUCCESS": (all, TaskStatus.SKIPPED),
    "AT_LEAST_ONE_SUCCESS": (any, TaskStatus.SKIPPED),
    "NONE_FAILED": (all, TaskStatus.SKIPPED),
    "ALL_DONE": (lambda _: True, TaskStatus.SKIPPED),
    "AT_LEAST_ONE_FAILED": (lambda ok: not all(ok), TaskStatus.EXCLUDED),
    "ALL_FAILED": (lambda ok: not any(ok), TaskStatus.EXCLUDED),
}
RUN_IF_VALUES = tuple(_RULES)


@dataclass(frozen=True)
class Gate:
    """``status`` is None when the task should run; otherwise why it does not."""

    status: TaskStatus | None
    reason: str | None = None


RUN = Gate(None)


def decide(node: TaskNode, results: Mapping[str, TaskResult]) -> Gate:
    """Apply ``run_if`` to the results of ``node``'s dependencies (all already visited)."""
    run_if = str(node.spec.get("run_if") or "ALL_SUCCESS")
    if run_if not in _RULES:
        raise RunnerError(
            f"task '{node.key}' has run_if {run_if!r}, not one of {', '.join(RUN_IF_VALUES)}"
            + did_you_mean(run_if, RUN_IF_VALUES)
        )
    if not node.depends_on:
        return RUN

    succeeded: list[bool] = []
    for dep in node.depends_on:
        upstream = results[dep.task_key]
        if (
            dep.outcome is not None
            and upstream.status is TaskStatus.SUCCESS
            and upstream.outcome is not None
            and upstream.outcome != dep.outcome
        ):
            return Gate(
                TaskStatus.EXCLUDED,
                f"'{dep.task_key}' was {upstream.outcome}; this branch runs on {dep.outcome}",
            )
        if upstream.status is TaskStatus.EXCLUDED:
            continue
        succeeded.append(upstream.status is TaskStatus.SUCCESS)

    if not succeeded:
        return Gate(TaskStatus.EXCLUDED, "all dependencies excluded")
    satisfied, otherwise = _RULES[run_if]
    if satisfied(succeeded):
        return RUN
    if otherwise is TaskStatus.SKIPPED:
        return Gate(TaskStatus.SKIPPED, UPSTREAM_FAILED)
    return Gate(TaskStatus.EXCLUDED, f"run_if {run_if} not met")
