"""``mlops-ingest``: source -> transformation steps -> Delta table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from databricks_mlops.tasks.arguments import parse_task_arguments, run_task

if TYPE_CHECKING:
    from databricks_mlops.core.pipeline import IngestionResult
    from databricks_mlops.models.data import DataConfig


def run_ingest(config: DataConfig) -> IngestionResult:
    """The stage itself (also called by ``MLOpsWorkflow``): write the destination table."""
    from databricks_mlops.core.pipeline import DataPipeline
    from databricks_mlops.runtime.task_values import set_task_value

    result = DataPipeline(config).run()
    set_task_value("destination", result.destination)
    set_task_value("table_version", result.table_version)
    set_task_value("rows_written", result.rows_written)
    return result


def main(argv: Sequence[str] | None = None) -> None:
    def body() -> None:
        from databricks_mlops.models.data import DataConfig

        args = parse_task_arguments("mlops-ingest", argv)
        result = run_ingest(DataConfig.from_yaml(args.config, args.variables))
        print(
            f"ingest: {result.operation} {result.destination} version {result.table_version}, "
            f"{result.rows_written} rows written in {result.duration_seconds:.1f}s"
        )

    run_task(body)
