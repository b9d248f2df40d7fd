"""The rule expression language: text -> tokens -> frozen AST -> type check -> backends.

No ``eval``/``exec`` and no Python ``ast`` ever sees user text. Semantics are SQL's
three-valued logic on every backend. ``.str.contains/startswith/endswith`` match
literally; ``.str.matches('re')`` is a regex *search* anywhere in the string (Spark
``rlike``; pandas ``str.contains(regex=True)``), so anchor with ``^...$`` for a full match.
"""

from databricks_mlops.expressions.checker import check
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
)
from databricks_mlops.expressions.pandas_backend import evaluate_pandas
from databricks_mlops.expressions.parser import parse
from databricks_mlops.expressions.rules import CompiledRule, compile_rule, referenced_names
from databricks_mlops.expressions.schemas import ColumnSchema, schema_from_pandas, schema_from_spark
from databricks_mlops.expressions.spark_backend import to_spark
from databricks_mlops.expressions.sql_backend import to_sql
from databricks_mlops.expressions.types import ExprType

__all__ = [
    "Binary",
    "ColumnRef",
    "ColumnSchema",
    "CompiledRule",
    "DatasetMetric",
    "ExprType",
    "Expression",
    "FunctionCall",
    "InList",
    "IsNull",
    "Literal",
    "StringMethod",
    "Unary",
    "check",
    "compile_rule",
    "evaluate_pandas",
    "parse",
    "referenced_names",
    "schema_from_pandas",
    "schema_from_spark",
    "to_spark",
    "to_sql",
]
