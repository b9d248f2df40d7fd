"""The native validator on pandas (small data, unit tests, the served model's inputs)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import pandas as pd

from databricks_mlops.config.validation import ValidationRule
from databricks_mlops.errors import MLOpsError
from databricks_mlops.expressions import evaluate_pandas, referenced_names, schema_from_pandas
from databricks_mlops.expressions.pandas_backend import FrameCache, cache_object_strings
from databricks_mlops.validation.results import RuleResult, ValidationResult


def validate_pandas(
    df: pd.DataFrame, rules: Sequence[ValidationRule], *, sample_failures: int = 5
) -> ValidationResult:
    from databricks_mlops.validation.rules import prepare_rules

    started = time.perf_counter()
    _reject_ambiguous_columns(df, referenced_names(r.condition for r in rules))
    typed = referenced_names((r.condition for r in rules), typed_only=True)
    columns = FrameCache()  # each column converted (and its NULLs found) once for all rules
    # Object columns of strings become Arrow strings up front; the conversion types them,
    # so only the remaining object columns need the typing scan.
    as_strings = cache_object_strings(df, typed, columns)
    schema = schema_from_pandas(df, infer_only=typed - as_strings)
    prepared = prepare_rules(rules, schema)
    total_rows = len(df)
    results: list[RuleResult] = []
    for rule in prepared:
        verdict = evaluate_pandas(
            rule.compiled.expression, df, column_cache=columns, column_types=schema
        )
        samples: list[dict[str, Any]] = []
        if rule.dataset_level:
            failed, total = (0 if verdict is True else 1), 1
        else:
            assert isinstance(verdict, pd.Series)
            failing = ~verdict.fillna(False).astype(bool)
            failed, total = int(failing.sum()), total_rows
            if failed and sample_failures:
                head = df[failing].head(sample_failures)
                samples = [
                    {str(k): (None if _is_missing(v) else v) for k, v in record.items()}
                    for record in head.astype(object).to_dict("records")
                ]
        results.append(RuleResult.from_counts(rule, failed=failed, total=total, samples=samples))
    return ValidationResult(
        total_rows=total_rows,
        rule_results=results,
        engine="pandas",
        duration_seconds=time.perf_counter() - started,
    )


def _reject_ambiguous_columns(df: pd.DataFrame, referenced: set[str]) -> None:
    """pandas allows two columns of one name; a rule naming it could mean either."""
    duplicated = sorted({str(name) for name in df.columns[df.columns.duplicated()]} & referenced)
    if duplicated:
        names = ", ".join(repr(name) for name in duplicated)
        raise MLOpsError(
            f"the DataFrame has more than one column named {names}: a rule cannot tell them "
            "apart; rename or drop the duplicates before validating"
        )


def _is_missing(value: Any) -> bool:
    # pd.isna on a list or array cell would return an array, not a truth value.
    return (
        value is None
        or value is pd.NA
        or value is pd.NaT
        or (isinstance(value, float) and value != value)
    )
