"""What the local runner prints: a line per task as it finishes, a table at the end."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from databricks_mlops.runner.results import JobRunResult, TaskResult, TaskStatus

_STYLES = {
    TaskStatus.SUCCESS: "green",
    TaskStatus.FAILED: "bold red",
    TaskStatus.SKIPPED: "yellow",
    TaskStatus.EXCLUDED: "dim",
}
_MARKS = {
    TaskStatus.SUCCESS: "✓",
    TaskStatus.FAILED: "✗",
    TaskStatus.SKIPPED: "-",
    TaskStatus.EXCLUDED: "·",
}


def _indent(depth: int) -> str:
    return "  " * depth


def first_line(text: str | None) -> str:
    return text.strip().splitlines()[0] if text and text.strip() else ""


def _detail(result: TaskResult) -> str:
    if result.status is TaskStatus.FAILED:
        return first_line(result.error)
    if result.outcome is not None:
        return f"outcome: {result.outcome}"
    return result.reason or result.environment or ""


def print_job_start(console: Console, job_key: str, run_id: str, depth: int) -> None:
    line = Text(_indent(depth))
    line.append(f"Job {job_key}", style="bold")
    line.append(f"  run {run_id}", style="dim")
    console.print(line)


def print_task_line(console: Console, result: TaskResult, depth: int) -> None:
    style = _STYLES[result.status]
    line = Text(f"{_indent(depth)}  ")
    line.append(f"{_MARKS[result.status]} {result.task_key}", style=style)
    line.append(f"  {result.status.value}", style=style)
    if result.attempts > 1:
        line.append(f"  after {result.attempts} attempts")
    if result.status in (TaskStatus.SUCCESS, TaskStatus.FAILED):
        line.append(f"  {result.duration_seconds:.2f}s", style="dim")
    detail = _detail(result)
    if detail:
        line.append(f"  {detail}", style="dim" if result.status is not TaskStatus.FAILED else "red")
    console.print(line)


def print_summary(console: Console, result: JobRunResult) -> None:
    verdict = "SUCCEEDED" if result.succeeded else "FAILED"
    table = Table(
        title=f"Job {result.job_key} {verdict} (run {result.run_id}, "
        f"{result.duration_seconds:.2f}s)",
        title_style="bold green" if result.succeeded else "bold red",
    )
    table.add_column("task")
    table.add_column("status")
    table.add_column("duration", justify="right")
    table.add_column("details")
    for task in result.tasks:
        ran = task.status in (TaskStatus.SUCCESS, TaskStatus.FAILED)
        table.add_row(
            Text(task.task_key),
            Text(task.status.value, style=_STYLES[task.status]),
            f"{task.duration_seconds:.2f}s" if ran else "",
            Text(_detail(task)),
        )
    console.print(table)
    for note in result.notes:
        console.print(Text(f"note: {note}", style="yellow"))
    for task in result.tasks:
        if task.status is TaskStatus.FAILED and task.traceback:
            # Unexpected exceptions are bugs somewhere: show where, in full.
            console.print(Text(f"Traceback of task {task.task_key}:", style="bold red"))
            console.print(Text(task.traceback.rstrip()))
