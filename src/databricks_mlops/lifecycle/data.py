"""The data stages both entry points and ``MLOpsWorkflow`` run: ingest stages a batch,
validate checks it and publishes it only when no ERROR rule failed (so a rejected batch
leaves the destination as it was). They return results; the callers print and raise."""

from __future__ import annotations

import dataclasses
import time
import uuid
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from databricks_mlops.config.data import DataConfig
    from databricks_mlops.ingestion.pipeline import IngestionResult
    from databricks_mlops.validation.validation_run import ValidationRun


def has_validation(config: DataConfig) -> bool:
    """Whether the batch must pass ``validate`` before it is published."""
    return bool(config.validation_rules or config.validation.expectations)


def ingest_batch(config: DataConfig) -> IngestionResult:
    """Stage the batch for :func:`validate_batch` (or, with no rules to pass, write the
    destination)."""
    from databricks_mlops.expressions import schema_from_spark
    from databricks_mlops.ingestion.pipeline import DataPipeline
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


def validate_batch(config: DataConfig, *, run_id: str | None = None) -> ValidationRun:
    """Validate the batch ``ingest_batch`` staged (or, with none waiting, the destination in
    place), publish it when no ERROR rule failed, and record the run. Does not raise on
    failed rules: ``ValidationRun.raise_for_errors()`` does."""
    from databricks_mlops.ingestion.pipeline import DataPipeline
    from databricks_mlops.runtime import get_runtime
    from databricks_mlops.validation.validation_run import StagedInput, run_validation

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
    return run_validation(runtime, config, run_id=run_id or uuid.uuid4().hex[:12], staged=staged)
