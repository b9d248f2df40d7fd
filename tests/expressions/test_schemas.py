"""Schemas from Spark / pandas, the SQL backend, and the package's import cost."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pandas as pd
import pytest

from databricks_mlops.errors import ExpressionError, MLOpsError
from databricks_mlops.expressions import (
    ExprType,
    compile_rule,
    evaluate_pandas,
    schema_from_pandas,
    schema_from_spark,
    to_sql,
)


def test_schema_from_spark_maps_supported_types() -> None:
    from pyspark.sql import types as T

    struct = T.StructType(
        [
            T.StructField("i", T.IntegerType()),
            T.StructField("d", T.DecimalType(10, 2)),
            T.StructField("s", T.StringType()),
            T.StructField("b", T.BooleanType()),
            T.StructField("day", T.DateType()),
            T.StructField("ts", T.TimestampType()),
            T.StructField("ntz", T.TimestampNTZType()),
            T.StructField("m", T.MapType(T.StringType(), T.LongType())),
            T.StructField("bin", T.BinaryType()),
        ]
    )
    assert schema_from_spark(struct) == {
        "i": ExprType.NUMBER,
        "d": ExprType.NUMBER,
        "s": ExprType.STRING,
        "b": ExprType.BOOLEAN,
        "day": ExprType.DATE,
        "ts": ExprType.TIMESTAMP,
        "ntz": ExprType.TIMESTAMP,
    }


def test_schema_from_pandas_types_object_columns_by_their_values() -> None:
    df = pd.DataFrame(
        {
            "n": [1, 2, None],
            "s": ["a", None, "c"],
            "mixed": ["a", 1, None],
            "flag": [True, None, False],
            "day": [dt.date(2024, 1, 1), None, dt.date(2024, 1, 2)],
            "ts": pd.to_datetime(["2024-01-01", None, "2024-01-02"]),
            "empty": [None, None, None],
            "text": pd.array(["x", None, "y"], dtype="string"),
        }
    )
    schema = schema_from_pandas(df)
    assert schema == {
        "n": ExprType.NUMBER,
        "s": ExprType.STRING,
        "flag": ExprType.BOOLEAN,
        "day": ExprType.DATE,
        "ts": ExprType.TIMESTAMP,
        "empty": ExprType.NULL,
        "text": ExprType.STRING,
    }
    with pytest.raises(ExpressionError, match="unsupported column type"):
        compile_rule("mixed is null", schema)
    rule = compile_rule("day >= '2024-01-02' or empty > 3", schema)
    result = evaluate_pandas(rule.expression, df)
    assert isinstance(result, pd.Series)
    assert result.tolist() == [pd.NA, pd.NA, True]


def test_pandas_row_rule_keeps_the_frame_index() -> None:
    df = pd.DataFrame({"x": [1.0, None, 3.0]}, index=["a", "b", "c"])
    rule = compile_rule("x / 2 > 1", schema_from_pandas(df))
    result = evaluate_pandas(rule.expression, df)
    assert isinstance(result, pd.Series)
    assert list(result.index) == ["a", "b", "c"]
    assert result.tolist() == [False, pd.NA, True]


def test_sql_text_quotes_every_name_and_value() -> None:
    schema = {"select": ExprType.STRING, "a`b": ExprType.NUMBER}
    rule = compile_rule("select == 'x'' OR 1=1 --\\\\' and `a``b` / 0 > 1", schema)
    assert to_sql(rule.expression) == (
        "((`select` = 'x\\' OR 1=1 --\\\\') AND ((`a``b` / NULLIF(0, 0)) > 1))"
    )


def test_sql_needs_column_count_only_when_the_rule_uses_it() -> None:
    rule = compile_rule("column_count > 5 and row_count > 0", {})
    assert to_sql(rule.expression, column_count=7) == "((7 > 5) AND (COUNT(*) > 0))"
    with pytest.raises(MLOpsError, match="needs column_count"):
        to_sql(rule.expression)


def test_importing_the_language_imports_neither_spark_nor_pandas() -> None:
    code = (
        "import sys\n"
        "from databricks_mlops.expressions import compile_rule, ExprType\n"
        "compile_rule('age >= 18 or email.str.contains(\"@\")', "
        "{'age': ExprType.NUMBER, 'email': ExprType.STRING})\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'pyspark', 'pandas', 'numpy'}))\n"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert output.stdout.strip() == "[]"


def test_pandas_dataset_values_are_python_scalars() -> None:
    from databricks_mlops.expressions import parse

    df = pd.DataFrame({"x": [1.0, None, 1.0, 2.0]})
    assert evaluate_pandas(parse("null_fraction(x)"), df) == 0.25
    assert evaluate_pandas(parse("row_count"), df) == 4
    assert type(evaluate_pandas(parse("unique(x)"), df)) is bool
    assert evaluate_pandas(parse("row_count / 0"), df) is None


def test_columns_only_null_checked_need_no_typing_scan() -> None:
    from databricks_mlops.expressions.rules import referenced_names

    conditions = [
        "email.str.contains('@') or email is null",
        "customers.id is not null",
        "age >= 18 or guardian_email is not null",
        "(total + 1) is null",
    ]
    assert referenced_names(conditions, typed_only=True) == {"email", "age", "total"}
    assert {"guardian_email", "id", "customers.id"} <= referenced_names(conditions)


def test_a_column_converted_for_a_string_method_serves_later_null_checks() -> None:
    from databricks_mlops.expressions import parse
    from databricks_mlops.expressions.pandas_backend import FrameCache, evaluate_pandas

    df = pd.DataFrame({"email": ["a@x", None, "b", "c@y"]})
    cache = FrameCache()
    contains = evaluate_pandas(parse("email.str.contains('@')"), df, column_cache=cache)
    assert isinstance(cache.columns["email"].dtype, pd.StringDtype)  # the Arrow copy
    missing = evaluate_pandas(parse("email is null"), df, column_cache=cache)
    assert isinstance(contains, pd.Series) and isinstance(missing, pd.Series)
    assert contains.tolist() == [True, pd.NA, False, True]
    assert missing.tolist() == [False, True, False, False]


def test_object_columns_of_strings_are_converted_to_arrow_and_typed_by_it() -> None:
    import numpy as np

    from databricks_mlops.config.validation import ValidationRule
    from databricks_mlops.expressions.pandas_backend import FrameCache, cache_object_strings
    from databricks_mlops.validation.pandas_engine import validate_pandas

    df = pd.DataFrame(
        {
            "s": ["a", None, np.nan, pd.NA, "b"],
            "mixed": ["a", 1, None, None, "b"],
            "raw": [b"a", None, b"c", b"d", b"e"],
            "nums": pd.Series([1, 2, None, 3, 4], dtype=object),
            "empty": [None] * 5,
        }
    )
    cache = FrameCache()
    names = {"s", "mixed", "raw", "nums", "empty", "not_a_column"}
    assert cache_object_strings(df, names, cache) == {"s"}
    assert set(cache.columns) == {"s"}
    assert str(cache.columns["s"].dtype) == "string"  # Arrow-backed: None, NaN, NA all NULL
    assert cache.columns["s"].isna().tolist() == [False, True, True, True, False]

    # The rest keep the general path: numbers typed by inference, the others unsupported.
    result = validate_pandas(
        df,
        [
            ValidationRule(name="s_known", condition="s in ['a'] or s is null"),
            ValidationRule(name="s_not_b", condition="s != 'b'"),
            ValidationRule(name="nums_small", condition="nums < 4"),
        ],
    )
    assert [r.failed_count for r in result.rule_results] == [1, 4, 2]
    with pytest.raises(ExpressionError, match="unsupported column type"):
        validate_pandas(df, [ValidationRule(name="m", condition="mixed == 'a'")])


def test_a_rule_naming_a_duplicated_pandas_column_is_a_clear_error() -> None:
    from databricks_mlops.config.validation import ValidationRule
    from databricks_mlops.validation.pandas_engine import validate_pandas

    df = pd.DataFrame([[1, "a", "b"]], columns=["x", "s", "s"])
    with pytest.raises(MLOpsError, match="more than one column named 's'"):
        validate_pandas(df, [ValidationRule(name="r", condition="s == 'a'")])
    # Duplicates no rule names are no obstacle.
    assert validate_pandas(df, [ValidationRule(name="r", condition="x > 0")]).passed
