"""Task arguments as Databricks passes them: ``--config=...`` plus ``--name=value`` variables.

Every named parameter other than ``config`` becomes a ``${name}`` variable for the config
file, so a bundle can pass ``catalog: ${var.catalog}`` and the YAML can say
``${catalog}.${schema}.customers`` — the same file on every target. The exceptions are
flags: ``job_run_id`` (every job passes ``{{job.run_id}}``), which keys the state tasks
hand on to each other (MLflow run tags, the run-state table) because Databricks drops
task values set from a python_wheel_task, and each task's own options (``refit``,
``window_end``, ``run_id``...).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from databricks_mlops.errors import MLOpsError


@dataclass(frozen=True)
class TaskArguments:
    config: Path
    variables: dict[str, str]
    job_run_id: str = ""
    """``{{job.run_id}}`` of the job run this task belongs to ("" when run by hand)."""
    options: dict[str, str] = field(default_factory=dict)
    """The task's own flags (``options=`` of :func:`parse_task_arguments`), "" when absent."""


def parse_task_arguments(
    prog: str, argv: Sequence[str] | None = None, *, options: Sequence[str] = ()
) -> TaskArguments:
    """``--config``, ``--job_run_id`` and the task's ``options`` are flags of the task; every
    other ``--name=value`` is a ``${name}`` variable of the config file."""
    # No abbreviations: a named parameter `--con=...` must not silently become --config.
    parser = argparse.ArgumentParser(prog=prog, allow_abbrev=False)
    parser.add_argument("--config", required=True, type=Path, help="The stage's YAML config.")
    parser.add_argument("--job_run_id", default="", help="{{job.run_id}} of this job run.")
    for name in options:
        parser.add_argument(f"--{name}", default="")
    known, rest = parser.parse_known_args(argv)
    variables: dict[str, str] = {}
    for item in rest:
        name, sep, value = item.removeprefix("--").partition("=")
        if not item.startswith("--") or not sep or not name:
            parser.error(f"expected --name=value, got {item!r}")
        variables[name.replace("-", "_")] = value
    return TaskArguments(
        config=known.config,
        variables=variables,
        job_run_id=known.job_run_id,
        options={name: getattr(known, name) for name in options},
    )


def run_task(task: Callable[[], None]) -> None:
    """Run a task body; a framework error ends it with one line on stderr, no traceback.

    MLflow is pointed at the runtime's stores first, here for every entry point: a job run
    on its own (a schedule, ``databricks-mlops run JOB``) has nothing earlier in the
    process that would have done it."""
    from databricks_mlops.runtime import get_runtime

    try:
        get_runtime().configure_mlflow_environment()
        task()
    except MLOpsError as exc:
        # SystemExit with a message: exit code 1 on Databricks, a FAILED task locally.
        raise SystemExit(f"error: {exc}") from None
    sys.stdout.flush()
