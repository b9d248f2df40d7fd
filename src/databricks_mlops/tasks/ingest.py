"""``mlops-ingest``: source -> transformation steps -> Delta table."""

from __future__ import annotations

from collections.abc import Sequence

from databricks_mlops.tasks.arguments import parse_task_arguments, run_task


def main(argv: Sequence[str] | None = None) -> None:
    def body() -> None:
        from databricks_mlops.core.pipeline import DataPipeline
        from databricks_mlops.models.data import DataConfig
        from databricks_mlops.runtime.task_values import set_task_value

        args = parse_task_arguments("mlops-ingest", argv)
        config = DataConfig.from_yaml(args.config, args.variables)
        result = DataPipeline(config).run()
        set_task_value("destination", result.destination)
        set_task_value("table_version", result.table_version)
        set_task_value("rows_written", result.rows_written)
        print(
            f"ingest: {result.operation} {result.destination} version {result.table_version}, "
            f"{result.rows_written} rows written in {result.duration_seconds:.1f}s"
        )

    run_task(body)
