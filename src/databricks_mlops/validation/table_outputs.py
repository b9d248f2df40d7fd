"""What the validate task leaves behind: quarantined rows, a history table, a JSON report.

* ``<table>_quarantine`` holds the rows that failed a ``quarantine: true`` rule in the latest
  run (overwritten each run, so re-running never duplicates them); they are deleted from the
  table itself in a single Delta commit, so the previous version stays readable.
* ``validation_runs`` gets one row per rule per run: quality over time, queryable.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Sequence
from pathlib import Path

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from databricks_mlops.expressions import to_sql
from databricks_mlops.runtime import Runtime, looks_like_table_name
from databricks_mlops.validation.results import ValidationResult
from databricks_mlops.validation.rules import PreparedRule

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
    """``main.s.customers`` -> ``main.s.customers_<suffix>``; paths get the suffix too."""
    return f"{target}_{suffix}"


def default_runs_table(target: str) -> str:
    if looks_like_table_name(target) and target.count(".") == 2:
        catalog, schema, _ = target.split(".")
        return f"{catalog}.{schema}.validation_runs"
    return sibling(target, "validation_runs")


def quarantine_rows(
    runtime: Runtime, target: str, df: DataFrame, rules: Sequence[PreparedRule], run_id: str
) -> int:
    """Move rows failing any quarantine rule out of ``target``; returns how many moved."""
    chosen = [rule for rule in rules if rule.rule.quarantine]
    if not chosen:
        return 0
    column_count = len(df.columns)
    predicates = [
        f"NOT COALESCE({to_sql(rule.compiled.expression, column_count=column_count)}, FALSE)"
        for rule in chosen
    ]
    rule_name = F.coalesce(
        *[
            F.when(F.expr(p), F.lit(rule.rule.name))
            for p, rule in zip(predicates, chosen, strict=True)
        ]
    )
    any_failing = " OR ".join(f"({p})" for p in predicates)
    held = (
        df.where(F.expr(any_failing))
        .withColumn("_quarantine_rule", rule_name)
        .withColumn("_validation_run_id", F.lit(run_id))
        .withColumn("_quarantined_at", F.current_timestamp())
    )
    writer = held.write.format("delta").mode("overwrite").option("overwriteSchema", "true")
    runtime.write_delta(writer, sibling(target, "quarantine"))
    moved = int(runtime.read_delta(sibling(target, "quarantine")).count())
    if moved:
        runtime.delta_table(target).delete(F.expr(any_failing))
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
