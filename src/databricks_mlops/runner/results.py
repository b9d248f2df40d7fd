"""What a local job run reports: one result per task, in the order tasks were visited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class TaskStatus(StrEnum):
    SUCCESS = "SUCCESS"
    FAILED = "FAILED"
    SKIPPED = "SKIPPED"
    """Not run because its dependencies did not satisfy ``run_if`` (Databricks: upstream
    failed)."""
    EXCLUDED = "EXCLUDED"
    """Not run because its branch was not taken (condition outcome, or every dependency
    excluded); counts as success for the tasks after it, as on Databricks."""


@dataclass(frozen=True)
class TaskResult:
    task_key: str
    task_type: str
    status: TaskStatus
    duration_seconds: float = 0.0
    error: str | None = None
    traceback: str | None = None
    """Full traceback of an unexpected (non-MLOpsError) exception."""
    outcome: str | None = None
    """``"true"`` / ``"false"`` for a condition_task."""
    reason: str | None = None
    """Why a task was SKIPPED or EXCLUDED."""
    attempts: int = 0
    run_id: str | None = None
    nested: JobRunResult | None = None
    """The run of the job a run_job_task started."""
    not_retried: str | None = None
    """Why a failed task with retries left was not retried (a deterministic error)."""
    environment: str | None = None
    """Where an isolated wheel task ran: ``isolated env <hash> (cached|built in N s[, Spark Connect])``."""


@dataclass(frozen=True)
class JobRunResult:
    job_key: str
    run_id: str
    started_at: datetime
    duration_seconds: float
    tasks: tuple[TaskResult, ...]
    notes: tuple[str, ...] = ()
    """Things that run locally but not the same way on Databricks (task values)."""

    @property
    def succeeded(self) -> bool:
        """True when no task failed (a failed task fails the run, as on Databricks)."""
        return not self.failed_tasks

    @property
    def failed_tasks(self) -> list[TaskResult]:
        return [task for task in self.tasks if task.status is TaskStatus.FAILED]

    def task(self, task_key: str) -> TaskResult:
        for result in self.tasks:
            if result.task_key == task_key:
                return result
        raise KeyError(task_key)

    @property
    def statuses(self) -> dict[str, TaskStatus]:
        return {task.task_key: task.status for task in self.tasks}
