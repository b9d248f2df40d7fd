"""Type checker: resolves names against a schema and rejects ill-typed rules before any job.

Checking also *rewrites* the tree so that backends never need the schema: qualified
names become the real column name, ``row_count`` becomes a column when the data has one,
a ``null`` takes the type of what it meets, and a string compared with a date becomes a
date literal.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from databricks_mlops.errors import ExpressionError, did_you_mean
from databricks_mlops.expressions.nodes import (
    ARITHMETIC_OPERATORS,
    LOGICAL_OPERATORS,
    ORDERING_OPERATORS,
    STRING_METHODS,
    Binary,
    ColumnRef,
    DatasetMetric,
    Expression,
    FunctionCall,
    InList,
    IsNull,
    Literal,
    StringMethod,
    Unary,
)
from databricks_mlops.expressions.types import ExprType

TEMPORAL = frozenset({ExprType.DATE, ExprType.TIMESTAMP})


class Level(enum.IntEnum):
    """What one value of a sub-expression describes."""

    CONSTANT = 0  # literals only
    ROW = 1  # one value per row
    DATASET = 2  # one value for the whole dataset (aggregates)


@dataclass(frozen=True)
class Checked:
    """A resolved sub-expression with its type, level and the columns it reads."""

    node: Expression
    type: ExprType
    level: Level
    columns: frozenset[str]


def check(expr: Expression, schema: Mapping[str, ExprType], text: str) -> ExprType:
    """Type-check ``expr`` (parsed from ``text``) against ``schema``; return its type."""
    return resolve(expr, schema, text).type


def resolve(expr: Expression, schema: Mapping[str, ExprType], text: str) -> Checked:
    """Type-check and return the rewritten tree that backends can run without a schema."""
    return _Checker(schema, text).visit(expr)


class _Checker:
    def __init__(self, schema: Mapping[str, ExprType], text: str) -> None:
        self.schema = schema
        self.text = text
        # schema_from_spark records columns it could not map, to explain instead of "unknown".
        self.unsupported: Mapping[str, str] = getattr(schema, "unsupported", {})

    def error(self, message: str, node: Expression) -> ExpressionError:
        return ExpressionError(message, self.text, *node.span)

    def quote(self, node: Expression) -> str:
        snippet = self.text[node.span[0] : node.span[1]]
        # A string literal already shows its own quotes.
        return snippet if snippet[:1] in ("'", '"') else f"'{snippet}'"

    def visit(self, node: Expression) -> Checked:
        if isinstance(node, Literal):
            return Checked(node, node.type, Level.CONSTANT, frozenset())
        if isinstance(node, ColumnRef):
            return self.visit_column(node)
        if isinstance(node, DatasetMetric):
            return self.visit_metric(node)
        if isinstance(node, Unary):
            return self.visit_unary(node)
        if isinstance(node, Binary):
            return self.visit_binary(node)
        if isinstance(node, IsNull):
            operand = self.visit(node.operand)
            return self.combine(replace(node, operand=operand.node), ExprType.BOOLEAN, [operand])
        if isinstance(node, InList):
            return self.visit_in_list(node)
        if isinstance(node, StringMethod):
            return self.visit_string_method(node)
        if isinstance(node, FunctionCall):
            return self.visit_function(node)
        raise self.error(f"unsupported expression node {type(node).__name__}", node)

    def combine(self, node: Expression, result: ExprType, parts: Sequence[Checked]) -> Checked:
        """Result of a node built from ``parts``; row values and aggregates must not mix."""
        row_parts = [part for part in parts if part.level is Level.ROW]
        dataset_parts = [part for part in parts if part.level is Level.DATASET]
        if row_parts and dataset_parts:
            row_column = sorted(row_parts[0].columns)[0] if row_parts[0].columns else "?"
            raise self.error(
                f"{self.quote(dataset_parts[0].node)} is one value for the whole dataset and "
                f"cannot be combined with the row-level column '{row_column}'; "
                "write a row rule and a dataset rule separately",
                dataset_parts[0].node,
            )
        level = max((part.level for part in parts), default=Level.CONSTANT)
        columns = frozenset().union(*(part.columns for part in parts))
        return Checked(node, result, level, columns)

    # -- names -----------------------------------------------------------------------

    def visit_column(self, ref: ColumnRef) -> Checked:
        parts = (*ref.qualifier, ref.name)
        # Prefer a column literally named "customers.id", then drop qualifiers one by one.
        candidates = [".".join(parts[index:]) for index in range(len(parts))]
        for candidate in candidates:
            if candidate in self.schema:
                resolved = ColumnRef(candidate, span=ref.span)
                return Checked(resolved, self.schema[candidate], Level.ROW, frozenset({candidate}))
        for candidate in candidates:
            if candidate in self.unsupported:
                raise self.error(
                    f"column '{candidate}' has type {self.unsupported[candidate]}, an unsupported "
                    "column type for rules (numbers, strings, booleans, dates and timestamps are)",
                    ref,
                )
        hint = did_you_mean(ref.written, self.schema) or did_you_mean(ref.name, self.schema)
        if not hint and len(self.schema) <= 12:
            hint = f"; columns: {', '.join(sorted(self.schema)) or '(none)'}"
        raise self.error(f"unknown column '{ref.written}'{hint}", ref)

    def visit_metric(self, metric: DatasetMetric) -> Checked:
        written = self.text[metric.span[0] : metric.span[1]]
        for name in (written, metric.name):
            if name in self.schema:  # a real column of that name wins over the keyword
                return self.visit_column(ColumnRef(name, span=metric.span))
        return Checked(metric, ExprType.NUMBER, Level.DATASET, frozenset())

    # -- operators -------------------------------------------------------------------

    def expect(self, part: Checked, wanted: ExprType, what: str) -> Checked:
        """``part`` must have type ``wanted``; a bare ``null`` is retyped to it."""
        if part.type is wanted:
            return part
        if part.type is ExprType.NULL:
            return _retyped(part, wanted)
        raise self.error(f"{what}, but {self.quote(part.node)} is {part.type.article}", part.node)

    def visit_unary(self, node: Unary) -> Checked:
        operand = self.visit(node.operand)
        if node.op == "not":
            operand = self.expect(operand, ExprType.BOOLEAN, "'not' needs a true/false value")
            return self.combine(replace(node, operand=operand.node), ExprType.BOOLEAN, [operand])
        operand = self.expect(operand, ExprType.NUMBER, "'-' needs a number")
        return self.combine(replace(node, operand=operand.node), ExprType.NUMBER, [operand])

    def visit_binary(self, node: Binary) -> Checked:
        left, right = self.visit(node.left), self.visit(node.right)
        if node.op in LOGICAL_OPERATORS:
            what = f"'{node.op}' needs true/false values on both sides"
            left = self.expect(left, ExprType.BOOLEAN, what)
            right = self.expect(right, ExprType.BOOLEAN, what)
            result = ExprType.BOOLEAN
        elif node.op in ARITHMETIC_OPERATORS:
            what = f"'{node.op}' needs numbers on both sides"
            left = self.expect(left, ExprType.NUMBER, what)
            right = self.expect(right, ExprType.NUMBER, what)
            result = ExprType.NUMBER
        else:
            left, right = self.unify_comparison(node, left, right)
            result = ExprType.BOOLEAN
        rebuilt = replace(node, left=left.node, right=right.node)
        return self.combine(rebuilt, result, [left, right])

    def unify_comparison(
        self, node: Binary, left: Checked, right: Checked
    ) -> tuple[Checked, Checked]:
        if left.type is ExprType.NULL and right.type is not ExprType.NULL:
            left = _retyped(left, right.type)
        elif right.type is ExprType.NULL and left.type is not ExprType.NULL:
            right = _retyped(right, left.type)
        elif left.type in TEMPORAL and right.type is ExprType.STRING:
            right = self.as_temporal(right, left.type)
        elif right.type in TEMPORAL and left.type is ExprType.STRING:
            left = self.as_temporal(left, right.type)
        compatible = left.type is right.type or {left.type, right.type} <= TEMPORAL
        if not compatible:
            # Point at the literal side when there is one: the column's type is the given.
            culprit: Expression = node
            if isinstance(right.node, Literal) and not isinstance(left.node, Literal):
                culprit = right.node
            elif isinstance(left.node, Literal) and not isinstance(right.node, Literal):
                culprit = left.node
            raise self.error(
                f"cannot compare {left.type.article} with {right.type.article}: "
                f"{self.quote(left.node)} is {left.type.article}, "
                f"{self.quote(right.node)} is {right.type.article}",
                culprit,
            )
        if node.op in ORDERING_OPERATORS and ExprType.BOOLEAN in (left.type, right.type):
            raise self.error(f"'{node.op}' cannot order true/false values; use == or !=", node)
        return left, right

    def as_temporal(self, part: Checked, wanted: ExprType) -> Checked:
        """A string literal compared with a date/timestamp becomes a date/timestamp literal."""
        literal = part.node
        if not isinstance(literal, Literal) or not isinstance(literal.value, str):
            raise self.error(
                f"cannot compare {wanted.article} with the string {self.quote(literal)}", literal
            )
        value: dt.date
        try:
            if wanted is ExprType.DATE:
                value = dt.date.fromisoformat(literal.value)
            else:
                value = dt.datetime.fromisoformat(literal.value)
        except ValueError:
            example = "'2024-01-31'" if wanted is ExprType.DATE else "'2024-01-31 12:00:00'"
            raise self.error(
                f"{self.quote(literal)} is not {wanted.article} (write it like {example})", literal
            ) from None
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            raise self.error(
                "timestamps are compared without a time zone; drop the offset", literal
            )
        return Checked(
            Literal(value, wanted, span=literal.span), wanted, Level.CONSTANT, frozenset()
        )

    def visit_in_list(self, node: InList) -> Checked:
        operand = self.visit(node.operand)
        wanted = operand.type
        if wanted is ExprType.NULL:
            wanted = next(
                (item.type for item in node.items if item.type is not ExprType.NULL), wanted
            )
            operand = _retyped(operand, wanted)
        items: list[Literal] = []
        for item in node.items:
            checked = Checked(item, item.type, Level.CONSTANT, frozenset())
            if item.type is ExprType.NULL:
                checked = _retyped(checked, wanted)
            elif wanted in TEMPORAL and item.type is ExprType.STRING:
                checked = self.as_temporal(checked, wanted)
            elif item.type is not wanted:
                raise self.error(
                    f"{self.quote(item)} is {item.type.article}, but "
                    f"{self.quote(operand.node)} is {wanted.article}",
                    item,
                )
            assert isinstance(checked.node, Literal)
            items.append(checked.node)
        rebuilt = replace(node, operand=operand.node, items=tuple(items))
        return self.combine(rebuilt, ExprType.BOOLEAN, [operand])

    def visit_string_method(self, node: StringMethod) -> Checked:
        receiver = self.visit(node.receiver)
        call = f"'.str.{node.method}()'"
        receiver = self.expect(receiver, ExprType.STRING, f"{call} needs a string")
        arity = STRING_METHODS[node.method]
        if len(node.args) != arity:
            wanted = "no arguments" if arity == 0 else f"{arity} argument (a quoted string)"
            raise self.error(f"{call} takes {wanted}, got {len(node.args)}", node)
        for arg in node.args:
            if not isinstance(arg, Literal) or arg.type is not ExprType.STRING:
                raise self.error(
                    f"the argument of {call} must be a quoted string like 'x', "
                    f"not {self.quote(arg)}",
                    arg,
                )
            if node.method == "matches":
                self.check_regex(arg)
        result = ExprType.NUMBER if node.method == "len" else ExprType.BOOLEAN
        return self.combine(replace(node, receiver=receiver.node), result, [receiver])

    def check_regex(self, arg: Literal) -> None:
        assert isinstance(arg.value, str)
        try:
            re.compile(arg.value)
        except re.error as exc:
            raise self.error(f"invalid regular expression {self.quote(arg)}: {exc}", arg) from None

    def visit_function(self, node: FunctionCall) -> Checked:
        if len(node.args) != 1 or not isinstance(node.args[0], ColumnRef | DatasetMetric):
            culprit = node.args[0] if len(node.args) == 1 else node
            raise self.error(
                f"{node.name}() takes exactly one column name, like {node.name}(customer_id)",
                culprit,
            )
        column = self.visit(node.args[0])
        if column.level is not Level.ROW:
            raise self.error(f"{node.name}() takes a column name", node.args[0])
        result = ExprType.BOOLEAN if node.name == "unique" else ExprType.NUMBER
        return Checked(replace(node, args=(column.node,)), result, Level.DATASET, column.columns)


def _retyped(part: Checked, wanted: ExprType) -> Checked:
    """Give a ``null`` literal the type of the value it meets (backends need a type)."""
    node = part.node
    if isinstance(node, Literal) and node.type is ExprType.NULL:
        node = Literal(None, wanted, span=node.span)
    return Checked(node, wanted, part.level, part.columns)
