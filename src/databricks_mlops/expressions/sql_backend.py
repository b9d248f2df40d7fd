"""SQL backend: resolved AST -> Spark SQL text (for ``spark.sql`` / ``F.expr``).

Injection-safe by construction: identifiers are always backquoted (inner backquotes
doubled) and string literals are single-quoted with ``\\`` and ``'`` backslash-escaped.
Spark SQL reads a doubled quote ``'O''Brien'`` as two adjacent literals ("OBrien"), so
doubling, the ANSI spelling, would silently change values there. This assumes the default
``spark.sql.parser.escapedStringLiterals=false``.
"""

from __future__ import annotations

import datetime as dt

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
    LiteralValue,
    StringMethod,
    Unary,
    string_argument,
)
from databricks_mlops.expressions.types import ExprType

_SQL_TYPES = {
    ExprType.NUMBER: "DOUBLE",
    ExprType.STRING: "STRING",
    ExprType.BOOLEAN: "BOOLEAN",
    ExprType.DATE: "DATE",
    ExprType.TIMESTAMP: "TIMESTAMP",
}
_SQL_OPERATORS = {"==": "=", "!=": "<>", "and": "AND", "or": "OR"}
LIKE_ESCAPE = "!"


def sql_identifier(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def sql_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def sql_literal(value: LiteralValue, expr_type: ExprType) -> str:
    if value is None:
        sql_type = _SQL_TYPES.get(expr_type)
        return "NULL" if sql_type is None else f"CAST(NULL AS {sql_type})"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return f"({value})" if value < 0 else str(value)
    if isinstance(value, float):
        # An exponent makes Spark read a DOUBLE (1.5 alone would be a DECIMAL).
        text = repr(value).upper()
        text = text if "E" in text else f"{text}E0"
        return f"({text})" if value < 0 else text
    if isinstance(value, dt.datetime):
        return f"TIMESTAMP '{value.isoformat(sep=' ')}'"
    if isinstance(value, dt.date):
        return f"DATE '{value.isoformat()}'"
    return sql_string(value)


def to_sql(expr: Expression, *, column_count: int | None = None) -> str:
    """Spark SQL text; dataset-level expressions become aggregate SQL (COUNT(*), ...)."""
    return _SqlWriter(column_count).write(expr)


class _SqlWriter:
    def __init__(self, column_count: int | None) -> None:
        self.column_count = column_count

    def write(self, node: Expression) -> str:
        if isinstance(node, Literal):
            return sql_literal(node.value, node.type)
        if isinstance(node, ColumnRef):
            return sql_identifier(node.name)
        if isinstance(node, Unary):
            operand = self.write(node.operand)
            return f"(NOT {operand})" if node.op == "not" else f"(-{operand})"
        if isinstance(node, Binary):
            return self.binary(node)
        if isinstance(node, IsNull):
            return f"({self.write(node.operand)} IS {'NOT ' if node.negated else ''}NULL)"
        if isinstance(node, InList):
            items = ", ".join(self.write(item) for item in node.items)
            keyword = "NOT IN" if node.negated else "IN"
            return f"({self.write(node.operand)} {keyword} ({items}))"
        if isinstance(node, StringMethod):
            return self.string_method(node)
        if isinstance(node, FunctionCall):
            column = self.write(node.args[0])
            if node.name == "unique":
                return f"(COUNT({column}) = COUNT(DISTINCT {column}))"
            return f"(SUM(CASE WHEN {column} IS NULL THEN 1 ELSE 0 END) / NULLIF(COUNT(*), 0))"
        if isinstance(node, DatasetMetric):
            if node.name == "row_count":
                return "COUNT(*)"
            if self.column_count is None:
                raise MLOpsError(
                    "to_sql() needs column_count=... for an expression that uses column_count"
                )
            return str(self.column_count)
        raise MLOpsError(f"the sql backend cannot write {type(node).__name__}")

    def binary(self, node: Binary) -> str:
        left, right = self.write(node.left), self.write(node.right)
        if node.op in ("/", "%"):
            return f"({left} {node.op} NULLIF({right}, 0))"
        return f"({left} {_SQL_OPERATORS.get(node.op, node.op)} {right})"

    def string_method(self, node: StringMethod) -> str:
        receiver = self.write(node.receiver)
        if node.method == "len":
            return f"CHAR_LENGTH({receiver})"
        argument = string_argument(node)
        if node.method == "matches":
            return f"({receiver} RLIKE {sql_string(argument)})"
        # LIKE with its wildcards escaped: the argument is matched literally.
        literal = "".join(
            LIKE_ESCAPE + char if char in ("%", "_", LIKE_ESCAPE) else char for char in argument
        )
        pattern = {
            "contains": f"%{literal}%",
            "startswith": f"{literal}%",
            "endswith": f"%{literal}",
        }[node.method]
        return f"({receiver} LIKE {sql_string(pattern)} ESCAPE '{LIKE_ESCAPE}')"
