"""The native validator on Spark: every rule in ONE aggregation, samples in at most one more.

Each rule is parsed, type-checked and compiled to a Column once per run; the run's
quarantine reuses those Columns (``SparkValidation.rules``) instead of compiling again.

A row fails a rule when its condition is not TRUE (FALSE or NULL): ``when(cond, 0)
.otherwise(1)`` counts exactly those, and the sum of all rules is one ``df.agg``.
"""

from __future__ import annotations

import datetime as dt
import decimal
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from databricks_mlops.config.validation import ValidationRule
from databricks_mlops.expressions import schema_from_spark, to_spark, to_sql
from databricks_mlops.validation.results import RuleResult, ValidationResult
from databricks_mlops.validation.rules import PreparedRule, prepare_rules

_ROWS = "__mlops_rows"


def _alias(index: int) -> str:
    return f"__mlops_rule_{index}"


def failing(condition: Column) -> Column:
    """TRUE where the rule does not hold (its condition is FALSE or NULL)."""
    return ~F.coalesce(condition, F.lit(False))


# eq=False: comparing two Columns builds a third Column, not a truth value.
@dataclass(frozen=True, eq=False)
class SparkRule:
    """A prepared rule and its Spark Column, built once per run: the aggregation counts
    with this Column and quarantine picks its rows with the very same one. The same
    compiled expression as SQL text deletes those rows from a table (``DELETE FROM``)."""

    prepared: PreparedRule
    condition: Column
    condition_sql: str

    @property
    def rule(self) -> ValidationRule:
        return self.prepared.rule

    @property
    def dataset_level(self) -> bool:
        return self.prepared.dataset_level

    @property
    def failing(self) -> Column:
        return failing(self.condition)

    @property
    def failing_sql(self) -> str:
        """``failing`` as a SQL predicate."""
        return f"NOT COALESCE(({self.condition_sql}), FALSE)"


def spark_rules(prepared: Sequence[PreparedRule], *, column_count: int) -> list[SparkRule]:
    """Prepared rules -> Spark Columns (``column_count`` answers the ``column_count`` metric)."""
    return [
        SparkRule(
            rule,
            to_spark(rule.compiled.expression, column_count=column_count),
            to_sql(rule.compiled.expression, column_count=column_count),
        )
        for rule in prepared
    ]


def compile_spark_rules(df: DataFrame, rules: Sequence[ValidationRule]) -> list[SparkRule]:
    """Parse, type-check (against ``df``'s schema, before any job) and compile every rule."""
    prepared = prepare_rules(rules, schema_from_spark(df.schema))
    return spark_rules(prepared, column_count=len(df.columns))


@dataclass(frozen=True, eq=False)
class SparkValidation:
    """What the engine found, and the rules as it compiled them (quarantine reuses them)."""

    result: ValidationResult
    rules: list[SparkRule]


def validate_spark(
    df: DataFrame, rules: Sequence[ValidationRule], *, sample_failures: int = 5
) -> ValidationResult:
    return check_spark(df, rules, sample_failures=sample_failures).result


def check_spark(
    df: DataFrame,
    rules: Sequence[ValidationRule],
    *,
    sample_failures: int = 5,
    quarantine: bool = False,
) -> SparkValidation:
    """Validate ``df``; with ``quarantine`` the caller holds back the failing rows of
    ``quarantine: true`` rules (with ``SparkValidation.rules``), so those report
    "quarantined"."""
    started = time.perf_counter()
    compiled = compile_spark_rules(df, rules)
    aggregates = [F.count(F.lit(1)).alias(_ROWS)]
    for index, rule in enumerate(compiled):
        if rule.dataset_level:
            aggregates.append(F.coalesce(rule.condition, F.lit(False)).alias(_alias(index)))
        else:
            aggregates.append(F.sum(F.when(rule.condition, 0).otherwise(1)).alias(_alias(index)))
    totals = df.agg(*aggregates).first()
    assert totals is not None  # a global aggregation always returns one row
    total_rows = int(totals[_ROWS])

    failed_counts: list[int] = []
    for index, rule in enumerate(compiled):
        value = totals[_alias(index)]
        failed_counts.append((0 if value else 1) if rule.dataset_level else int(value or 0))

    samples = _sample_failures(df, compiled, failed_counts, sample_failures)
    results = [
        RuleResult.from_counts(
            rule.prepared,
            failed=failed,
            total=1 if rule.dataset_level else total_rows,
            samples=samples.get(index, []),
            quarantine=quarantine,
        )
        for index, (rule, failed) in enumerate(zip(compiled, failed_counts, strict=True))
    ]
    result = ValidationResult(
        total_rows=total_rows,
        rule_results=results,
        engine="spark",
        duration_seconds=time.perf_counter() - started,
    )
    return SparkValidation(result, compiled)


def _sample_failures(
    df: DataFrame,
    rules: Sequence[SparkRule],
    failed_counts: Sequence[int],
    per_rule: int,
) -> dict[int, list[dict[str, Any]]]:
    """Up to ``per_rule`` failing rows for each failed row-level rule, in one more job."""
    failed = [
        i for i, (rule, n) in enumerate(zip(rules, failed_counts, strict=True))
        if n and not rule.dataset_level
    ]  # fmt: skip
    if not failed or per_rule == 0:
        return {}
    flags = {i: rules[i].failing.alias(_alias(i)) for i in failed}
    any_failing = (
        F.greatest(*[F.col(_alias(i)) for i in failed])
        if len(failed) > 1
        else F.col(_alias(failed[0]))
    )
    # Enough rows that every failed rule can get its share even when failures overlap little.
    rows = (
        df.select("*", *flags.values()).where(any_failing).limit(per_rule * len(failed)).collect()
    )
    samples: dict[int, list[dict[str, Any]]] = {i: [] for i in failed}
    for row in rows:
        record = {name: _json_safe(row[name]) for name in df.columns}
        for i in failed:
            if row[_alias(i)] and len(samples[i]) < per_rule:
                samples[i].append(record)
    return samples


def _json_safe(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    return value
