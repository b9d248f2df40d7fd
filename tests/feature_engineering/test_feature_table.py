"""Feature tables by MERGE, metadata, stored state, point-in-time joins — on local Delta."""

from __future__ import annotations

import datetime as dt

import pytest
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from databricks_mlops.config.features import FeatureConfig
from databricks_mlops.feature_engineering import FeatureTransformer
from databricks_mlops.feature_engineering.errors import FeatureEngineeringError
from databricks_mlops.feature_engineering.feature_table import (
    describe_feature_table,
    write_feature_table,
)
from databricks_mlops.feature_engineering.point_in_time import point_in_time_join
from databricks_mlops.feature_engineering.storage import load_state
from databricks_mlops.runtime import Runtime

D = dt.date


def customers(spark: SparkSession, charges: float = 10.0) -> DataFrame:
    return spark.createDataFrame(
        [
            ("a", D(2024, 1, 1), 1, charges),
            ("b", D(2024, 1, 1), 5, 20.0),
            ("c", D(2024, 1, 2), None, 30.0),
        ],
        "customer_id string, event_date date, tenure int, monthly_charges double",
    )


CONFIG = FeatureConfig.model_validate(
    {
        "feature_table_name": "main.features_test.customers",
        "primary_keys": ["customer_id"],
        "timestamp_column": "event_date",
        "description": "test features",
        "tags": {"owner": "tests"},
        "feature_transformations": {
            "tenure": {"type": "numeric_fillna", "strategy": "constant", "value": 0}
        },
    }
)


def test_rerun_changes_nothing_and_a_changed_row_updates_one_key(
    spark: SparkSession, runtime: Runtime
) -> None:
    name = "main.features_test.merge"
    first = write_feature_table(runtime, customers(spark), CONFIG, name)
    assert first.row_count == 3
    again = write_feature_table(runtime, customers(spark), CONFIG, name)
    assert (again.operation, again.rows_inserted, again.rows_updated, again.row_count) == (
        "MERGE",
        0,
        0,
        3,
    )
    changed = write_feature_table(runtime, customers(spark, charges=99.0), CONFIG, name)
    assert (changed.rows_updated, changed.rows_inserted, changed.row_count) == (1, 0, 3)
    assert (
        runtime.read_delta(name)
        .where("monthly_charges = 99.0")
        .select("customer_id")
        .collect()[0][0]
        == "a"
    )


def test_metadata_is_described_like_the_feature_engineering_client(
    spark: SparkSession, runtime: Runtime
) -> None:
    name = "main.features_test.described"
    write_feature_table(runtime, customers(spark), CONFIG, name)
    info = describe_feature_table(runtime, name)
    assert (info.primary_keys, info.timestamp_keys) == (["customer_id"], ["event_date"])
    assert (info.description, info.tags) == ("test features", {"owner": "tests"})


def test_save_to_feature_store_keeps_the_fitted_state_with_the_table(
    spark: SparkSession, runtime: Runtime
) -> None:
    transformer = FeatureTransformer(CONFIG)
    transformer.fit_transform(customers(spark))
    written = transformer.save_to_feature_store(
        feature_table_name="stateful", database_name="main.features_test"
    )
    assert written.name == "main.features_test.stateful"
    restored = FeatureTransformer.from_state(load_state(runtime, "main.features_test.stateful"))
    filled = restored.transform(customers(spark).toPandas())
    assert list(filled["tenure"]) == [1, 5, 0]


def test_repeated_or_null_keys_are_refused_before_writing(
    spark: SparkSession, runtime: Runtime
) -> None:
    doubled = customers(spark).unionByName(customers(spark).limit(1))
    with pytest.raises(
        FeatureEngineeringError, match=r"found 1 repeated key\(s\) and 0 row\(s\) with a NULL key"
    ):
        write_feature_table(runtime, doubled, CONFIG, "main.features_test.never_dup")
    assert not runtime.delta_exists("main.features_test.never_dup")


def test_key_columns_must_exist(spark: SparkSession, runtime: Runtime) -> None:
    with pytest.raises(FeatureEngineeringError, match=r"key columns missing: \['event_date'\]"):
        write_feature_table(
            runtime, customers(spark).drop("event_date"), CONFIG, "main.features_test.never"
        )


def test_point_in_time_join_never_uses_future_features(spark: SparkSession) -> None:
    features = spark.createDataFrame(
        [
            ("a", D(2024, 1, 1), 1.0),
            ("a", D(2024, 2, 1), 2.0),
            ("a", D(2024, 3, 1), 3.0),  # after every label of "a": must never be used
            ("b", D(2024, 5, 1), 9.0),  # after b's label: b gets no features
        ],
        "customer_id string, event_date date, spend double",
    )
    labels = spark.createDataFrame(
        [
            ("a", D(2024, 1, 15), 0),
            ("a", D(2024, 2, 1), 1),
            ("b", D(2024, 1, 1), 1),
            ("c", D(2024, 1, 1), 0),
        ],
        "customer_id string, label_date date, churn int",
    )
    joined = point_in_time_join(
        labels,
        features,
        keys=["customer_id"],
        label_timestamp="label_date",
        feature_timestamp="event_date",
    )
    got = sorted((r.customer_id, r.label_date.isoformat(), r.spend) for r in joined.collect())
    # A leaking join (latest feature row per key) would give 3.0 to both "a" labels and 9.0 to "b".
    assert got == [
        ("a", "2024-01-15", 1.0),
        ("a", "2024-02-01", 2.0),
        ("b", "2024-01-01", None),
        ("c", "2024-01-01", None),
    ]
    assert joined.count() == labels.count()


def test_point_in_time_join_rejects_clashing_columns(spark: SparkSession) -> None:
    labels = spark.createDataFrame(
        [("a", D(2024, 1, 1), 1.0)], "customer_id string, t date, spend double"
    )
    features = labels.withColumn("f_t", F.col("t"))
    with pytest.raises(
        FeatureEngineeringError, match=r"columns in both labels and features: \['spend', 't'\]"
    ):
        point_in_time_join(
            labels, features, keys=["customer_id"], label_timestamp="t", feature_timestamp="f_t"
        )
