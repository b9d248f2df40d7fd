"""Spark backend: resolved AST -> a ``pyspark.sql.Column``.

Spark 4 runs in ANSI mode, where ``x / 0`` and ``x % 0`` abort the job; dividing by
``when(b != 0, b)`` (NULL otherwise) gives the SQL NULL that every backend agrees on.
pyspark is imported inside the functions so that importing the expression package
stays cheap for tasks that never touch Spark.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from databricks_mlops.errors import MLOpsError
from databricks_mlops.expressions.nodes import (
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
    string_argument,
)
from databricks_mlops.expressions.types import ExprType

if TYPE_CHECKING:
    from pyspark.sql import Column

_NULL_CASTS = {
    ExprType.NUMBER: "double",
    ExprType.STRING: "string",
    ExprType.BOOLEAN: "boolean",
    ExprType.DATE: "date",
    ExprType.TIMESTAMP: "timestamp",
}


def spark_column_name(name: str) -> str:
    """Backquote a column name so dots and spaces are part of the name, not struct access."""
    return "`" + name.replace("`", "``") + "`"


def to_spark(expr: Expression, *, column_count: int) -> Column:
    """A row-level expression -> per-row Column; a dataset-level one -> an aggregate Column."""
    return _SparkCompiler(column_count).compile(expr)


class _SparkCompiler:
    def __init__(self, column_count: int) -> None:
        self.column_count = column_count

    def compile(self, node: Expression) -> Column:
        from pyspark.sql import functions as F

        if isinstance(node, Literal):
            if node.value is None:
                cast = _NULL_CASTS.get(node.type)
                return F.lit(None) if cast is None else F.lit(None).cast(cast)
            return F.lit(node.value)
        if isinstance(node, ColumnRef):
            return F.col(spark_column_name(node.name))
        if isinstance(node, Unary):
            operand = self.compile(node.operand)
            return ~operand if node.op == "not" else -operand
        if isinstance(node, Binary):
            return self.binary(node.op, self.compile(node.left), self.compile(node.right))
        if isinstance(node, IsNull):
            operand = self.compile(node.operand)
            return operand.isNotNull() if node.negated else operand.isNull()
        if isinstance(node, InList):
            found = self.compile(node.operand).isin(*(self.compile(item) for item in node.items))
            return ~found if node.negated else found
        if isinstance(node, StringMethod):
            return self.string_method(node)
        if isinstance(node, FunctionCall):
            return self.aggregate(node)
        if isinstance(node, DatasetMetric):
            if node.name == "row_count":
                return F.count(F.lit(1))
            return F.lit(self.column_count)
        raise MLOpsError(f"the spark backend cannot compile {type(node).__name__}")

    def binary(self, op: str, left: Column, right: Column) -> Column:
        from pyspark.sql import functions as F

        match op:
            case "and":
                return left & right
            case "or":
                return left | right
            case "==":
                return left == right
            case "!=":
                return left != right
            case ">":
                return left > right
            case ">=":
                return left >= right
            case "<":
                return left < right
            case "<=":
                return left <= right
            case "+":
                return left + right
            case "-":
                return left - right
            case "*":
                return left * right
            case "/":
                return left / F.when(right != 0, right)
            case "%":
                return left % F.when(right != 0, right)
        raise MLOpsError(f"the spark backend has no operator {op!r}")

    def string_method(self, node: StringMethod) -> Column:
        from pyspark.sql import functions as F

        receiver = self.compile(node.receiver)
        argument = string_argument(node)
        match node.method:
            case "contains":
                return receiver.contains(F.lit(argument))
            case "startswith":
                return receiver.startswith(F.lit(argument))
            case "endswith":
                return receiver.endswith(F.lit(argument))
            case "matches":
                return receiver.rlike(argument)
            case "len":
                return F.length(receiver)
        raise MLOpsError(f"the spark backend has no string method {node.method!r}")

    def aggregate(self, node: FunctionCall) -> Column:
        from pyspark.sql import functions as F

        column = self.compile(node.args[0])
        if node.name == "unique":
            return F.count(column) == F.count_distinct(column)
        if node.name == "null_fraction":
            rows = F.count(F.lit(1))
            nulls = F.sum(F.when(column.isNull(), 1).otherwise(0))
            return nulls / F.when(rows != 0, rows)
        raise MLOpsError(f"the spark backend has no function {node.name!r}")
