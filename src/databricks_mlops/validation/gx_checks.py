"""Our rules and the configured native expectations, as Great Expectations expectations.

Every planned check knows how to read its failed count back from GX's result, so the
GX engine reports the same exact counts as the native validator:

* a row-level rule on Spark is an ``UnexpectedRowsExpectation`` whose query selects the
  rows where the rule's SQL is not TRUE, so GX itself evaluates the rule;
* GX has no query expectation for pandas, so there the rule is evaluated by our pandas
  backend into a boolean column and GX counts the values of that column that are not
  ``True`` (``ExpectColumnValuesToBeInSet``);
* ``row_count <op> n``, ``unique(col)`` and ``null_fraction(col) < x`` map to GX's own
  table-row-count, uniqueness and not-null expectations; any other dataset-level rule is a
  computed check (an aggregate query on Spark, a constant verdict column on pandas).

GX is imported lazily: this module is imported only by the GX engine, itself lazy.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from databricks_mlops.config.validation import GxExpectation, Severity
from databricks_mlops.errors import ConfigError, did_you_mean
from databricks_mlops.expressions import to_sql
from databricks_mlops.expressions.nodes import (
    Binary,
    ColumnRef,
    DatasetMetric,
    Expression,
    FunctionCall,
    Literal,
)
from databricks_mlops.expressions.pandas_backend import COMPARISONS

if TYPE_CHECKING:
    import pandas as pd
    from great_expectations.expectations.expectation import Expectation

    from databricks_mlops.validation.rules import PreparedRule

# (GX result dict, GX success, total rows) -> (failed count, total count)
Reader = Callable[[Mapping[str, Any], bool, int], tuple[int, int]]

RULE_FLAG_PREFIX = "__mlops_rule_"
"""Prefix of the boolean columns the pandas plan adds (one per rule, True = passes)."""

META_KEY = "databricks_mlops"
"""Key in each expectation's ``meta`` that says which check it is (results come back unordered)."""

# ``5 < row_count`` reads as ``row_count > 5``.
_MIRRORED = {"==": "==", "!=": "!=", ">": "<", ">=": "<=", "<": ">", "<=": ">="}


@dataclass(frozen=True)
class PlannedCheck:
    """One reported check and the GX expectation that measures it."""

    key: str
    name: str
    severity: Severity
    condition: str
    dataset_level: bool
    expectation: Expectation
    read: Reader
    # Native expectations keep GX's verdict (``mostly`` may let some failures pass);
    # our rules pass only with no failure at all.
    verdict_from_gx: bool = False
    # A ``quarantine: true`` rule (its failing rows can be held back).
    quarantine: bool = False


def _gx_severity(severity: Severity) -> Any:
    from great_expectations.expectations.metadata_types import FailureSeverity

    return {
        Severity.ERROR: FailureSeverity.CRITICAL,
        Severity.WARNING: FailureSeverity.WARNING,
        Severity.INFO: FailureSeverity.INFO,
    }[severity]


def _common_kwargs(key: str, description: str, severity: Severity) -> dict[str, Any]:
    return {"meta": {META_KEY: key}, "description": description, "severity": _gx_severity(severity)}


def _escape_braces(sql: str) -> str:
    """GX fills ``{batch}`` with ``str.format``, so literal braces in the SQL are doubled."""
    return sql.replace("{", "{{").replace("}", "}}")


# --- readers -----------------------------------------------------------------------


def _read_unexpected_rows(
    result: Mapping[str, Any], success: bool, total_rows: int
) -> tuple[int, int]:
    return int(result["observed_value"]), total_rows


def _read_unexpected_count(
    result: Mapping[str, Any], success: bool, total_rows: int
) -> tuple[int, int]:
    return int(result["unexpected_count"]), int(result["element_count"])


def _read_verdict_row(result: Mapping[str, Any], success: bool, total_rows: int) -> tuple[int, int]:
    """A dataset-level SQL check selects its one verdict row only when the rule fails."""
    return (1 if int(result["observed_value"]) else 0), 1


def _read_fixed_verdict(holds: bool) -> Reader:
    def read(result: Mapping[str, Any], success: bool, total_rows: int) -> tuple[int, int]:
        return (0 if holds else 1), 1

    return read


def _read_success(result: Mapping[str, Any], success: bool, total_rows: int) -> tuple[int, int]:
    return (0 if success else 1), 1


def _read_native(result: Mapping[str, Any], success: bool, total_rows: int) -> tuple[int, int]:
    """Column-map expectations count rows; aggregate ones have one verdict."""
    if "unexpected_count" in result and "element_count" in result:
        return int(result["unexpected_count"]), int(result["element_count"])
    return _read_success(result, success, total_rows)


def _read_compared(
    metric: Callable[[Mapping[str, Any]], float | None], op: str, bound: float
) -> Reader:
    """Decide the verdict ourselves from GX's measured value, with the rule's exact operator.

    GX's ``mostly`` is always ``>=``, so at the boundary its verdict could differ from
    ``null_fraction(col) < x``; the measured counts are exact either way. A metric that
    is undefined (NULL) fails, as it does in SQL.
    """

    def read(result: Mapping[str, Any], success: bool, total_rows: int) -> tuple[int, int]:
        value = metric(result)
        return (0 if value is not None and COMPARISONS[op](value, bound) else 1), 1

    return read


def _null_fraction(result: Mapping[str, Any]) -> float | None:
    """Like the SQL backend's ``nulls / NULLIF(rows, 0)``: undefined on an empty batch."""
    elements = int(result["element_count"])
    return int(result["unexpected_count"]) / elements if elements else None


# --- our rules -----------------------------------------------------------------------


def plan_rule_spark(index: int, prepared: PreparedRule, column_count: int) -> PlannedCheck:
    """A rule on Spark: GX evaluates it, natively when GX has the expectation, else as SQL."""
    key = f"rule:{index}"
    rule = prepared.rule
    common = _common_kwargs(key, f"{rule.name}: {rule.condition}", rule.severity)
    native = _native_dataset_check(prepared.compiled.expression, common)
    if native is not None:
        expectation, reader = native
    elif prepared.dataset_level:
        sql = to_sql(prepared.compiled.expression, column_count=column_count)
        query = (
            f"SELECT * FROM (SELECT {_escape_braces(sql)} AS verdict FROM {{batch}}) AS checked "
            "WHERE NOT COALESCE(verdict, FALSE)"
        )
        expectation, reader = (
            new_expectation("UnexpectedRowsExpectation", unexpected_rows_query=query, **common),
            _read_verdict_row,
        )
    else:
        sql = to_sql(prepared.compiled.expression, column_count=column_count)
        query = f"SELECT * FROM {{batch}} WHERE NOT COALESCE({_escape_braces(sql)}, FALSE)"
        expectation = new_expectation(
            "UnexpectedRowsExpectation", unexpected_rows_query=query, **common
        )
        reader = _read_unexpected_rows
    return _planned(key, prepared, expectation, reader)


def plan_rule_pandas(
    index: int, prepared: PreparedRule, df: pd.DataFrame
) -> tuple[PlannedCheck, pd.Series | None]:
    """A rule on pandas, and the boolean column GX should count (None for native checks)."""
    from databricks_mlops.expressions import evaluate_pandas

    key = f"rule:{index}"
    rule = prepared.rule
    common = _common_kwargs(key, f"{rule.name}: {rule.condition}", rule.severity)
    native = _native_dataset_check(prepared.compiled.expression, common)
    if native is not None:
        return _planned(key, prepared, *native), None

    import pandas as pd

    verdict = evaluate_pandas(prepared.compiled.expression, df)
    column = f"{RULE_FLAG_PREFIX}{index}"
    if isinstance(verdict, pd.Series):
        flags = verdict.fillna(False).astype(bool)
        reader: Reader = _read_unexpected_count
    else:
        # A dataset-level verdict, repeated on every row so GX reports it. An empty frame
        # has no row to carry it (GX would call it met), so the count comes from the
        # verdict itself, which our pandas backend computed exactly.
        holds = verdict is True
        flags = pd.Series(holds, index=df.index, dtype=bool)
        reader = _read_fixed_verdict(holds)
    expectation = new_expectation(
        "ExpectColumnValuesToBeInSet", column=column, value_set=[True], **common
    )
    return _planned(key, prepared, expectation, reader), flags.rename(column)


def _planned(
    key: str, prepared: PreparedRule, expectation: Expectation, read: Reader
) -> PlannedCheck:
    rule = prepared.rule
    return PlannedCheck(
        key=key,
        name=rule.name,
        severity=rule.severity,
        condition=rule.condition,
        dataset_level=prepared.dataset_level,
        expectation=expectation,
        read=read,
        quarantine=rule.quarantine,
    )


def _native_dataset_check(
    expression: Expression, common: dict[str, Any]
) -> tuple[Expectation, Reader] | None:
    """GX's own expectation for the dataset-level shapes it has one for, else None."""
    if isinstance(expression, FunctionCall) and expression.name == "unique":
        (column,) = expression.args
        if isinstance(column, ColumnRef):
            return new_expectation(
                "ExpectColumnValuesToBeUnique", column=column.name, **common
            ), _read_success
        return None
    comparison = _metric_comparison(expression)
    if comparison is None:
        return None
    metric, op, bound = comparison
    if isinstance(metric, DatasetMetric) and metric.name == "row_count":
        return _row_count_expectation(op, bound, common), _read_compared(
            lambda result: float(result["observed_value"]), op, bound
        )
    if (
        isinstance(metric, FunctionCall)
        and metric.name == "null_fraction"
        and op in {"<", "<="}
        and 0 <= bound <= 1
        and isinstance(metric.args[0], ColumnRef)
    ):
        expectation = new_expectation(
            "ExpectColumnValuesToNotBeNull", column=metric.args[0].name, mostly=1 - bound, **common
        )
        return expectation, _read_compared(_null_fraction, op, bound)
    return None


def _metric_comparison(expression: Expression) -> tuple[Expression, str, float] | None:
    """``metric <op> number`` (either way round) as (metric, op, number)."""
    if not isinstance(expression, Binary) or expression.op not in COMPARISONS:
        return None
    left, right, op = expression.left, expression.right, expression.op
    if isinstance(left, Literal):
        left, right, op = right, left, _MIRRORED[op]
    if not isinstance(right, Literal) or isinstance(right.value, bool):
        return None
    if not isinstance(right.value, int | float):
        return None
    return left, op, float(right.value)


def _row_count_expectation(op: str, bound: float, common: dict[str, Any]) -> Expectation:
    if op == "==":
        return new_expectation("ExpectTableRowCountToEqual", value=int(bound), **common)
    between: dict[str, Any] = {}
    if op in {">", ">="}:
        between = {"min_value": int(bound), "strict_min": op == ">"}
    elif op in {"<", "<="}:
        between = {"max_value": int(bound), "strict_max": op == "<"}
    # ``!=`` has no GX form; a table-row-count probe still measures it, we decide the verdict.
    return new_expectation("ExpectTableRowCountToBeBetween", **between, **common)


# --- native expectations from the config ------------------------------------------


def plan_native(index: int, spec: GxExpectation, name: str) -> PlannedCheck:
    """A configured GX expectation, by its GX name (``expect_column_values_to_be_between``)."""
    expectation_class = expectation_classes().get(spec.type)
    if expectation_class is None:
        raise ConfigError(
            f"unknown Great Expectations expectation {spec.type!r}"
            f"{did_you_mean(spec.type, expectation_classes())}"
        )
    key = f"expectation:{index}"
    kwargs = {**spec.kwargs, **_common_kwargs(key, name, spec.severity)}
    try:
        expectation = expectation_class(**kwargs)
    except (TypeError, ValueError) as exc:  # pydantic's ValidationError is a ValueError
        raise ConfigError(f"invalid arguments for {spec.type}: {_one_line(exc)}") from exc
    return PlannedCheck(
        key=key,
        name=name,
        severity=spec.severity,
        condition=_render_call(spec.type, spec.kwargs),
        dataset_level=False,
        expectation=expectation,
        read=_read_native,
        verdict_from_gx=True,
    )


def native_names(specs: Sequence[GxExpectation]) -> list[str]:
    """Each native expectation is named by its type; repeats get ``#2``, ``#3``..."""
    seen: dict[str, int] = {}
    names = []
    for spec in specs:
        seen[spec.type] = seen.get(spec.type, 0) + 1
        names.append(spec.type if seen[spec.type] == 1 else f"{spec.type} #{seen[spec.type]}")
    return names


def new_expectation(class_name: str, **kwargs: Any) -> Expectation:
    """An expectation from GX's public ``gx.expectations`` namespace, by class name."""
    import great_expectations as gx

    expectation: Expectation = getattr(gx.expectations, class_name)(**kwargs)
    return expectation


def expectation_classes() -> dict[str, type[Expectation]]:
    """Every expectation class GX exports, by its snake_case name."""
    import great_expectations as gx
    from great_expectations.expectations.expectation import Expectation

    classes: dict[str, type[Expectation]] = {}
    for attribute in dir(gx.expectations):
        candidate = getattr(gx.expectations, attribute)
        if isinstance(candidate, type) and issubclass(candidate, Expectation):
            name = getattr(candidate, "expectation_type", "")
            if isinstance(name, str) and name.startswith("expect_"):
                classes[name] = candidate
    return classes


def _render_call(name: str, kwargs: Mapping[str, Any]) -> str:
    arguments = ", ".join(f"{key}={value!r}" for key, value in kwargs.items())
    return f"{name}({arguments})"


def _one_line(exc: Exception) -> str:
    return re.sub(r"\s+", " ", str(exc)).strip()
