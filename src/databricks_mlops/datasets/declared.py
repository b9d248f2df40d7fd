"""Sample rows for any data config, synthesised from what the config declares.

A generated project's tests must not depend on the dataset it was generated for, so they
write rows built from the project's own ``configs/data.yml``:

* the columns and their types are the ``cast_columns`` steps' (the declared schema),
  written under the raw names the source file has (``rename_columns`` steps undone);
* key and ordering columns of ``deduplicate`` steps are included even when undeclared;
* simple validation rules are honoured, so the rows pass them: comparisons with a literal
  (``age >= 0 and age <= 120``), ``in`` lists, ``is not null``, ``unique(col)`` and
  ``.str.contains/startswith/endswith``; of an ``or``, the first branch. Other rules and
  ``filter_rows`` conditions are not interpreted.

The rows carry no signal (labels are random): they exercise the wiring, not a model.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from databricks_mlops.config.data import CastColumns, DataConfig, Deduplicate, RenameColumns
from databricks_mlops.errors import DatasetError, ExpressionError
from databricks_mlops.expressions.nodes import (
    Binary,
    ColumnRef,
    Expression,
    FunctionCall,
    InList,
    Literal,
    StringMethod,
    Unary,
)
from databricks_mlops.expressions.parser import parse

_INTEGER = {"int", "integer", "bigint", "long", "smallint", "short", "tinyint", "byte"}
_REAL = {"double", "float", "real"}
_FLIPPED = {">": "<", ">=": "<=", "<": ">", "<=": ">=", "==": "==", "!=": "!="}
_START = dt.datetime(2024, 1, 1)


@dataclass
class _Column:
    """What the rules ask of one column."""

    type: str = "string"
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: list[Any] | None = None
    unique: bool = False
    affixes: dict[str, str] = field(default_factory=dict)


def declared_columns(config: DataConfig) -> dict[str, str]:
    """Column -> declared Spark type, under the names the steps end with."""
    declared: dict[str, str] = {}
    for step in config.transformation_steps:
        if isinstance(step, RenameColumns):
            declared = {step.mapping.get(name, name): kind for name, kind in declared.items()}
        elif isinstance(step, CastColumns):
            declared.update({name: kind.lower() for name, kind in step.mapping.items()})
        elif isinstance(step, Deduplicate):
            for name in [*step.keys, *([step.order_by] if step.order_by else [])]:
                declared.setdefault(name, "string")
    return declared


def raw_names(config: DataConfig) -> dict[str, str]:
    """Final column name -> the name it has in the source file (renames undone)."""
    final_to_raw: dict[str, str] = {}
    for step in reversed(config.transformation_steps):
        if isinstance(step, RenameColumns):
            for old, new in step.mapping.items():
                final_to_raw[new] = final_to_raw.get(old, old)
    return final_to_raw


def sample_rows(config: DataConfig, rows: int = 1000, seed: int = 0) -> pd.DataFrame:
    """``rows`` records of the columns ``config`` declares, as its source file holds them.

    Raises :class:`DatasetError` when the config declares no column types (add a
    ``cast_columns`` step) or its rules leave a column no value to take.
    """
    if rows < 1:
        raise DatasetError(f"rows must be at least 1, got {rows}")
    declared = declared_columns(config)
    if not declared:
        raise DatasetError(
            "the data config declares no columns: list each column's type in a "
            "cast_columns step (transformation_steps), e.g. {type: cast_columns, "
            "mapping: {age: int, signup_date: date}}"
        )
    columns = {name: _Column(type=kind) for name, kind in declared.items()}
    for rule in config.validation_rules:
        try:
            tree = parse(rule.condition)
        except ExpressionError:
            continue  # the validate task reports it; sample rows need not
        _constrain(tree, columns)
    random = np.random.default_rng(seed)
    renamed = raw_names(config)
    return pd.DataFrame(
        {
            renamed.get(name, name): _values(name, column, rows, random)
            for name, column in columns.items()
        }
    )


def _constrain(node: Expression, columns: dict[str, _Column]) -> None:
    if isinstance(node, Binary) and node.op == "and":
        _constrain(node.left, columns)
        _constrain(node.right, columns)
    elif isinstance(node, Binary) and node.op == "or":
        _constrain(node.left, columns)  # one satisfied branch is enough
    elif isinstance(node, Binary) and node.op in _FLIPPED:
        name, value, op = _column_and_literal(node)
        if name in columns and isinstance(value, int | float) and not isinstance(value, bool):
            _bound(columns[name], op, float(value))
        elif name in columns and op == "==" and value is not None:
            columns[name].choices = [value]
    elif isinstance(node, InList) and not node.negated:
        name = node.operand.name if isinstance(node.operand, ColumnRef) else None
        values = [item.value for item in node.items if item.value is not None]
        if name in columns and values:
            columns[name].choices = values
    elif isinstance(node, FunctionCall) and node.name == "unique" and node.args:
        argument = node.args[0]
        if isinstance(argument, ColumnRef) and argument.name in columns:
            columns[argument.name].unique = True
    elif isinstance(node, StringMethod) and node.method in ("contains", "startswith", "endswith"):
        receiver = node.receiver
        affix = node.args[0] if node.args else None
        if (
            isinstance(receiver, ColumnRef)
            and receiver.name in columns
            and isinstance(affix, Literal)
            and isinstance(affix.value, str)
        ):
            columns[receiver.name].affixes[node.method] = affix.value
    # Anything else (`is not null` included: no value is ever NULL) asks nothing.


def _column_and_literal(node: Binary) -> tuple[str | None, Any, str]:
    left, right = _literal_value(node.left), _literal_value(node.right)
    if isinstance(node.left, ColumnRef) and right is not _NOT_LITERAL:
        return node.left.name, right, node.op
    if isinstance(node.right, ColumnRef) and left is not _NOT_LITERAL:
        return node.right.name, left, _FLIPPED[node.op]
    return None, None, node.op


_NOT_LITERAL = object()


def _literal_value(node: Expression) -> Any:
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Unary) and node.op == "-" and isinstance(node.operand, Literal):
        value = node.operand.value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return -value
    return _NOT_LITERAL


def _bound(column: _Column, op: str, value: float) -> None:
    if op in (">", ">="):
        if column.low is None or value >= column.low:
            column.low, column.low_open = value, op == ">"
    elif op in ("<", "<="):
        if column.high is None or value <= column.high:
            column.high, column.high_open = value, op == "<"
    elif op == "==":
        column.choices = [value]


def _values(name: str, column: _Column, rows: int, random: np.random.Generator) -> list[Any]:
    if column.choices is not None:
        picks = random.integers(0, len(column.choices), rows)
        return [column.choices[i] for i in picks]
    kind = column.type
    if kind in _INTEGER or kind in _REAL or kind.startswith("decimal"):
        return _numbers(name, column, rows, random, whole=kind in _INTEGER)
    if kind in ("boolean", "bool"):
        return [bool(b) for b in random.integers(0, 2, rows)]
    if kind == "date":
        days = random.permutation(rows) if column.unique else random.integers(0, 365, rows)
        return [(_START + dt.timedelta(days=int(d))).date().isoformat() for d in days]
    if kind.startswith("timestamp"):
        seconds = (
            random.permutation(rows) if column.unique else random.integers(0, 86400 * 365, rows)
        )
        return [(_START + dt.timedelta(seconds=int(s))).isoformat(sep=" ") for s in seconds]
    return _strings(name, column, rows, random)


def _numbers(
    name: str, column: _Column, rows: int, random: np.random.Generator, *, whole: bool
) -> list[Any]:
    low = column.low if column.low is not None else 0.0
    if column.low is None and column.high is not None:
        low = column.high - 100
    high = column.high if column.high is not None else low + max(100, rows)
    if whole:
        first = math.ceil(low) + (1 if column.low_open and float(low).is_integer() else 0)
        last = math.floor(high) - (1 if column.high_open and float(high).is_integer() else 0)
        available = last - first + 1
        if available < 1 or (column.unique and available < rows):
            raise DatasetError(
                f"column {name!r}: the rules leave {max(available, 0)} whole numbers between "
                f"{low:g} and {high:g}, too few for {rows} {'unique ' if column.unique else ''}rows"
            )
        if column.unique:
            return [int(v) for v in random.permutation(np.arange(first, first + rows))]
        return [int(v) for v in random.integers(first, last + 1, rows)]
    if high < low or (high == low and (column.low_open or column.high_open)):
        raise DatasetError(
            f"column {name!r}: the rules want a value above {low:g} and below {high:g}"
        )
    # Open bounds stay open: draw from the inner 98% of the interval.
    values = low + (high - low) * (0.01 + 0.98 * random.random(rows))
    return [round(float(v), 4) for v in values]


def _strings(name: str, column: _Column, rows: int, random: np.random.Generator) -> list[str]:
    if column.unique:
        stems = [f"{name}_{i:07d}" for i in random.permutation(rows)]
    else:
        stems = [f"{name}_{'abc'[i]}" for i in random.integers(0, 3, rows)]
    prefix = column.affixes.get("startswith", "")
    middle = column.affixes.get("contains", "")
    suffix = column.affixes.get("endswith", "")
    return [f"{prefix}{stem}{middle}{suffix}" for stem in stems]
