"""``fit`` learns every statistic in one aggregation, however many columns it covers."""

from __future__ import annotations

from typing import Any

import pytest
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from tests.spark_jobs import jobs_run_by

from databricks_mlops.config.features import FeatureConfig
from databricks_mlops.feature_engineering import FeatureTransformer


@pytest.fixture(scope="module")
def million(spark: SparkSession) -> DataFrame:
    columns = [
        (F.col("id") % 97).cast("double").alias(f"x{i}")
        if i % 2
        else (F.col("id") * (i + 1) % 1013).alias(f"x{i}")
        for i in range(6)
    ]
    kinds = F.concat(F.lit("k"), (F.col("id") % 5).cast("string"))
    return spark.range(1_000_000).select("id", *columns, kinds.alias("kind"))


def config(columns: int) -> FeatureConfig:
    transforms: dict[str, Any] = {}
    for i in range(columns):
        transforms[f"x{i}"] = {"type": "numeric_fillna", "strategy": "median" if i % 3 else "mean"}
        transforms[f"x{i}_scaled"] = {"type": "scaling", "source_column": f"x{i}"}
        transforms[f"x{i}_mm"] = {"type": "scaling", "source_column": f"x{i}", "method": "min_max"}
    transforms["kind"] = "one_hot_encode"
    return FeatureConfig.model_validate(
        {"name": "jobs", "primary_keys": ["id"], "timestamp_column": "id", "transforms": transforms}
    )


def test_fit_runs_as_many_jobs_as_one_hand_written_aggregation(
    spark: SparkSession, million: DataFrame
) -> None:
    # AQE may split a global aggregation into two jobs, so the baseline is measured.
    baseline = jobs_run_by(lambda: million.agg(F.avg("x0")).first())
    one_column = jobs_run_by(lambda: FeatureTransformer(config(1)).fit(million))
    six_columns = jobs_run_by(lambda: FeatureTransformer(config(6)).fit(million))
    assert 1 <= baseline <= 2
    assert one_column == baseline
    assert six_columns == baseline  # 19 transforms, 36 statistics: still one aggregation


def test_fit_with_nothing_to_learn_runs_no_job(spark: SparkSession, million: DataFrame) -> None:
    transforms = {
        "x1_log": {"type": "log1p", "source_column": "x1"},
        "x0_bin": {"type": "binning", "source_column": "x0", "bins": [0, 10, 2000]},
    }
    config = FeatureConfig.model_validate(
        {"name": "none", "primary_keys": ["id"], "timestamp_column": "id", "transforms": transforms}
    )
    assert jobs_run_by(lambda: FeatureTransformer(config).fit(million)) == 0


def test_fit_statistics_on_a_million_rows(million: DataFrame) -> None:
    state = FeatureTransformer(config(2)).fit(million)
    assert state.row_count == 1_000_000
    assert state.fitted["x1_mm"].statistics == {"minimum": 0.0, "maximum": 96.0}
    assert state.fitted["kind"].categories == ["k0", "k1", "k2", "k3", "k4"]
    # percentile_approx at accuracy 10_000: within 1/10_000 of the rank of the true median 48.
    assert abs(state.fitted["x1"].statistics["fill_value"] - 48.0) <= 1.0
