"""Derived columns (``charges_per_month: total_charges / tenure``) via the expression language.

Each expression sees the input columns and the derived columns listed before it, is
checked before any job runs, and must give one value per row. Division by zero is NULL
on both backends (the expression language's rule).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from databricks_mlops.errors import ExpressionError
from databricks_mlops.expressions import ColumnSchema, Expression, ExprType, parse
from databricks_mlops.expressions.checker import Level, resolve
from databricks_mlops.feature_engineering.errors import FeatureEngineeringError


@dataclass(frozen=True)
class DerivedColumn:
    name: str
    text: str
    # Resolved tree: backends run it without the schema.
    expression: Expression
    type: ExprType


def compile_derived(
    derived: Mapping[str, str], schema: Mapping[str, ExprType]
) -> list[DerivedColumn]:
    """Parse and type-check every derived expression, in order."""
    known = ColumnSchema(schema, getattr(schema, "unsupported", None))
    compiled: list[DerivedColumn] = []
    for name, text in derived.items():
        if name in known or name in known.unsupported:
            raise FeatureEngineeringError(
                f"derived column '{name}' already exists in the input; give it a new name "
                f"(a transform keyed by '{name}' may replace it)"
            )
        try:
            checked = resolve(parse(text), known, text)
        except ExpressionError as exc:
            raise FeatureEngineeringError(f"derived column '{name}': {exc}") from exc
        if checked.level is Level.DATASET:
            raise FeatureEngineeringError(
                f"derived column '{name}' must have one value per row, but '{text}' "
                f"describes the whole dataset"
            )
        known[name] = checked.type
        compiled.append(DerivedColumn(name, text, checked.node, checked.type))
    return compiled
