"""MERGE / DELETE / OPTIMIZE through SQL: the same on a classic session and on Spark Connect
(``make test-connect``), where the DeltaTable API would need a server plugin."""

from __future__ import annotations

import pytest
from pyspark.sql import SparkSession

from databricks_mlops.runtime import Runtime
from databricks_mlops.runtime.delta_sql import delete_where, merge_into, optimize

TARGETS = ["main.delta_sql.{name}", "dbfs:/delta_sql/{name}"]


def _rows(runtime: Runtime, target: str) -> list[tuple[object, ...]]:
    return sorted(tuple(row) for row in runtime.read_delta(target).collect())


def _seed(spark: SparkSession, runtime: Runtime, target: str) -> None:
    frame = spark.createDataFrame([(1, "a"), (2, "b")], "id long, value string")
    runtime.write_delta(frame.write.format("delta").mode("overwrite"), target)


@pytest.mark.parametrize("pattern", TARGETS)
def test_merge_updates_matches_inserts_the_rest_and_leaves_no_view(
    spark: SparkSession, runtime: Runtime, pattern: str
) -> None:
    target = pattern.format(name="upsert")
    _seed(spark, runtime, target)
    source = spark.createDataFrame([(2, "B"), (3, "c")], "id long, value string")
    merge_into(runtime, target, source, "t.id <=> s.id")
    assert _rows(runtime, target) == [(1, "a"), (2, "B"), (3, "c")]
    assert runtime.delta_history(target, 1).collect()[0]["operation"] == "MERGE"
    assert not [t for t in spark.catalog.listTables() if t.name.startswith("mlops_merge_source")]

    # Re-running the same merge changes no data: it is an upsert, not an append.
    merge_into(runtime, target, source, "t.id <=> s.id")
    assert _rows(runtime, target) == [(1, "a"), (2, "B"), (3, "c")]


def test_insert_only_merge_keeps_matched_rows_and_update_condition_limits_updates(
    spark: SparkSession, runtime: Runtime
) -> None:
    target = "main.delta_sql.insert_only"
    _seed(spark, runtime, target)
    source = spark.createDataFrame([(1, "z"), (4, "d")], "id long, value string")
    merge_into(runtime, target, source, "t.id = s.id", update=False)
    assert _rows(runtime, target) == [(1, "a"), (2, "b"), (4, "d")]

    changed = spark.createDataFrame([(1, "a"), (2, "x")], "id long, value string")
    merge_into(runtime, target, changed, "t.id = s.id", update_condition="t.value <> s.value")
    metrics = runtime.delta_history(target, 1).collect()[0]["operationMetrics"]
    assert metrics["numTargetRowsUpdated"] == "1"  # the unchanged row 1 was not rewritten
    assert _rows(runtime, target) == [(1, "a"), (2, "x"), (4, "d")]


@pytest.mark.parametrize("pattern", TARGETS)
def test_merge_with_schema_evolution_adds_the_new_columns(
    spark: SparkSession, runtime: Runtime, pattern: str
) -> None:
    target = pattern.format(name="evolve")
    _seed(spark, runtime, target)
    source = spark.createDataFrame(
        [(2, "b", 0.5, [1, 2])], "id long, value string, `score-x` double, tags array<int>"
    )
    merge_into(runtime, target, source, "t.id = s.id", evolve_schema=True)
    frame = runtime.read_delta(target)
    assert frame.columns == ["id", "value", "score-x", "tags"]
    assert sorted(tuple(r) for r in frame.collect()) == [
        (1, "a", None, None),
        (2, "b", 0.5, [1, 2]),
    ]


def test_merge_without_schema_evolution_refuses_a_new_column(
    spark: SparkSession, runtime: Runtime
) -> None:
    target = "main.delta_sql.strict"
    _seed(spark, runtime, target)
    source = spark.createDataFrame([(3, "c", 1.0)], "id long, value string, extra double")
    merge_into(runtime, target, source, "t.id = s.id")
    # UPDATE SET * / INSERT * without evolution write the table's columns only.
    assert runtime.read_delta(target).columns == ["id", "value"]
    assert _rows(runtime, target) == [(1, "a"), (2, "b"), (3, "c")]


@pytest.mark.parametrize("pattern", TARGETS)
def test_delete_where_and_optimize_commit_once_each(
    spark: SparkSession, runtime: Runtime, pattern: str
) -> None:
    target = pattern.format(name="delete_optimize")
    _seed(spark, runtime, target)
    delete_where(runtime, target, "NOT COALESCE((`value` = 'a'), FALSE)")
    assert _rows(runtime, target) == [(1, "a")]
    optimize(runtime, target, ["id"])
    operations = [row["operation"] for row in runtime.delta_history(target, 2).collect()]
    assert operations == ["OPTIMIZE", "DELETE"]
