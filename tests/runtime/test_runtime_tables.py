"""Local table writes through the runtime."""

from __future__ import annotations

from pyspark.sql import SparkSession

from databricks_mlops.runtime import Runtime


def test_a_first_write_that_never_committed_does_not_block_the_next(
    runtime: Runtime, spark: SparkSession
) -> None:
    """A task that died mid-write leaves parquet files without a _delta_log; the retry
    must still be able to create the table (no data was ever committed there)."""
    from databricks_mlops.runtime.locations import TableName, table_location

    name = "main.debris.scores"
    location = table_location(TableName.parse(name), runtime.home)
    location.mkdir(parents=True)
    (location / "part-00000-dead.snappy.parquet").write_bytes(b"half written")
    frame = spark.createDataFrame([(1, 0.5)], "id INT, score DOUBLE")
    runtime.save_table(frame.write.format("delta").mode("overwrite"), name)
    assert runtime.read_delta(name).count() == 1
    assert not (location / "part-00000-dead.snappy.parquet").exists()
