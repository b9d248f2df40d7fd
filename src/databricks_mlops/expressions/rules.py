"""A rule = an expression checked against a schema and known to be true/false."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from databricks_mlops.errors import ExpressionError
from databricks_mlops.expressions.checker import Level, resolve
from databricks_mlops.expressions.nodes import (
    ColumnRef,
    DatasetMetric,
    Expression,
    IsNull,
    children,
)
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


def referenced_names(conditions: Iterable[str], *, typed_only: bool = False) -> set[str]:
    """Every column name the rules' conditions could resolve to, before type checking:
    each qualified name with and without its qualifiers, and dataset metrics (a column
    named ``row_count`` wins over the metric). Unparsable rules contribute nothing here;
    compiling them reports the error.

    ``typed_only`` leaves out columns referenced only as the operand of ``is [not] null``,
    which accepts any type: a pandas object column needs no typing scan for it."""
    names: set[str] = set()
    for condition in conditions:
        try:
            tree = parse(condition)
        except ExpressionError:
            continue
        pending = [tree]
        while pending:
            node = pending.pop()
            if typed_only and isinstance(node, IsNull) and isinstance(node.operand, ColumnRef):
                continue
            if isinstance(node, ColumnRef):
                parts = (*node.qualifier, node.name)
                names.update(".".join(parts[start:]) for start in range(len(parts)))
            elif isinstance(node, DatasetMetric):
                names.add(node.name)
            pending.extend(children(node))
    return names
