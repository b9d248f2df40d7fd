"""``mlops-ingest``: source -> transformation steps -> a staged batch (or the table itself).

Everything that can be checked before a write is: the source has a header and rows, the
steps apply, the column names are ones Delta can store, and every validation rule
parses and type-checks against the data's schema. Then, when the config has rules, the
batch goes to ``<destination>_staging`` and ``mlops-validate`` publishes it once no ERROR
rule fails: data failing a rule never reaches the destination. A config without rules
has nothing to wait for: its batch is published by this task (through the staging table
all the same, as ``DataPipeline.run`` does).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from databricks_mlops.tasks.arguments import parse_task_arguments, run_task

if TYPE_CHECKING:
    from databricks_mlops.config.data import DataConfig
    from databricks_mlops.ingestion.pipeline import IngestionResult


def run_ingest(config: DataConfig) -> IngestionResult:
    """The ingest stage (``lifecycle.data.ingest_batch``)."""
    from databricks_mlops.lifecycle.data import ingest_batch

    return ingest_batch(config)


def describe(result: IngestionResult) -> str:
    if result.staged_for is not None:
        return (
            f"ingest: staged {result.rows_written} rows in {result.destination} version "
            f"{result.table_version} in {result.duration_seconds:.1f}s; the validate task "
            f"publishes them to {result.staged_for} once no ERROR rule fails"
        )
    return (
        f"ingest: {result.operation} {result.destination} version {result.table_version}, "
        f"{result.rows_written} rows written in {result.duration_seconds:.1f}s"
    )


def main(argv: Sequence[str] | None = None, *, prog: str = "mlops-ingest") -> None:
    def body() -> None:
        from databricks_mlops.config.data import DataConfig

        args = parse_task_arguments(prog, argv)
        print(describe(run_ingest(DataConfig.from_yaml(args.config, args.variables))))

    run_task(body)
