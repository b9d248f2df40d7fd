"""``mlops-validate``: check the batch ``mlops-ingest`` staged, and publish it if it passes.

ERROR rules that fail end the task non-zero, naming them, and nothing is published: the
destination keeps its version and rows, and the rejected batch stays in
``<table>_staging`` for inspection. WARNING rules are reported; ``quarantine: true``
rules hold their failing rows back in ``<table>_quarantine``. With no batch waiting
(run on its own after a publication), the destination itself is validated in place.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from databricks_mlops.tasks.arguments import parse_task_arguments, run_task

if TYPE_CHECKING:
    from databricks_mlops.config.data import DataConfig
    from databricks_mlops.validation.validation_run import ValidationRun


def run_validate(config: DataConfig, *, run_id: str | None = None) -> ValidationRun:
    """The validate stage (``lifecycle.data.validate_batch``), reported, then
    :class:`ValidationFailedError` naming the ERROR rules that failed."""
    from databricks_mlops.lifecycle.data import validate_batch
    from databricks_mlops.validation.console_report import print_result

    outcome = validate_batch(config, run_id=run_id)
    print_result(
        outcome.result,
        title=f"validation of {outcome.validated} version {outcome.validated_version}",
    )
    print(f"validate: report {outcome.report_path}; {outcome.quarantined} rows quarantined")
    if outcome.data_docs is not None:
        print(f"validate: Great Expectations Data Docs {outcome.data_docs}")
    outcome.raise_for_errors()
    if outcome.published_version is not None:
        print(f"validate: published {config.destination_path} version {outcome.published_version}")
    return outcome


def require_engine(engine: str, config_path: object) -> None:
    """Fail before any Spark work when the chosen engine is not installed in this task.

    A task installs exactly the project's wheel and what it requires: Great Expectations is
    there only if the project depends on ``databricks-mlops[gx]``.
    """
    from importlib.util import find_spec

    from databricks_mlops.errors import ConfigError

    if engine == "great_expectations" and find_spec("great_expectations") is None:
        raise ConfigError(
            f"{config_path}: validation.engine is great_expectations, but great_expectations "
            "is not installed in this task's environment: depend on databricks-mlops[gx] "
            "in pyproject.toml (same version), then `uv sync` and redeploy (README: "
            "Validation engine), or set engine: spark"
        )


def main(argv: Sequence[str] | None = None, *, prog: str = "mlops-validate") -> None:
    def body() -> None:
        from databricks_mlops.config.data import DataConfig

        args = parse_task_arguments(prog, argv, options=("run_id",))
        config = DataConfig.from_yaml(args.config, args.variables)
        require_engine(config.validation.engine, args.config)
        run_validate(config, run_id=args.options["run_id"] or args.job_run_id)

    run_task(body)
