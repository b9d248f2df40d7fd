"""``mlops-validate``: check the ingested table against the config's rules.

ERROR rules that fail end the task non-zero, naming them; WARNING rules are reported;
``quarantine: true`` rules move their failing rows to ``<table>_quarantine``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING

from databricks_mlops.tasks.arguments import parse_task_arguments, run_task

if TYPE_CHECKING:
    from databricks_mlops.models.data import DataConfig
    from databricks_mlops.validation.run import ValidationRun


def run_validate(config: DataConfig, *, run_id: str | None = None) -> ValidationRun:
    """The stage itself (also called by ``MLOpsWorkflow``): validate, record, and raise
    :class:`ValidationFailedError` naming the ERROR rules that failed."""
    from databricks_mlops.errors import ValidationFailedError
    from databricks_mlops.runtime import get_runtime
    from databricks_mlops.runtime.task_values import set_task_value
    from databricks_mlops.validation.report import print_result
    from databricks_mlops.validation.run import run_validation

    outcome = run_validation(get_runtime(), config, run_id=run_id or uuid.uuid4().hex[:12])
    print_result(outcome.result, title=f"validation of {config.destination_path}")
    print(f"validate: report {outcome.report_path}; {outcome.quarantined} rows quarantined")
    if outcome.data_docs is not None:
        print(f"validate: Great Expectations Data Docs {outcome.data_docs}")
    set_task_value("validation_passed", outcome.result.passed)
    set_task_value("failed_rules", [r.name for r in outcome.result.failures])
    if not outcome.result.passed:
        names = ", ".join(r.name for r in outcome.result.errors)
        raise ValidationFailedError(
            f"{len(outcome.result.errors)} ERROR rule(s) failed on "
            f"{config.destination_path}: {names} (details: {outcome.report_path})"
        )
    return outcome


def main(argv: Sequence[str] | None = None) -> None:
    def body() -> None:
        from databricks_mlops.models.data import DataConfig

        args = parse_task_arguments("mlops-validate", argv)
        config = DataConfig.from_yaml(args.config, args.variables)
        run_validate(config, run_id=args.variables.get("run_id"))

    run_task(body)
