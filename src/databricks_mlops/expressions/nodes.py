"""The expression AST: frozen dataclasses, each remembering its span in the rule text."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from databricks_mlops.errors import MLOpsError
from databricks_mlops.expressions.types import ExprType

LiteralValue = int | float | str | bool | dt.date | dt.datetime | None

COMPARISON_OPERATORS = frozenset({"==", "!=", ">", ">=", "<", "<="})
ORDERING_OPERATORS = frozenset({">", ">=", "<", "<="})
ARITHMETIC_OPERATORS = frozenset({"+", "-", "*", "/", "%"})
LOGICAL_OPERATORS = frozenset({"and", "or"})

# Method name -> number of arguments (every argument is a string literal).
STRING_METHODS = {"contains": 1, "startswith": 1, "endswith": 1, "matches": 1, "len": 0}
# Dataset-level functions; each takes exactly one column.
DATASET_FUNCTIONS = frozenset({"unique", "null_fraction"})
DATASET_METRICS = frozenset({"row_count", "column_count"})


@dataclass(frozen=True)
class Expression:
    """Base of every node. ``span`` is the node's ``[start, end)`` in the rule text."""

    span: tuple[int, int] = field(kw_only=True)


@dataclass(frozen=True)
class Literal(Expression):
    value: LiteralValue
    # The literal's type; a ``null`` gets the type of what it meets once type-checked.
    type: ExprType


@dataclass(frozen=True)
class ColumnRef(Expression):
    name: str
    # Leading parts of a qualified name (``customers.id`` -> qualifier ("customers",)).
    qualifier: tuple[str, ...] = ()

    @property
    def written(self) -> str:
        return ".".join((*self.qualifier, self.name))


@dataclass(frozen=True)
class Unary(Expression):
    op: str  # "-" or "not"
    operand: Expression


@dataclass(frozen=True)
class Binary(Expression):
    op: str  # comparison, arithmetic or logical operator
    left: Expression
    right: Expression


@dataclass(frozen=True)
class IsNull(Expression):
    operand: Expression
    negated: bool  # ``is not null``


@dataclass(frozen=True)
class InList(Expression):
    operand: Expression
    items: tuple[Literal, ...]
    negated: bool  # ``not in``


@dataclass(frozen=True)
class StringMethod(Expression):
    method: str  # a key of STRING_METHODS
    receiver: Expression
    args: tuple[Expression, ...]


@dataclass(frozen=True)
class FunctionCall(Expression):
    """A dataset-level function: ``unique(col)`` or ``null_fraction(col)``."""

    name: str
    args: tuple[Expression, ...]


@dataclass(frozen=True)
class DatasetMetric(Expression):
    name: str  # "row_count" or "column_count"


def children(node: Expression) -> tuple[Expression, ...]:
    """The direct sub-expressions of ``node``."""
    if isinstance(node, Unary):
        return (node.operand,)
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, IsNull):
        return (node.operand,)
    if isinstance(node, InList):
        return (node.operand, *node.items)
    if isinstance(node, StringMethod):
        return (node.receiver, *node.args)
    if isinstance(node, FunctionCall):
        return node.args
    return ()


def is_dataset_level(node: Expression) -> bool:
    """True when the (resolved) expression aggregates the whole dataset."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, DatasetMetric | FunctionCall):
            return True
        stack.extend(children(current))
    return False


def string_argument(node: StringMethod) -> str:
    """The string literal argument of a checked string method ("" for ``len()``)."""
    if not node.args:
        return ""
    argument = node.args[0]
    if not isinstance(argument, Literal) or not isinstance(argument.value, str):
        raise MLOpsError(f".str.{node.method}() needs a string literal; type-check the rule first")
    return argument.value
