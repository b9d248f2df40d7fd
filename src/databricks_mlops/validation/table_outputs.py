"""What the validate task leaves behind: quarantined rows, a history table, a JSON report.

* ``<table>_quarantine`` keeps the rows that failed a ``quarantine: true`` rule, per run id
  (re-running a run replaces its rows, so it never duplicates them); they are deleted
  from the table itself in a single Delta commit, so the previous version stays readable.
* ``validation_runs`` gets one row per rule per run: quality over time, queryable.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Sequence
from functools import reduce
from pathlib import Path

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from databricks_mlops.expressions import to_spark
from databricks_mlops.expressions.sql_backend import sql_string
from databricks_mlops.runtime import Runtime, looks_like_table_name
from databricks_mlops.validation.results import ValidationResult
from databricks_mlops.validation.rules import PreparedRule
from databricks_mlops.validation.spark_engine import failing

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


def quarantine_rows(
    runtime: Runtime, target: str, df: DataFrame, rules: Sequence[PreparedRule], run_id: str
) -> int:
    """Move rows failing any quarantine rule out of ``target``; returns how many moved.

    Rows are chosen with the same Spark columns that counted them. Each run's rows are
    kept in ``<table>_quarantine`` under its run id (re-running the same run replaces
    them), and deleted from ``target`` in one Delta commit.
    """
    chosen = [rule for rule in rules if rule.rule.quarantine]
    if not chosen:
        return 0
    column_count = len(df.columns)
    flags = [
        failing(to_spark(rule.compiled.expression, column_count=column_count)) for rule in chosen
    ]
    any_failing = reduce(lambda left, right: left | right, flags)
    rule_name = F.coalesce(
        *[F.when(flag, F.lit(rule.rule.name)) for flag, rule in zip(flags, chosen, strict=True)]
    )
    held = (
        df.where(any_failing)
        .withColumn("_quarantine_rule", rule_name)
        .withColumn("_validation_run_id", F.lit(run_id))
        .withColumn("_quarantined_at", F.current_timestamp())
    )
    quarantine = sibling(target, "quarantine")
    writer = (
        held.write.format("delta")
        .mode("overwrite")
        .option("replaceWhere", f"_validation_run_id = {sql_string(run_id)}")
        .option("mergeSchema", "true")
    )
    if not runtime.delta_exists(quarantine):
        writer = held.write.format("delta").mode("overwrite")
    runtime.write_delta(writer, quarantine)
    moved = int(runtime.read_delta(quarantine).where(F.col("_validation_run_id") == run_id).count())
    if moved:
        runtime.delta_table(target).delete(any_failing)
    return moved


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
    runtime.write_delta(frame.write.format("delta").mode("append"), runs_table)


def write_report(result: ValidationResult, path: Path, *, run_id: str, target: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"run_id": run_id, "table": target, **result.model_dump(mode="json")}
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(payload, indent=2, default=str), encoding="utf-8")
    os.replace(temporary, path)
    return path
