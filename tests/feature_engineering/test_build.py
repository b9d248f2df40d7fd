"""The feature job's library half: state reuse, stamped commits, exact-key updates."""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from databricks_mlops.config.features import FeatureConfig
from databricks_mlops.feature_engineering.build import build_feature_table
from databricks_mlops.feature_engineering.storage import load_state
from databricks_mlops.runtime import Runtime


def source(spark: SparkSession, tenure_of_a: int = 1) -> DataFrame:
    rows = [
        (f"c{i}", dt.date(2024, 1, 1), i + 1, "One year" if i % 2 else "Two year")
        for i in range(20)
    ]
    rows[0] = ("c0", dt.date(2024, 1, 1), tenure_of_a, "Two year")
    return spark.createDataFrame(
        rows, "customer_id string, event_date date, tenure int, contract string"
    )


def config(table: str, method: str = "standard") -> FeatureConfig:
    return FeatureConfig.model_validate(
        {
            "feature_table_name": table,
            "primary_keys": ["customer_id"],
            "timestamp_column": "event_date",
            "feature_transformations": {
                "tenure_scaled": {"type": "scaling", "source_column": "tenure", "method": method},
                "contract_flag": {"type": "one_hot_encode", "source_column": "contract"},
            },
        }
    )


def test_changing_one_source_row_updates_exactly_that_key(
    spark: SparkSession, runtime: Runtime
) -> None:
    table = "main.build_test.features"
    first = build_feature_table(runtime, config(table), source=source(spark))
    assert first.refitted
    again = build_feature_table(runtime, config(table), source=source(spark))
    assert (again.refitted, again.write.rows_updated, again.write.rows_inserted) == (False, 0, 0)
    # A transformed input changes for one key: with the stored state reused, only it moves.
    changed = build_feature_table(runtime, config(table), source=source(spark, tenure_of_a=50))
    assert (changed.write.rows_updated, changed.write.rows_inserted) == (1, 0)
    assert changed.state_hash == first.state_hash
    moved = runtime.read_delta(table).where(F.col("customer_id") == "c0").first()
    assert moved is not None and moved["tenure"] == 50


def test_table_versions_map_to_the_state_they_were_built_with(
    spark: SparkSession, runtime: Runtime
) -> None:
    table = "main.build_test.versioned"
    v1 = build_feature_table(runtime, config(table, "standard"), source=source(spark))
    v2 = build_feature_table(runtime, config(table, "min_max"), source=source(spark))
    assert v2.refitted and v2.reason == "the config's transforms changed"
    old = load_state(runtime, table, version=v1.write.version)
    new = load_state(runtime, table)
    assert old.transforms["tenure_scaled"].method == "standard"  # type: ignore[union-attr]
    assert new.transforms["tenure_scaled"].method == "min_max"  # type: ignore[union-attr]


def test_refit_on_request(spark: SparkSession, runtime: Runtime) -> None:
    table = "main.build_test.refit"
    build_feature_table(runtime, config(table), source=source(spark))
    refitted = build_feature_table(
        runtime, config(table), source=source(spark, tenure_of_a=500), refit=True
    )
    assert refitted.refitted and refitted.reason == "refit requested"
    assert refitted.write.rows_updated == 20  # new mean and std move every scaled value
