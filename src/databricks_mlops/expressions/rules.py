"""A rule = an expression checked against a schema and known to be true/false."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from databricks_mlops.errors import ExpressionError
from databricks_mlops.expressions.checker import Level, resolve
from databricks_mlops.expressions.nodes import Expression
from databricks_mlops.expressions.parser import parse
from databricks_mlops.expressions.types import ExprType


@dataclass(frozen=True)
class CompiledRule:
    """A parsed, type-checked rule, ready for any backend."""

    text: str
    # The *resolved* tree: column names are the schema's, nulls are typed.
    expression: Expression
    result_type: ExprType
    # True when it uses row_count / column_count / unique() / null_fraction().
    dataset_level: bool
    # Resolved column names the rule reads.
    columns: frozenset[str]


def compile_rule(text: str, schema: Mapping[str, ExprType]) -> CompiledRule:
    """Parse and type-check ``text``; a rule must be true/false."""
    checked = resolve(parse(text), schema, text)
    if checked.type is not ExprType.BOOLEAN:
        raise ExpressionError(
            f"a rule must be true/false, this is {checked.type.article}",
            text,
            *checked.node.span,
        )
    return CompiledRule(
        text=text,
        expression=checked.node,
        result_type=checked.type,
        dataset_level=checked.level is Level.DATASET,
        columns=checked.columns,
    )
