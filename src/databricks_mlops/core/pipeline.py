"""``DataPipeline``: read the source, apply the transformation steps, write a Delta table.

Re-running is idempotent: ``write_mode: overwrite`` (default) replaces the table in a single
Delta commit, ``merge`` upserts on ``merge_keys``; both leave the previous table version
readable when anything fails before the commit (Delta commits are atomic).
"""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from pyspark.sql import DataFrame

from databricks_mlops.core.transform_steps import apply_steps
from databricks_mlops.errors import IngestionError, MLOpsError
from databricks_mlops.models.data import DataConfig
from databricks_mlops.runtime import Runtime, get_runtime, looks_like_table_name

if TYPE_CHECKING:
    from delta.tables import DeltaTable

logger = logging.getLogger(__name__)

# Spark's CSV reader defaults to no header and all-string columns; nobody wants that here.
_CSV_DEFAULTS = {"header": "true", "inferSchema": "true", "mode": "PERMISSIVE"}


@dataclass(frozen=True)
class IngestionResult:
    status: Literal["success"]
    destination: str
    table_version: int
    rows_written: int
    operation: str
    metrics: dict[str, str] = field(default_factory=dict)
    duration_seconds: float = 0.0


class DataPipeline:
    def __init__(self, config: DataConfig, runtime: Runtime | None = None) -> None:
        self.config = config
        self.runtime = runtime or get_runtime()

    # -- the stages the seed's class diagram names --------------------------------------

    def ingest(self) -> DataFrame:
        cfg = self.config
        options = {**(_CSV_DEFAULTS if cfg.format == "csv" else {}), **cfg.read_options}
        try:
            return self.runtime.read(cfg.source_path, cfg.format, options)
        except Exception as exc:
            raise IngestionError(
                f"Failed to read source {cfg.source_path!r} ({cfg.format}): {_first_line(exc)}"
            ) from exc

    def transform(self, df: DataFrame) -> DataFrame:
        return apply_steps(df, self.config.transformation_steps)

    def save(self, df: DataFrame) -> IngestionResult:
        started = time.perf_counter()
        cfg = self.config
        target = cfg.destination_path
        try:
            if cfg.write_mode == "merge" and self.runtime.delta_exists(target):
                self._merge(df)
            else:
                self._overwrite(df)
            if cfg.table_name and not looks_like_table_name(target):
                self.runtime.register_table(cfg.table_name, target)
            if cfg.z_order_by:
                self._delta_table().optimize().executeZOrderBy(*cfg.z_order_by)
        except MLOpsError:
            raise
        except Exception as exc:
            raise IngestionError(
                f"Failed to write Delta table {target!r}: {_first_line(exc)}"
            ) from exc
        return self._result(time.perf_counter() - started)

    def run(self) -> IngestionResult:
        started = time.perf_counter()
        df = self.transform(self.ingest())
        missing = [
            c
            for c in self.config.partitioning_columns + self.config.z_order_by
            if c not in df.columns
        ]
        if missing:
            raise IngestionError(
                f"partitioning_columns / z_order_by name columns the data does not have: {missing}"
            )
        result = self.save(df)
        elapsed = time.perf_counter() - started
        logger.info(
            "ingested %s rows into %s (version %s) in %.1fs",
            result.rows_written,
            result.destination,
            result.table_version,
            elapsed,
        )
        return dataclasses.replace(result, duration_seconds=elapsed)

    # -- Delta I/O ------------------------------------------------------------------------

    def _delta_table(self) -> DeltaTable:
        return self.runtime.delta_table(self.config.destination_path)

    def _overwrite(self, df: DataFrame) -> None:
        writer = (
            df.write.format("delta")
            .mode("overwrite")
            .option("overwriteSchema", "true")
            .partitionBy(*self.config.partitioning_columns)
        )
        self.runtime.write_delta(writer, self.config.destination_path)

    def _merge(self, df: DataFrame) -> None:
        keys = self.config.merge_keys
        condition = " AND ".join(f"target.`{k}` <=> source.`{k}`" for k in keys)
        try:
            (
                self._delta_table()
                .alias("target")
                .merge(df.alias("source"), condition)
                .whenMatchedUpdateAll()
                .whenNotMatchedInsertAll()
                .execute()
            )
        except Exception as exc:
            hint = ""
            if "multiple source rows matched" in str(
                exc
            ).lower() or "DELTA_MULTIPLE_SOURCE_ROW" in str(exc):
                hint = f" (the source has duplicate {keys}: add a deduplicate step on them)"
            raise IngestionError(
                f"Failed to MERGE into {self.config.destination_path!r}{hint}: {_first_line(exc)}"
            ) from exc

    def _result(self, duration: float) -> IngestionResult:
        recent = self._delta_table().history(3).collect()
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
            destination=self.config.destination_path,
            table_version=int(recent[0]["version"]),
            rows_written=rows,
            operation=str(last["operation"]),
            metrics=metrics,
            duration_seconds=duration,
        )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
