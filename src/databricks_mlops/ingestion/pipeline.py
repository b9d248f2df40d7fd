"""``DataPipeline``: read the source, apply the transformation steps, write Delta tables.

Nothing half-checked is written: an empty source, an unknown column in a step and column
names Delta cannot store all fail before the first write. The ``data_ingestion`` job
publishes in two steps so that data failing an ERROR rule never goes live:

* ``stage`` (the ``ingest`` task) writes the batch to ``<destination>_staging``;
* ``publish`` (the ``validate`` task, once no ERROR rule failed) writes it to the
  destination: ``write_mode: overwrite`` (default) replaces the table in one Delta commit,
  ``merge`` upserts on ``merge_keys``.

``run`` (the one-call API) and ``save`` write the destination directly, unvalidated.
Every destination write is one Delta commit, so a failure at any point leaves the
published table exactly as it was (same version, same rows).
"""

from __future__ import annotations

import dataclasses
import logging
import time
import uuid
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Literal

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from databricks_mlops.config.data import DataConfig
from databricks_mlops.errors import IngestionError, MLOpsError
from databricks_mlops.ingestion.checks import check_column_names, require_data
from databricks_mlops.ingestion.staging import StagedBatch, batch_marker, batch_of, staging_location
from databricks_mlops.ingestion.transform_steps import apply_steps
from databricks_mlops.runtime import Runtime, get_runtime, looks_like_table_name
from databricks_mlops.runtime.delta_commits import stamped_commits
from databricks_mlops.runtime.delta_conflicts import delta_conflicts_as_errors
from databricks_mlops.runtime.delta_sql import merge_into, optimize, quote

logger = logging.getLogger(__name__)

# Spark's CSV reader defaults to no header and all-string columns; nobody wants that here.
_CSV_DEFAULTS = {"header": "true", "inferSchema": "true", "mode": "PERMISSIVE"}


@dataclass(frozen=True)
class IngestionResult:
    status: Literal["success"]
    # The table written: the staging table when the batch waits for validation.
    destination: str
    table_version: int
    rows_written: int
    operation: str
    metrics: dict[str, str] = field(default_factory=dict)
    duration_seconds: float = 0.0
    # Set when the batch was staged: the table ``validate`` publishes it to once it passes.
    staged_for: str | None = None
    batch_id: str | None = None


class DataPipeline:
    def __init__(self, config: DataConfig, runtime: Runtime | None = None) -> None:
        self.config = config
        self.runtime = runtime or get_runtime()

    # -- the stages the documented class diagram names ----------------------------

    def ingest(self) -> DataFrame:
        """Read the source; an empty one (no header, no rows) is an error naming it."""
        cfg = self.config
        options = {**(_CSV_DEFAULTS if cfg.format == "csv" else {}), **cfg.read_options}
        source = repr(cfg.source_path)
        if cfg.format != "table" and self.runtime.path(cfg.source_path) != cfg.source_path:
            source += f" (read from {self.runtime.path(cfg.source_path)})"
        try:
            df = self.runtime.read(cfg.source_path, cfg.format, options)
            require_data(df, source, cfg.format)
        except MLOpsError:
            raise
        except Exception as exc:
            raise IngestionError(
                f"Failed to read source {cfg.source_path!r} ({cfg.format}): {_first_line(exc)}"
            ) from exc
        return df

    def transform(self, df: DataFrame) -> DataFrame:
        """The transformation steps, then the checks on what they produce (names Delta
        can store, the partitioning and Z-order columns present)."""
        df = apply_steps(df, self.config.transformation_steps)
        check_column_names(df)
        missing = [
            c
            for c in self.config.partitioning_columns + self.config.z_order_by
            if c not in df.columns
        ]
        if missing:
            raise IngestionError(
                f"partitioning_columns / z_order_by name columns the data does not have: {missing}"
            )
        return df

    def prepare(self) -> DataFrame:
        """Source -> checked, transformed DataFrame; nothing written yet."""
        return self.transform(self.ingest())

    def save(self, df: DataFrame) -> IngestionResult:
        """Write ``df`` to the destination directly (no staging, no validation)."""
        return self.publish(df)

    def run(self) -> IngestionResult:
        """Read, transform, stage and publish in one call, without validation. The
        ``data_ingestion`` job publishes only after its rules pass instead
        (``databricks_mlops.tasks.ingest`` / ``.validate``)."""
        started = time.perf_counter()
        result = self.publish_staged(self.stage(self.prepare()))
        return self._logged(result, started)

    # -- staging and publication -----------------------------------------------------

    def stage(self, df: DataFrame) -> IngestionResult:
        """Write ``df`` to the staging table as a new batch; the destination is untouched."""
        started = time.perf_counter()
        staging = staging_location(self.config.destination_path)
        batch_id = uuid.uuid4().hex
        writer = (
            df.write.format("delta")
            .mode("overwrite")
            .option("overwriteSchema", "true")
            .option("userMetadata", batch_marker(batch_id))
        )
        try:
            with delta_conflicts_as_errors(staging, "staging write"):
                self.runtime.write_delta(writer, staging)
        except MLOpsError:
            raise
        except Exception as exc:
            raise IngestionError(
                f"Failed to write the staging table {staging!r}: {_first_line(exc)}"
            ) from exc
        result = self._result(staging, time.perf_counter() - started)
        result = dataclasses.replace(
            result, staged_for=self.config.destination_path, batch_id=batch_id
        )
        return self._logged(result, started)

    def publish_staged(self, staged: IngestionResult) -> IngestionResult:
        """Publish the batch ``stage`` just wrote, as it was written (read back at its
        version, so the destination gets exactly the rows staged)."""
        if staged.staged_for is None or staged.batch_id is None:
            raise IngestionError(f"{staged.destination!r} holds no staged batch to publish")
        batch = StagedBatch(
            staged.destination, staged.table_version, staged.batch_id, staged.staged_for, None
        )
        return self.publish(self.runtime.read_delta(batch.location, batch.version), batch)

    def pending_batch(self) -> StagedBatch | None:
        """The staged batch no destination commit has published yet, if there is one."""
        staging = staging_location(self.config.destination_path)
        destination = self.config.destination_path
        if not self.runtime.delta_exists(staging):
            return None
        last = self.runtime.delta_history(staging, 1).collect()[0]
        batch_id = batch_of(last["userMetadata"])
        if batch_id is None:
            return None
        destination_version: int | None = None
        if self.runtime.delta_exists(destination):
            history = self.runtime.delta_history(destination)
            if history.where(F.col("userMetadata") == batch_marker(batch_id)).limit(1).count():
                return None
            destination_version = int(history.agg(F.max("version")).collect()[0][0])
        return StagedBatch(
            staging, int(last["version"]), batch_id, destination, destination_version
        )

    def publish(self, df: DataFrame, batch: StagedBatch | None = None) -> IngestionResult:
        """Write ``df`` to the destination (overwrite or merge, as ``write_mode`` says) in
        one commit; with ``batch``, that commit also records the batch as published."""
        started = time.perf_counter()
        cfg = self.config
        target = cfg.destination_path
        marker = batch_marker(batch.batch_id) if batch is not None else None
        try:
            with delta_conflicts_as_errors(target, "publication"):
                if cfg.write_mode == "merge" and self.runtime.delta_exists(target):
                    # A MERGE has no writer option: the batch marker goes in a session
                    # setting for this one commit.
                    stamp = (
                        stamped_commits(self.runtime.spark, marker)
                        if marker is not None
                        else nullcontext()
                    )
                    with stamp:
                        self._merge(df)
                else:
                    self._overwrite(df, marker)
            if cfg.table_name and not looks_like_table_name(target):
                self.runtime.register_table(cfg.table_name, target)
            if cfg.z_order_by:
                with delta_conflicts_as_errors(target, "OPTIMIZE ZORDER BY"):
                    optimize(self.runtime, target, cfg.z_order_by)
        except MLOpsError:
            raise
        except Exception as exc:
            raise IngestionError(
                f"Failed to write Delta table {target!r}: {_first_line(exc)}"
            ) from exc
        result = self._result(target, time.perf_counter() - started)
        if batch is not None:
            result = dataclasses.replace(result, batch_id=batch.batch_id)
        return result

    # -- Delta I/O ------------------------------------------------------------------------

    def _overwrite(self, df: DataFrame, marker: str | None) -> None:
        writer = (
            df.write.format("delta")
            .mode("overwrite")
            .option("overwriteSchema", "true")
            .partitionBy(*self.config.partitioning_columns)
        )
        if marker is not None:
            writer = writer.option("userMetadata", marker)
        self.runtime.write_delta(writer, self.config.destination_path)

    def _merge(self, df: DataFrame) -> None:
        keys = self.config.merge_keys
        condition = " AND ".join(f"t.{quote(k)} <=> s.{quote(k)}" for k in keys)
        try:
            merge_into(self.runtime, self.config.destination_path, df, condition)
        except Exception as exc:
            hint = ""
            if "multiple source rows matched" in str(
                exc
            ).lower() or "DELTA_MULTIPLE_SOURCE_ROW" in str(exc):
                hint = f" (the source has duplicate {keys}: add a deduplicate step on them)"
            raise IngestionError(
                f"Failed to MERGE into {self.config.destination_path!r}{hint}: {_first_line(exc)}"
            ) from exc

    def _result(self, target: str, duration: float) -> IngestionResult:
        recent = self.runtime.delta_history(target, 3).collect()
        # OPTIMIZE (z_order_by) commits after the write; the row counts are the write's.
        last = next((row for row in recent if row["operation"] != "OPTIMIZE"), recent[0])
        metrics = {k: str(v) for k, v in (last["operationMetrics"] or {}).items()}
        if last["operation"] == "MERGE":
            rows = int(metrics.get("numTargetRowsInserted", 0)) + int(
                metrics.get("numTargetRowsUpdated", 0)
            )
        else:
            rows = int(metrics.get("numOutputRows", 0))
        return IngestionResult(
            status="success",
            destination=target,
            table_version=int(recent[0]["version"]),
            rows_written=rows,
            operation=str(last["operation"]),
            metrics=metrics,
            duration_seconds=duration,
        )

    @staticmethod
    def _logged(result: IngestionResult, started: float) -> IngestionResult:
        elapsed = time.perf_counter() - started
        logger.info(
            "%s %s rows into %s (version %s) in %.1fs",
            "staged" if result.staged_for else "ingested",
            result.rows_written,
            result.destination,
            result.table_version,
            elapsed,
        )
        return dataclasses.replace(result, duration_seconds=elapsed)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
