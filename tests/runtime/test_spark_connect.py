"""Local Spark Connect mode (``MLOPS_SPARK_CONNECT=1``): serverless semantics on this machine.

The tests that need a Connect session run when the suite's session is one
(``MLOPS_SPARK_CONNECT=1 uv run pytest tests/runtime/test_spark_connect.py``, or
``make test-connect``); a classic and a Connect session cannot share a process.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pyspark.errors import PySparkAttributeError, PySparkNotImplementedError
from pyspark.sql import SparkSession

from databricks_mlops.errors import RuntimeSetupError
from databricks_mlops.runtime import Runtime
from databricks_mlops.runtime.local_spark import (
    is_connect_session,
    spark_connect_requested,
)

connect_only = pytest.mark.skipif(
    not spark_connect_requested(), reason="needs the suite's session on Spark Connect"
)


def test_the_switch_rejects_a_value_it_does_not_know(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLOPS_SPARK_CONNECT", "serverless")
    with pytest.raises(
        RuntimeSetupError, match=r"MLOPS_SPARK_CONNECT='serverless' is not a switch"
    ):
        spark_connect_requested()
    monkeypatch.setenv("MLOPS_SPARK_CONNECT", "1")
    assert spark_connect_requested()
    monkeypatch.setenv("MLOPS_SPARK_CONNECT", "0")
    assert not spark_connect_requested()


@connect_only
def test_the_local_session_is_a_connect_client_without_jvm_handles(spark: SparkSession) -> None:
    """What serverless refuses fails here too: code reaching for the JVM breaks locally."""
    assert is_connect_session(spark)
    frame = spark.range(3)
    assert type(frame).__module__ == "pyspark.sql.connect.dataframe"
    with pytest.raises(PySparkAttributeError, match="JVM_ATTRIBUTE_NOT_SUPPORTED"):
        _ = frame._jdf
    with pytest.raises(PySparkAttributeError, match="JVM_ATTRIBUTE_NOT_SUPPORTED"):
        _ = spark.sparkContext
    with pytest.raises(PySparkNotImplementedError, match="rdd is not implemented"):
        _ = frame.rdd


@connect_only
def test_delta_round_trip_over_connect(runtime: Runtime, spark: SparkSession) -> None:
    """saveAsTable at the table's location, MERGE, history and time travel through SQL and
    the DataFrame API, by table name and by path."""
    name = "main.connect.scores"
    first = spark.createDataFrame([(1, 0.5), (2, 0.7)], "id INT, score DOUBLE")
    runtime.write_delta(first.write.format("delta").mode("overwrite"), name)
    table = runtime.table(name)
    spark.sql(
        f"MERGE INTO {table} AS t USING (SELECT 2 AS id, 0.9D AS score UNION ALL "
        "SELECT 3, 0.1D) AS s ON t.id = s.id "
        "WHEN MATCHED THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *"
    )
    latest = {row.id: row.score for row in runtime.read_delta(name).collect()}
    assert latest == {1: 0.5, 2: 0.9, 3: 0.1}
    original = {row.id: row.score for row in runtime.read_delta(name, version=0).collect()}
    assert original == {1: 0.5, 2: 0.7}
    operations = [row.operation for row in spark.sql(f"DESCRIBE HISTORY {table}").collect()]
    assert operations[0] == "MERGE"

    path = "dbfs:/connect/scores_by_path"
    runtime.write_delta(first.write.format("delta").mode("overwrite"), path)
    assert runtime.delta_exists(path)
    assert not runtime.delta_exists("dbfs:/connect/never_written")
    assert Path(runtime.path(path), "_delta_log").is_dir()
    assert runtime.read_delta(path, version=0).count() == 2


def test_delta_history_through_sql_on_any_session(runtime: Runtime, spark: SparkSession) -> None:
    """On any session (classic here, Connect under MLOPS_SPARK_CONNECT=1): newest first,
    with the columns callers read (version, operation, operationMetrics)."""
    frame = spark.createDataFrame([(1, 0.5)], "id INT, score DOUBLE")
    for target in ("main.connect.history", "dbfs:/connect/history_by_path"):
        runtime.write_delta(frame.write.format("delta").mode("overwrite"), target)
        runtime.write_delta(frame.write.format("delta").mode("append"), target)
        latest = runtime.delta_history(target, 1).collect()
        assert [row["version"] for row in latest] == [1]
        assert latest[0]["operation"] == "WRITE"
        assert latest[0]["operationMetrics"]["numOutputRows"] == "1"
        versions = [row["version"] for row in runtime.delta_history(target).collect()]
        assert versions == [1, 0]
