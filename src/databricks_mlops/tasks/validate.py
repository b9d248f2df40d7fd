"""``mlops-validate``: check the batch ``mlops-ingest`` staged, and publish it if it passes.

ERROR rules that fail end the task non-zero, naming them, and nothing is published: the
destination keeps its version and rows, and the rejected batch stays in
``<table>_staging`` for inspection. WARNING rules are reported; ``quarantine: true``
rules hold their failing rows back in ``<table>_quarantine``. With no batch waiting
(run on its own after a publication), the destination itself is validated in place.
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
    """The stage itself (also called by ``MLOpsWorkflow``): validate, publish, record, and
    raise :class:`ValidationFailedError` naming the ERROR rules that failed."""
    from databricks_mlops.core.pipeline import DataPipeline
    from databricks_mlops.runtime import get_runtime
    from databricks_mlops.validation.report import print_result
    from databricks_mlops.validation.run import StagedInput, run_validation

    runtime = get_runtime()
    pipeline = DataPipeline(config, runtime)
    batch = pipeline.pending_batch()
    staged = None
    if batch is not None:
        staged = StagedInput(
            batch.location,
            batch.version,
            lambda passing: pipeline.publish(passing, batch).table_version,
            destination_version=batch.destination_version,
        )
    outcome = run_validation(runtime, config, run_id=run_id or uuid.uuid4().hex[:12], staged=staged)
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


def main(argv: Sequence[str] | None = None) -> None:
    def body() -> None:
        from databricks_mlops.models.data import DataConfig

        args = parse_task_arguments("mlops-validate", argv)
        config = DataConfig.from_yaml(args.config, args.variables)
        run_validate(config, run_id=args.variables.get("run_id") or args.job_run_id)

    run_task(body)
