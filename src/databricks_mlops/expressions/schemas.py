"""Schemas for the type checker, read from a Spark StructType or a pandas DataFrame."""

from __future__ import annotations

from collections.abc import Collection, Mapping
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


def schema_from_pandas(
    df: pd.DataFrame, *, infer_only: Collection[str] | None = None
) -> dict[str, ExprType]:
    """Map a DataFrame's dtypes; object columns are typed by their non-null values.

    Typing an object column scans every value (~20 ms per million rows). ``infer_only``
    limits the scan to the columns rules may reference; the others are listed as STRING so
    names still resolve for "did you mean" — their type is never consulted.
    """
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
            if infer_only is not None and column not in infer_only:
                expr_type = ExprType.STRING
            else:
                expr_type = type_of_object_series(series)
        if expr_type is None:
            unsupported[column] = str(dtype)
        else:
            types[column] = expr_type
    return ColumnSchema(types, unsupported)


# pandas' C-level inference of an object column's values (skipping NULLs): one pass in C
# instead of an isinstance() per value, which cost seconds on a million rows.
_INFERRED = {
    "string": ExprType.STRING,
    "empty": ExprType.NULL,
    "boolean": ExprType.BOOLEAN,
    "integer": ExprType.NUMBER,
    "floating": ExprType.NUMBER,
    "mixed-integer-float": ExprType.NUMBER,
    "decimal": ExprType.NUMBER,
    "datetime": ExprType.TIMESTAMP,
    "datetime64": ExprType.TIMESTAMP,
    "date": ExprType.DATE,
}


def type_of_object_series(series: Any) -> ExprType | None:
    """The one type every non-null value has, NULL for none, None when they disagree."""
    import pandas as pd

    return _INFERRED.get(pd.api.types.infer_dtype(series, skipna=True))
