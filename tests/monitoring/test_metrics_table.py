"""The metrics table: appended per run, one slice per (model, window), readable history."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from pyspark.sql import SparkSession

from databricks_mlops.monitoring.metrics_table import (
    MetricRow,
    MetricsTableError,
    default_metrics_table,
    read_metrics,
    recent_rows,
    write_metrics,
)
from databricks_mlops.runtime import Runtime

TABLE = "main.monitoring_tests.metrics"


def rows(
    run_id: str, window: str, at: datetime, model: str = "m", score: float = 0.2
) -> list[MetricRow]:
    def row(kind: str, metric: str, value: float, **extra: object) -> MetricRow:
        return MetricRow(
            run_id=run_id,
            run_at=at,
            window_id=window,
            window_start=at - timedelta(hours=1),
            window_end=at,
            model_name=model,
            model_version="3",
            kind=kind,
            metric=metric,
            value=value,
            **extra,  # type: ignore[arg-type]
        )

    return [
        row(
            "drift",
            "score",
            score,
            feature="tenure",
            method="ks_test",
            p_value=0.01,
            threshold=0.05,
            flagged=True,
        ),
        row("performance", "accuracy", float("nan"), threshold=0.8),
        row("summary", "drift_score", score, flagged=True),
    ]


def test_reruns_of_a_window_replace_and_new_windows_append(
    spark: SparkSession, runtime: Runtime
) -> None:
    start = datetime(2024, 7, 1, 12)
    write_metrics(runtime, TABLE, rows("r1", "w1", start))
    write_metrics(runtime, TABLE, rows("r1b", "w1", start + timedelta(minutes=5), score=0.3))
    version = write_metrics(runtime, TABLE, rows("r2", "w2", start + timedelta(hours=1)))
    write_metrics(runtime, TABLE, rows("o1", "w1", start, model="other"))
    table = read_metrics(runtime, TABLE, "m")
    assert table.count() == 6  # w1 (re-run replaced) + w2
    assert {r.run_id for r in table.select("run_id").distinct().collect()} == {"r1b", "r2"}
    assert version >= 2
    # the NaN metric is stored as null, the other model's slice is untouched
    assert table.where("metric = 'accuracy' AND value IS NULL").count() == 2
    assert read_metrics(runtime, TABLE, "other").count() == 3
    history = recent_rows(runtime, TABLE, "m")
    assert [r["run_id"] for r in history] == ["r1b", "r1b", "r2", "r2"]
    assert recent_rows(runtime, TABLE, "m", limit_runs=1)[0]["run_id"] == "r2"


def test_one_write_is_one_window(runtime: Runtime) -> None:
    mixed = rows("a", "w1", datetime(2024, 1, 1)) + rows("b", "w2", datetime(2024, 1, 2))
    with pytest.raises(MetricsTableError, match="one write covers one model and window"):
        write_metrics(runtime, TABLE, mixed)
    with pytest.raises(MetricsTableError, match="no metric rows"):
        write_metrics(runtime, TABLE, [])


def test_missing_table_says_run_first(runtime: Runtime) -> None:
    with pytest.raises(MetricsTableError, match="does not exist yet: run the monitoring"):
        read_metrics(runtime, "main.monitoring_tests.never_written", "m")


def test_default_table_is_beside_the_inference_log() -> None:
    assert (
        default_metrics_table("main.s.churn_inference_log")
        == "main.s.churn_inference_log_monitoring"
    )
