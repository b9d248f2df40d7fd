"""Feature tables are crash-safe and race-safe: metadata in the creating commit, a table left
without it repaired on the next build, a concurrent commit a clear ConcurrentWriteError."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from tests.runtime.delta_race import classic_session_only, commit_inside, gated

from databricks_mlops.config.features import FeatureConfig
from databricks_mlops.errors import ConcurrentWriteError
from databricks_mlops.feature_engineering.build import build_feature_table
from databricks_mlops.feature_engineering.errors import FeatureEngineeringError
from databricks_mlops.feature_engineering.feature_table import (
    describe_feature_table,
    write_feature_table,
)
from databricks_mlops.runtime import Runtime

SCHEMA = "customer_id string, event_date date, tenure int, monthly_charges double"


def customers(spark: SparkSession) -> DataFrame:
    day = dt.date(2024, 1, 1)
    rows = [("a", day, 1, 10.0), ("b", day, 5, 20.0), ("c", day, None, 30.0)]
    return spark.createDataFrame(rows, SCHEMA)


def config_for(table: str) -> FeatureConfig:
    return FeatureConfig.model_validate(
        {
            "feature_table_name": table,
            "primary_keys": ["customer_id"],
            "timestamp_column": "event_date",
            "description": "churn features",
            "tags": {"owner": "tests"},
            "feature_transformations": {
                "tenure": {"type": "numeric_fillna", "strategy": "constant", "value": 0}
            },
        }
    )


def test_the_table_is_created_with_its_metadata_in_one_commit(
    spark: SparkSession, runtime: Runtime
) -> None:
    name = "main.features_commits.created"
    written = write_feature_table(runtime, customers(spark), config_for(name), name)
    history = runtime.delta_history(name).collect()
    assert [(row["version"], row["operation"]) for row in history] == [
        (0, "CREATE TABLE AS SELECT")
    ]
    assert (written.version, written.rows_inserted, written.row_count) == (0, 3, 3)
    created = history[0]["operationParameters"]
    assert json.loads(created["properties"])["databricks_mlops.primary_keys"] == '["customer_id"]'
    assert created["description"] == "churn features"
    info = describe_feature_table(runtime, name)
    assert (info.primary_keys, info.timestamp_keys, info.tags) == (
        ["customer_id"],
        ["event_date"],
        {"owner": "tests"},
    )


def test_a_table_left_without_metadata_is_repaired_by_the_next_build(
    spark: SparkSession, runtime: Runtime
) -> None:
    name = "main.features_commits.half_created"
    # What a run of the old code left when killed between its two commits: the data,
    # written as a plain Delta table, and no feature-table properties.
    runtime.write_delta(customers(spark).write.format("delta").mode("overwrite"), name)
    with pytest.raises(FeatureEngineeringError, match=r"is a Delta table but not a feature table"):
        describe_feature_table(runtime, name)
    before = runtime.delta_history(name, 1).collect()[0]["version"]

    build_feature_table(runtime, config_for(name), source=customers(spark))

    info = describe_feature_table(runtime, name)
    assert (info.primary_keys, info.timestamp_keys) == (["customer_id"], ["event_date"])
    assert (info.description, info.tags) == ("churn features", {"owner": "tests"})
    operations = [
        row["operation"]
        for row in runtime.delta_history(name).orderBy("version").collect()
        if row["version"] > before
    ]
    assert operations == ["SET TBLPROPERTIES", "MERGE"]  # one repair commit, then the data
    assert runtime.read_delta(name).count() == 3
    # Repaired once: the next build commits only its (empty) MERGE.
    build_feature_table(runtime, config_for(name), source=customers(spark))
    latest = runtime.delta_history(name, 1).collect()[0]
    assert (latest["version"], latest["operation"]) == (before + 3, "MERGE")


@classic_session_only
def test_a_merge_that_loses_to_a_concurrent_commit_is_a_concurrent_write_error(
    spark: SparkSession, runtime: Runtime, tmp_path: Path
) -> None:
    name = "main.features_commits.race"
    config = config_for(name)
    write_feature_table(runtime, customers(spark), config, name)
    changed = customers(spark).withColumn("monthly_charges", F.col("monthly_charges") + 1.0)
    source = gated(changed, "monthly_charges", tmp_path)

    def other_run() -> None:  # a concurrent run's commit to the same table
        spark.sql(f"DELETE FROM {runtime.table(name)} WHERE customer_id = 'c'")

    with pytest.raises(
        ConcurrentWriteError,
        match=r"^Another run committed to 'main.features_commits.race' while this feature "
        r"table MERGE was in progress \(Concurrent\w+Exception: .+\); nothing from this "
        r"feature table MERGE was committed\. Re-run the task",
    ):
        commit_inside(
            lambda: write_feature_table(runtime, source, config, name), other_run, tmp_path
        )
    assert sorted(r["customer_id"] for r in runtime.read_delta(name).collect()) == ["a", "b"]
