"""``DataValidator``: the documented entry point, for Spark and pandas DataFrames alike."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from databricks_mlops.config.validation import ValidationRule
from databricks_mlops.validation.results import ValidationResult


def _is_pandas(df: Any) -> bool:
    module = type(df).__module__
    return module.startswith("pandas.")


class DataValidator:
    """Validate a DataFrame against rules written in the expression language.

    Every rule is type-checked against the DataFrame's schema before anything runs; on
    Spark all row-level rules are then counted in one aggregation.
    """

    def __init__(self, rules: Sequence[ValidationRule | str], *, sample_failures: int = 5) -> None:
        self.rules = [
            rule if isinstance(rule, ValidationRule)
            else ValidationRule(name=f"rule_{index + 1}", condition=rule)
            for index, rule in enumerate(rules)
        ]  # fmt: skip
        self.sample_failures = sample_failures

    def validate(self, df: Any) -> ValidationResult:
        if _is_pandas(df):
            from databricks_mlops.validation.pandas_engine import validate_pandas

            return validate_pandas(df, self.rules, sample_failures=self.sample_failures)
        from databricks_mlops.validation.spark_engine import validate_spark

        return validate_spark(df, self.rules, sample_failures=self.sample_failures)
