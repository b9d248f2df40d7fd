"""Delta commit conflicts become one clear, retryable ConcurrentWriteError (real conflicts)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyspark.sql import SparkSession
from tests.runtime.delta_race import classic_session_only, commit_inside, gated

from databricks_mlops.errors import ConcurrentWriteError
from databricks_mlops.runtime import Runtime
from databricks_mlops.runtime.delta_conflicts import delta_conflicts_as_errors
from databricks_mlops.runtime.delta_sql import merge_into

SCHEMA = "id long, value string"
pytestmark = classic_session_only


def _table(spark: SparkSession, runtime: Runtime, name: str) -> None:
    frame = spark.createDataFrame([(1, "a"), (2, "b")], SCHEMA)
    runtime.write_delta(frame.write.format("delta").mode("overwrite"), name)


def test_a_merge_losing_to_a_concurrent_append_is_a_concurrent_write_error(
    spark: SparkSession, runtime: Runtime, tmp_path: Path
) -> None:
    name = "main.conflicts.merge_vs_append"
    _table(spark, runtime, name)
    source = gated(spark.createDataFrame([(1, "z"), (3, "c")], SCHEMA), "value", tmp_path)

    def merge() -> None:
        with delta_conflicts_as_errors(name, "MERGE"):
            merge_into(runtime, name, source, "t.id = s.id")

    def append() -> None:
        extra = spark.createDataFrame([(9, "q")], SCHEMA)
        runtime.write_delta(extra.write.format("delta").mode("append"), name)

    with pytest.raises(ConcurrentWriteError) as raised:
        commit_inside(merge, append, tmp_path)
    message = str(raised.value)
    assert message == (
        "Another run committed to 'main.conflicts.merge_vs_append' while this MERGE was in "
        "progress (ConcurrentAppendException: Files were added to the root of the table by a "
        "concurrent update); nothing from this MERGE was committed. Re-run the task once the "
        "other run has finished (is the job running twice?); the local runner retries it when "
        "the task sets max_retries."
    )
    assert type(raised.value.__cause__).__name__ == "Py4JJavaError"  # kept, for debugging
    assert ConcurrentWriteError.retryable and not ConcurrentWriteError.deterministic
    # The loser committed nothing: the winner's append is there, the MERGE's rows are not.
    rows = sorted(tuple(r) for r in runtime.read_delta(name).collect())
    assert rows == [(1, "a"), (2, "b"), (9, "q")]


def test_other_spark_errors_pass_through_unchanged(spark: SparkSession, runtime: Runtime) -> None:
    name = "main.conflicts.not_a_conflict"
    _table(spark, runtime, name)
    with (
        pytest.raises(Exception, match=r"UNRESOLVED_COLUMN") as raised,
        delta_conflicts_as_errors(name, "DELETE"),
    ):
        spark.sql(f"DELETE FROM {runtime.table(name)} WHERE no_such_column = 1")
    assert not isinstance(raised.value, ConcurrentWriteError)
