"""Schemas for the type checker, read from a Spark StructType or a pandas DataFrame."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from databricks_mlops.expressions.types import ExprType

if TYPE_CHECKING:
    import pandas as pd
    from pyspark.sql.types import StructType


class ColumnSchema(dict[str, ExprType]):
    """Column name -> type, plus the columns left out because rules cannot use their type.

    Keeping the left-out ones lets the checker say "unsupported column type" rather than
    "unknown column" for, say, an array column.
    """

    def __init__(
        self, types: Mapping[str, ExprType], unsupported: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(types)
        self.unsupported: dict[str, str] = dict(unsupported or {})


_SPARK_TYPES = {
    "ByteType": ExprType.NUMBER,
    "ShortType": ExprType.NUMBER,
    "IntegerType": ExprType.NUMBER,
    "LongType": ExprType.NUMBER,
    "FloatType": ExprType.NUMBER,
    "DoubleType": ExprType.NUMBER,
    "DecimalType": ExprType.NUMBER,
    "StringType": ExprType.STRING,
    "CharType": ExprType.STRING,
    "VarcharType": ExprType.STRING,
    "BooleanType": ExprType.BOOLEAN,
    "DateType": ExprType.DATE,
    "TimestampType": ExprType.TIMESTAMP,
    "TimestampNTZType": ExprType.TIMESTAMP,
    "NullType": ExprType.NULL,
}


def schema_from_spark(struct: StructType) -> dict[str, ExprType]:
    """Map a Spark schema; arrays, maps, structs, binary... are left out (unsupported)."""
    types: dict[str, ExprType] = {}
    unsupported: dict[str, str] = {}
    for field in struct.fields:
        # Matching on the class name keeps pyspark out of this module's imports.
        expr_type = _SPARK_TYPES.get(type(field.dataType).__name__)
        if expr_type is None:
            unsupported[field.name] = field.dataType.simpleString()
        else:
            types[field.name] = expr_type
    return ColumnSchema(types, unsupported)


def schema_from_pandas(df: pd.DataFrame) -> dict[str, ExprType]:
    """Map a DataFrame's dtypes; object columns are typed by their non-null values."""
    from pandas.api import types as ptypes

    types: dict[str, ExprType] = {}
    unsupported: dict[str, str] = {}
    for name, series in df.items():
        column = str(name)
        dtype = series.dtype
        expr_type: ExprType | None = None
        if ptypes.is_bool_dtype(dtype):
            expr_type = ExprType.BOOLEAN
        elif ptypes.is_numeric_dtype(dtype):
            expr_type = ExprType.NUMBER
        elif ptypes.is_datetime64_any_dtype(dtype):
            expr_type = ExprType.TIMESTAMP
        elif ptypes.is_string_dtype(dtype) or ptypes.is_object_dtype(dtype):
            expr_type = _type_of_values(series.dropna().tolist())
        if expr_type is None:
            unsupported[column] = str(dtype)
        else:
            types[column] = expr_type
    return ColumnSchema(types, unsupported)


def _type_of_values(values: list[Any]) -> ExprType | None:
    """The one type every value has, NULL for no values, None when they disagree."""
    if not values:
        return ExprType.NULL
    kinds = {_type_of_value(value) for value in values}
    return kinds.pop() if len(kinds) == 1 else None


def _type_of_value(value: object) -> ExprType | None:
    # bool before number (bool is an int) and datetime before date (datetime is a date).
    if isinstance(value, str):
        return ExprType.STRING
    if isinstance(value, bool):
        return ExprType.BOOLEAN
    if isinstance(value, int | float):
        return ExprType.NUMBER
    if isinstance(value, dt.datetime):
        return ExprType.TIMESTAMP
    if isinstance(value, dt.date):
        return ExprType.DATE
    return None
