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

import dataclasses
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from databricks_mlops.tasks.arguments import parse_task_arguments, run_task

if TYPE_CHECKING:
    from databricks_mlops.core.pipeline import IngestionResult
    from databricks_mlops.models.data import DataConfig


def has_validation(config: DataConfig) -> bool:
    """Whether the batch must pass ``validate`` before it is published."""
    return bool(config.validation_rules or config.validation.expectations)


def run_ingest(config: DataConfig) -> IngestionResult:
    """The stage itself (also called by ``MLOpsWorkflow``): stage the batch for
    ``run_validate`` (or, with no rules to pass, write the destination)."""
    from databricks_mlops.core.pipeline import DataPipeline
    from databricks_mlops.expressions import schema_from_spark
    from databricks_mlops.validation.rules import prepare_rules

    started = time.perf_counter()
    pipeline = DataPipeline(config)
    df = pipeline.prepare()
    gated = has_validation(config)
    if gated:
        # A rule that cannot run is found now, before anything is written.
        prepare_rules(config.validation_rules, schema_from_spark(df.schema))
    result = pipeline.stage(df)
    if not gated:
        # Published through the staging table all the same, so that no older batch is
        # left pending there for a later validate task to publish over this one.
        result = pipeline.publish_staged(result)
    result = dataclasses.replace(result, duration_seconds=time.perf_counter() - started)
    return result


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


def main(argv: Sequence[str] | None = None) -> None:
    def body() -> None:
        from databricks_mlops.models.data import DataConfig

        args = parse_task_arguments("mlops-ingest", argv)
        print(describe(run_ingest(DataConfig.from_yaml(args.config, args.variables))))

    run_task(body)
