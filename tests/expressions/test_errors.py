"""Bad rules fail at compile time, before any Spark job, with a caret under the culprit."""

from __future__ import annotations

import re

import pytest
from tests.expressions.cases import ERROR_CASES

from databricks_mlops.errors import ExpressionError
from databricks_mlops.expressions import ExprType, compile_rule, schema_from_spark

PEOPLE = {
    "id": ExprType.NUMBER,
    "age": ExprType.NUMBER,
    "email": ExprType.STRING,
    "status": ExprType.STRING,
    "country": ExprType.STRING,
    "active": ExprType.BOOLEAN,
    "joined": ExprType.DATE,
}


@pytest.mark.parametrize(("text", "message", "start", "end"), ERROR_CASES, ids=lambda v: str(v))
def test_bad_rule_points_at_the_culprit(text: str, message: str, start: int, end: int) -> None:
    with pytest.raises(ExpressionError, match=re.escape(message)) as caught:
        compile_rule(text, PEOPLE)
    error = caught.value
    assert (error.start, error.end) == (start, end), str(error)
    assert error.expression == text


def test_error_text_shows_the_expression_with_a_caret() -> None:
    with pytest.raises(ExpressionError, match="did you mean 'age'") as caught:
        compile_rule("agee >= 18", PEOPLE)
    assert str(caught.value).splitlines()[1:] == ["  agee >= 18", "  ^^^^"]


def test_unsupported_spark_column_type_is_named() -> None:
    from pyspark.sql import types as T

    schema = schema_from_spark(
        T.StructType(
            [T.StructField("tags", T.ArrayType(T.StringType())), T.StructField("a", T.LongType())]
        )
    )
    assert schema == {"a": ExprType.NUMBER}
    with pytest.raises(
        ExpressionError, match=r"array<string>, an unsupported column type"
    ) as caught:
        compile_rule("tags is null", schema)
    assert (caught.value.start, caught.value.end) == (0, 4)


def test_rule_of_type_null_is_not_a_rule() -> None:
    with pytest.raises(ExpressionError, match="a rule must be true/false, this is null"):
        compile_rule("null", PEOPLE)


def test_deep_nesting_is_an_expression_error_not_a_recursion_error() -> None:
    with pytest.raises(ExpressionError, match="nests deeper than"):
        compile_rule("(" * 500 + "active" + ")" * 500, PEOPLE)
    with pytest.raises(ExpressionError, match="more than 100 operations deep"):
        compile_rule(" + ".join(["age"] * 300) + " > 1", PEOPLE)
