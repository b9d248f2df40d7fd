"""The monitoring metrics table: one Delta table of every run's drift and performance rows.

A run writes all its rows in one ``replaceWhere`` overwrite of its own
``(model_name, window_id)`` slice, so re-running the monitoring of the same window replaces
that window's rows (one atomic commit) instead of appending duplicates, and other windows
and models are untouched.

Row kinds:

* ``drift``: one per (feature, method): ``value`` is the score, ``p_value`` when the method
  has one, ``flagged`` = drifting;
* ``performance``: one per metric: ``value``, ``threshold`` (alert threshold), ``baseline``
  (baseline run's value), ``flagged`` = breached;
* ``summary``: run-level values (``drift_score``, ``drifting_features``, ``current_rows``,
  ``labelled_rows``), ``flagged`` on ``drift_score`` = drift detected.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from databricks_mlops.errors import MLOpsError
from databricks_mlops.expressions.sql_backend import sql_string
from databricks_mlops.monitoring.errors import MonitoringError
from databricks_mlops.runtime.delta_conflicts import delta_conflicts_as_errors

if TYPE_CHECKING:
    from pyspark.sql import DataFrame
    from pyspark.sql.types import StructType

    from databricks_mlops.runtime import Runtime

HISTORY_RUN_LIMIT = 200
"""At most this many past runs are read back for status and trend plots."""


class MetricsTableError(MonitoringError):
    """The monitoring metrics table cannot be written or read."""


@dataclass(frozen=True)
class MetricRow:
    run_id: str
    run_at: datetime
    window_id: str
    window_start: datetime | None
    window_end: datetime | None
    model_name: str
    model_version: str | None
    kind: str
    metric: str
    value: float | None
    feature: str | None = None
    method: str | None = None
    p_value: float | None = None
    threshold: float | None = None
    baseline: float | None = None
    flagged: bool = False
    details: str | None = None


def metrics_schema() -> StructType:
    from pyspark.sql.types import (
        BooleanType,
        DoubleType,
        StringType,
        StructField,
        StructType,
        TimestampType,
    )

    text, number, time = StringType(), DoubleType(), TimestampType()
    fields = [
        ("run_id", text, False),
        ("run_at", time, False),
        ("window_id", text, False),
        ("window_start", time, True),
        ("window_end", time, True),
        ("model_name", text, False),
        ("model_version", text, True),
        ("kind", text, False),
        ("metric", text, False),
        ("value", number, True),
        ("feature", text, True),
        ("method", text, True),
        ("p_value", number, True),
        ("threshold", number, True),
        ("baseline", number, True),
        ("flagged", BooleanType(), False),
        ("details", text, True),
    ]
    return StructType([StructField(name, kind, nullable) for name, kind, nullable in fields])


def default_metrics_table(inference_table: str) -> str:
    """``<inference log>_monitoring`` (a sibling table, or a sibling path)."""
    return inference_table.rstrip("/") + "_monitoring"


def write_metrics(runtime: Runtime, table: str, rows: list[MetricRow]) -> int:
    """Replace the ``(model_name, window_id)`` slice of ``rows`` in ``table``; returns the
    Delta version written."""
    if not rows:
        raise MetricsTableError(f"no metric rows to write to {table}")
    slices = {(row.model_name, row.window_id) for row in rows}
    if len(slices) != 1:
        raise MetricsTableError(f"one write covers one model and window, got {sorted(slices)}")
    model_name, window_id = slices.pop()
    values = [_clean(asdict(row)) for row in rows]
    frame = runtime.spark.createDataFrame(values, schema=metrics_schema())
    writer = frame.write.format("delta")
    try:
        if runtime.delta_exists(table):
            predicate = (
                f"model_name = {sql_string(model_name)} AND window_id = {sql_string(window_id)}"
            )
            writer = writer.mode("overwrite").option("replaceWhere", predicate)
        else:
            writer = writer.mode("overwrite")
        with delta_conflicts_as_errors(table, "monitoring metrics write"):
            runtime.write_delta(writer, table)
        return int(runtime.delta_history(table, 1).collect()[0]["version"])
    except MLOpsError:
        raise
    except Exception as exc:  # Spark / Delta errors have no common base worth naming
        raise MetricsTableError(f"Failed to write monitoring metrics to {table}: {exc}") from exc


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    # NaN (a metric undefined on one class) is stored as null: Delta keeps NaN, but
    # aggregations over history would then propagate it.
    value = row.get("value")
    if isinstance(value, float) and value != value:
        row["value"] = None
    return row


def read_metrics(runtime: Runtime, table: str, model_name: str | None = None) -> DataFrame:
    """The table (optionally one model's rows) as a Spark DataFrame."""
    from pyspark.sql import functions as F

    if not runtime.delta_exists(table):
        raise MetricsTableError(
            f"monitoring metrics table {table} does not exist yet: run the monitoring "
            "(mlops-monitor / ModelMonitor.run) at least once"
        )
    frame = runtime.read_delta(table)
    if model_name is not None:
        frame = frame.where(F.col("model_name") == model_name)
    return frame


def recent_rows(
    runtime: Runtime,
    table: str,
    model_name: str,
    *,
    kinds: tuple[str, ...] = ("summary", "performance"),
    limit_runs: int = HISTORY_RUN_LIMIT,
) -> list[dict[str, Any]]:
    """Rows of ``kinds`` for the model's last ``limit_runs`` runs, oldest first, as dicts.

    Bounded: a run writes a handful of summary/performance rows, so this is at most a few
    thousand small rows whatever the size of the monitored data."""
    from pyspark.sql import functions as F

    frame = read_metrics(runtime, table, model_name)
    runs = (
        frame.select("run_id", "run_at")
        .distinct()
        .orderBy(F.col("run_at").desc())
        .limit(limit_runs)
    )
    rows = (
        frame.where(F.col("kind").isin(*kinds))
        .join(runs.select("run_id"), "run_id")
        .orderBy("run_at", "kind", "metric")
        .collect()
    )
    return [row.asDict() for row in rows]
