"""What the validate task leaves behind: quarantined rows, a history table, a JSON report.

* ``<table>_quarantine`` keeps the rows that failed a ``quarantine: true`` rule, keyed by
  the content of the input they came from (``_input_hash``): validating the same input
  again replaces its rows instead of adding another copy. A staged batch is published
  without them; a table validated in place loses them in one Delta commit (its previous
  version stays readable).
* ``validation_runs`` gets one row per rule per run: quality over time, queryable.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import reduce
from pathlib import Path
from typing import Any

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from databricks_mlops.expressions.sql_backend import sql_string
from databricks_mlops.runtime import Runtime, looks_like_table_name
from databricks_mlops.runtime.delta_conflicts import delta_conflicts_as_errors
from databricks_mlops.runtime.delta_sql import delete_where, delta_identifier
from databricks_mlops.validation.results import ValidationResult
from databricks_mlops.validation.spark_engine import SparkRule

INPUT_HASH = "_input_hash"

RUNS_SCHEMA = T.StructType(
    [
        T.StructField("run_id", T.StringType(), False),
        T.StructField("validated_at", T.TimestampType(), False),
        T.StructField("table_name", T.StringType(), False),
        T.StructField("table_version", T.LongType(), True),
        T.StructField("engine", T.StringType(), False),
        T.StructField("rule", T.StringType(), False),
        T.StructField("severity", T.StringType(), False),
        T.StructField("condition", T.StringType(), False),
        T.StructField("failed_count", T.LongType(), False),
        T.StructField("total_count", T.LongType(), False),
        T.StructField("outcome", T.StringType(), False),
    ]
)


def sibling(target: str, suffix: str) -> str:
    """A table or path next to ``target``: ``main.s.customers`` -> ``main.s.customers_<suffix>``."""
    return f"{target}_{suffix}"


def default_runs_table(target: str) -> str:
    if looks_like_table_name(target) and target.count(".") == 2:
        catalog, schema, _ = target.split(".")
        return f"{catalog}.{schema}.validation_runs"
    return sibling(target, "validation_runs")


@dataclass(frozen=True)
class Quarantined:
    rows: int
    # TRUE for the rows held back: a staged batch is published without them.
    failing: Column


def content_hash(df: DataFrame, exclude: Collection[str] = ()) -> str:
    """A key for "the same input": order-independent, over every column but ``exclude``
    (the ingestion timestamps, which differ on every run of the same input)."""
    columns = [name for name in df.columns if name not in exclude]
    row_hash = F.xxhash64(*[df[name] for name in columns]) if columns else F.lit(0)
    # A decimal sum cannot overflow (ANSI mode fails a bigint sum that does).
    totals = df.agg(F.count(F.lit(1)), F.sum(row_hash.cast("decimal(38,0)"))).collect()[0]
    text = json.dumps([columns, int(totals[0]), str(totals[1])])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def quarantine_rows(
    runtime: Runtime,
    target: str,
    df: DataFrame,
    rules: Sequence[SparkRule],
    run_id: str,
    *,
    input_hash: str,
    remove_from: str | None = None,
) -> Quarantined | None:
    """Hold back the rows of ``df`` failing any quarantine rule, in ``<target>_quarantine``.

    Rows are chosen with the Spark Columns that counted them (``rules`` as the engine
    compiled them, ``SparkValidation.rules``: nothing is compiled here). They replace the rows
    held from the same input before (``input_hash``), so re-runs never duplicate them.
    With ``remove_from`` they are also deleted from that table, in one Delta commit.
    """
    chosen = [rule for rule in rules if rule.rule.quarantine]
    if not chosen:
        return None
    flags = [rule.failing for rule in chosen]
    any_failing = reduce(lambda left, right: left | right, flags)
    rule_name = F.coalesce(
        *[F.when(flag, F.lit(rule.rule.name)) for flag, rule in zip(flags, chosen, strict=True)]
    )
    held = (
        df.where(any_failing)
        .withColumn("_quarantine_rule", rule_name)
        .withColumn("_validation_run_id", F.lit(run_id))
        .withColumn(INPUT_HASH, F.lit(input_hash))
        .withColumn("_quarantined_at", F.current_timestamp())
    )
    quarantine = sibling(target, "quarantine")
    with delta_conflicts_as_errors(quarantine, "quarantine write"):
        if runtime.delta_exists(quarantine):
            _ensure_input_hash_column(runtime, quarantine)
            writer = (
                held.write.format("delta")
                .mode("overwrite")
                .option("replaceWhere", f"{INPUT_HASH} = {sql_string(input_hash)}")
                .option("mergeSchema", "true")
            )
        else:
            writer = held.write.format("delta").mode("overwrite")
        runtime.write_delta(writer, quarantine)
    moved = int(runtime.read_delta(quarantine).where(F.col(INPUT_HASH) == input_hash).count())
    if moved and remove_from is not None:
        with delta_conflicts_as_errors(remove_from, "quarantine delete"):
            delete_where(runtime, remove_from, " OR ".join(rule.failing_sql for rule in chosen))
    return Quarantined(moved, any_failing)


def _ensure_input_hash_column(runtime: Runtime, quarantine: str) -> None:
    """Quarantine tables written before ``_input_hash`` existed get the column first:
    ``replaceWhere`` cannot name a column the table does not have yet."""
    if INPUT_HASH in runtime.read_delta(quarantine).columns:
        return
    identifier = delta_identifier(runtime, quarantine)
    runtime.spark.sql(f"ALTER TABLE {identifier} ADD COLUMNS ({INPUT_HASH} STRING)")


def record_run(
    runtime: Runtime,
    result: ValidationResult,
    *,
    target: str,
    table_version: int | None,
    run_id: str,
    runs_table: str,
) -> None:
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    rows = [
        (run_id, now, target, table_version, result.engine, r.name, r.severity.value, r.condition,
         r.failed_count, r.total_count, r.outcome)
        for r in result.rule_results
    ]  # fmt: skip
    frame = runtime.spark.createDataFrame(rows, RUNS_SCHEMA)
    with delta_conflicts_as_errors(runs_table, "validation run record"):
        runtime.write_delta(frame.write.format("delta").mode("append"), runs_table)


def write_report(
    result: ValidationResult,
    path: Path,
    *,
    run_id: str,
    target: str,
    extra: dict[str, Any] | None = None,
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"run_id": run_id, "table": target, **(extra or {}), **result.model_dump(mode="json")}
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(payload, indent=2, default=str), encoding="utf-8")
    os.replace(temporary, path)
    return path
