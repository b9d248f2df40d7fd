"""The quarantine table: one copy per input, whatever the run; older tables upgraded."""

from __future__ import annotations

from pyspark.sql import SparkSession

from databricks_mlops.config.validation import ValidationRule
from databricks_mlops.runtime import Runtime
from databricks_mlops.validation.spark_engine import compile_spark_rules
from databricks_mlops.validation.table_outputs import content_hash, quarantine_rows

RULE = ValidationRule(name="plausible_age", condition="age <= 120", quarantine=True)


def test_content_hash_ignores_row_order_and_the_excluded_columns(spark: SparkSession) -> None:
    first = spark.createDataFrame([(1, 30, "t1"), (2, 150, "t1")], "id int, age int, at string")
    reordered = spark.createDataFrame([(2, 150, "t2"), (1, 30, "t2")], "id int, age int, at string")
    duplicated = spark.createDataFrame(
        [(1, 30, "t1"), (1, 30, "t1"), (2, 150, "t1")], "id int, age int, at string"
    )
    assert content_hash(first, exclude={"at"}) == content_hash(reordered, exclude={"at"})
    assert content_hash(first) != content_hash(reordered)
    assert content_hash(first, exclude={"at"}) != content_hash(duplicated, exclude={"at"})


def test_same_input_replaces_its_rows_and_an_older_table_gets_the_key_column(
    spark: SparkSession, runtime: Runtime
) -> None:
    target = "dbfs:/test/quarantine_upgrade/people"
    # A quarantine table as earlier versions wrote it: no _input_hash column.
    legacy = spark.createDataFrame(
        [(9, 200, "plausible_age", "old-run")],
        "id int, age int, _quarantine_rule string, _validation_run_id string",
    )
    runtime.write_delta(legacy.write.format("delta").mode("overwrite"), f"{target}_quarantine")
    df = spark.createDataFrame([(1, 30), (2, 150)], "id int, age int")
    prepared = compile_spark_rules(df, [RULE])
    key = content_hash(df)
    for run_id in ("r1", "r2"):
        held = quarantine_rows(runtime, target, df, prepared, run_id, input_hash=key)
        assert held is not None and held.rows == 1
    rows = runtime.read_delta(f"{target}_quarantine").collect()
    assert sorted((r.id, r._validation_run_id, r._input_hash) for r in rows) == [
        (2, "r2", key),
        (9, "old-run", None),
    ]
    assert [r.id for r in df.where(~held.failing).collect()] == [1]
