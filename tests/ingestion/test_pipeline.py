"""Ingestion on real local Spark + Delta: idempotent re-runs, MERGE, atomic failure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pyspark.sql import SparkSession

from databricks_mlops.config.data import DataConfig
from databricks_mlops.datasets import generate_churn, write_dataset
from databricks_mlops.errors import IngestionError, InvalidColumnNamesError
from databricks_mlops.ingestion.pipeline import DataPipeline
from databricks_mlops.runtime import Runtime

ROWS = 400


@pytest.fixture(scope="module")
def source_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_dataset(
        generate_churn(rows=ROWS, seed=7), tmp_path_factory.mktemp("raw") / "customers.csv"
    )


def config(source: Path, destination: str, **extra: Any) -> DataConfig:
    return DataConfig.model_validate(
        {
            "source_path": str(source),
            "format": "csv",
            "destination_path": destination,
            "transformation_steps": [
                {"type": "deduplicate", "keys": ["customer_id"], "order_by": "last_update_time"},
                {"type": "add_ingestion_timestamp"},
            ],
            **extra,
        }
    )


def test_rerun_replaces_instead_of_duplicating(
    spark: SparkSession, runtime: Runtime, source_csv: Path
) -> None:
    cfg = config(source_csv, "main.ingest_test.customers", z_order_by=["customer_id"])
    first = DataPipeline(cfg).run()
    unique_ids = generate_churn(rows=ROWS, seed=7)["customer_id"].nunique()
    assert first.rows_written == unique_ids < ROWS  # the sample has re-sent duplicates
    second = DataPipeline(cfg).run()
    table = spark.table(runtime.table("main.ingest_test.customers"))
    assert table.count() == second.rows_written == unique_ids
    assert table.select("customer_id").distinct().count() == unique_ids
    assert second.table_version > first.table_version
    assert "_ingested_at" in table.columns


def test_merge_upserts_on_keys(spark: SparkSession, runtime: Runtime, tmp_path: Path) -> None:
    frame = generate_churn(rows=200, seed=3).drop_duplicates("customer_id")
    source = write_dataset(frame, tmp_path / "v1.parquet")
    cfg = DataConfig(
        source_path=str(source),
        format="parquet",
        destination_path="dbfs:/test/merge_customers",
        write_mode="merge",
        merge_keys=["customer_id"],
    )
    DataPipeline(cfg).run()
    changed = frame.copy()
    changed.loc[changed.index[:10], "monthly_charges"] = 999.0
    write_dataset(changed, source)
    result = DataPipeline(cfg).run()
    assert result.operation == "MERGE"
    table = spark.read.format("delta").load(runtime.path("dbfs:/test/merge_customers"))
    assert table.count() == len(frame)
    assert table.where("monthly_charges = 999.0").count() == 10


def test_failure_mid_write_leaves_previous_version_readable(
    spark: SparkSession, runtime: Runtime, source_csv: Path
) -> None:
    destination = "main.ingest_test.atomic"
    good = DataPipeline(config(source_csv, destination)).run()
    # assert_true raises inside the Spark job, after reading started: the write never commits.
    failing = config(source_csv, destination)
    failing.transformation_steps.append(
        DataConfig.model_validate(
            {"source_path": "x", "destination_path": "y",
             "transformation_steps": [{"type": "filter_rows", "condition": "assert_true(age < 0) IS NULL"}]}
        ).transformation_steps[0]
    )  # fmt: skip
    # The batch fails while it is staged; the published table is never touched.
    with pytest.raises(
        IngestionError,
        match=r"Failed to write the staging table 'main\.ingest_test\.atomic_staging'",
    ):
        DataPipeline(failing).run()
    table = spark.table(runtime.table(destination))
    assert table.count() == good.rows_written
    history = spark.sql(f"DESCRIBE HISTORY {runtime.table(destination)}").collect()
    assert max(row["version"] for row in history) == good.table_version


def test_path_destination_registered_under_a_table_name(
    spark: SparkSession, runtime: Runtime, source_csv: Path
) -> None:
    cfg = config(source_csv, "dbfs:/test/registered", table_name="main.ingest_test.registered")
    result = DataPipeline(cfg).run()
    assert Path(runtime.path("dbfs:/test/registered"), "_delta_log").is_dir()
    assert spark.table(runtime.table("main.ingest_test.registered")).count() == result.rows_written


def test_partitioned_write(spark: SparkSession, runtime: Runtime, source_csv: Path) -> None:
    cfg = config(source_csv, "dbfs:/test/partitioned", partitioning_columns=["region"])
    DataPipeline(cfg).run()
    partitions = {
        p.name
        for p in Path(runtime.path("dbfs:/test/partitioned")).iterdir()
        if p.name.startswith("region=")
    }
    assert partitions == {
        f"region={r}" for r in generate_churn(rows=ROWS, seed=7)["region"].unique()
    }


def test_unknown_column_in_a_step_suggests(runtime: Runtime, source_csv: Path) -> None:
    cfg = config(source_csv, "dbfs:/test/never")
    cfg.transformation_steps.insert(0, DataConfig.model_validate(
        {"source_path": "x", "destination_path": "y",
         "transformation_steps": [{"type": "rename_columns", "mapping": {"custmer_id": "id"}}]}
    ).transformation_steps[0])  # fmt: skip
    with pytest.raises(
        IngestionError,
        match=r"transformation_steps\[0\] \(rename_columns\).*'custmer_id' not found \(did you mean 'customer_id'\?\)",
    ):
        DataPipeline(cfg).run()


def test_bad_sql_predicate_names_the_step(runtime: Runtime, source_csv: Path) -> None:
    cfg = config(source_csv, "dbfs:/test/never")
    cfg.transformation_steps.append(DataConfig.model_validate(
        {"source_path": "x", "destination_path": "y",
         "transformation_steps": [{"type": "filter_rows", "condition": "agee > 3"}]}
    ).transformation_steps[0])  # fmt: skip
    with pytest.raises(
        IngestionError, match=r"Failed to apply transformation_steps\[2\] \(filter_rows\)"
    ):
        DataPipeline(cfg).run()


def test_missing_source(runtime: Runtime, tmp_path: Path) -> None:
    cfg = DataConfig(
        source_path=str(tmp_path / "none.csv"), format="csv", destination_path="dbfs:/test/never"
    )
    with pytest.raises(IngestionError, match=r"Failed to read source '.*none\.csv' \(csv\)"):
        DataPipeline(cfg).run()


def test_cast_turns_malformed_values_into_nulls(
    spark: SparkSession, runtime: Runtime, tmp_path: Path
) -> None:
    source = tmp_path / "raw.csv"
    source.write_text("id,amount\n1,10\n2,oops\n")
    cfg = DataConfig.model_validate(
        {"source_path": str(source), "format": "csv", "destination_path": "dbfs:/test/cast",
         "read_options": {"inferSchema": "false"},
         "transformation_steps": [{"type": "cast_columns", "mapping": {"amount": "int"}}]}
    )  # fmt: skip
    DataPipeline(cfg).run()
    rows = spark.read.format("delta").load(runtime.path("dbfs:/test/cast")).orderBy("id").collect()
    assert [row["amount"] for row in rows] == [10, None]


@pytest.mark.parametrize("write_mode", ["overwrite", "merge"])
def test_staged_batch_waits_until_published(
    spark: SparkSession, runtime: Runtime, source_csv: Path, tmp_path: Path, write_mode: str
) -> None:
    # merge publishes through DeltaTable.merge, which has no writer option: the batch
    # marker then travels in the session setting (runtime.delta_commits).
    destination = f"main.ingest_test.gated_{write_mode}"
    mode = (
        {"write_mode": write_mode, "merge_keys": ["customer_id"]} if write_mode == "merge" else {}
    )
    good = DataPipeline(config(source_csv, destination, **mode)).run()
    assert DataPipeline(config(source_csv, destination, **mode)).pending_batch() is None

    changed = tmp_path / "changed.csv"
    changed.write_text(source_csv.read_text().replace(",Two year,", ",Ten year,"))
    pipeline = DataPipeline(config(changed, destination, **mode))
    staged = pipeline.stage(pipeline.prepare())
    assert staged.destination == f"{destination}_staging"
    assert staged.staged_for == destination
    history = spark.sql(f"DESCRIBE HISTORY {runtime.table(destination)}").collect()
    assert max(row["version"] for row in history) == good.table_version
    assert spark.table(runtime.table(destination)).where("contract_type = 'Ten year'").count() == 0

    batch = pipeline.pending_batch()
    assert batch is not None
    assert (batch.batch_id, batch.version) == (staged.batch_id, staged.table_version)
    assert batch.destination_version == good.table_version
    published = pipeline.publish_staged(staged)
    assert published.table_version > good.table_version
    assert spark.table(runtime.table(destination)).where("contract_type = 'Ten year'").count() > 0
    # The publication commit names the batch, so it is no longer pending.
    assert pipeline.pending_batch() is None


def test_staging_sits_next_to_a_path_destination() -> None:
    from databricks_mlops.ingestion.staging import staging_location

    assert staging_location("dbfs:/bronze/customers/") == "dbfs:/bronze/customers_staging"
    assert staging_location("main.s.customers") == "main.s.customers_staging"
    assert staging_location("main.s.`my-table`") == "main.s.`my-table_staging`"


def test_zero_byte_csv_has_no_header(runtime: Runtime, tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(
        IngestionError, match=r"the source '.*empty\.csv' has no header \(the file is empty\)"
    ):
        DataPipeline(config(empty, "dbfs:/test/never_empty")).run()
    assert not runtime.delta_exists("dbfs:/test/never_empty_staging")


def test_header_only_csv_has_no_rows(runtime: Runtime, tmp_path: Path) -> None:
    header_only = tmp_path / "header_only.csv"
    header_only.write_text("customer_id,last_update_time\n")
    with pytest.raises(
        IngestionError, match=r"the source '.*header_only\.csv' has no rows \(only a header\)"
    ):
        DataPipeline(config(header_only, "dbfs:/test/never_header")).run()
    assert not runtime.delta_exists("dbfs:/test/never_header_staging")
    assert not runtime.delta_exists("dbfs:/test/never_header")


def test_column_names_delta_cannot_store_are_listed_with_the_fix(
    spark: SparkSession, runtime: Runtime, tmp_path: Path
) -> None:
    source = tmp_path / "spaces.csv"
    source.write_text("id,monthly charges,plan(type),ok\n1,10.5,basic,x\n")
    cfg = DataConfig(source_path=str(source), format="csv", destination_path="dbfs:/test/bad_names")
    with pytest.raises(InvalidColumnNamesError) as raised:
        DataPipeline(cfg).run()
    assert raised.value.deterministic
    message = str(raised.value)
    assert message.startswith(
        "the data has 2 column name(s) Delta cannot store (a space or one of ',;{}()=', "
        "a tab or a newline): 'monthly charges', 'plan(type)'."
    )
    assert (
        "    - type: rename_columns\n      mapping:\n"
        '        "monthly charges": "monthly_charges"\n        "plan(type)": "plan_type"'
    ) in message
    assert not runtime.delta_exists("dbfs:/test/bad_names_staging")
    # The suggested step, as suggested, makes the same source ingest.
    fixed = DataConfig.model_validate(
        {**cfg.model_dump(), "transformation_steps": [
            {"type": "rename_columns",
             "mapping": {"monthly charges": "monthly_charges", "plan(type)": "plan_type"}}]}
    )  # fmt: skip
    DataPipeline(fixed).run()
    table = spark.read.format("delta").load(runtime.path("dbfs:/test/bad_names"))
    assert table.columns == ["id", "monthly_charges", "plan_type", "ok"]
