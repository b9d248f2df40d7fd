"""Every example in docs/expressions.md holds on the pandas, Spark Column and Spark SQL backends.

The page's shapes (described in a comment at its top):
* the ``| column | type |`` table: the schema of every example;
* ``| expression | row | result |`` tables: a row-level expression on one row (columns not
  named are NULL); result TRUE / FALSE / NULL or a number;
* ``| rule | data | result |`` tables: a dataset-level rule over ``col = [values]; ...``;
* ```expression-error blocks: the exact error text for the expression on the 2nd line.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pytest
from tests.docs.test_markdown_python_blocks import fenced_blocks

from databricks_mlops.errors import ExpressionError
from databricks_mlops.expressions import (
    ExprType,
    compile_rule,
    evaluate_pandas,
    parse,
    to_spark,
    to_sql,
)
from databricks_mlops.expressions.checker import resolve

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import StructType

DOC = Path(__file__).resolve().parents[2] / "docs" / "expressions.md"
TEXT = DOC.read_text(encoding="utf-8")

EXPR_TYPES = {
    "bigint": ExprType.NUMBER,
    "double": ExprType.NUMBER,
    "string": ExprType.STRING,
    "boolean": ExprType.BOOLEAN,
    "date": ExprType.DATE,
}
PANDAS_DTYPES = {"bigint": "Int64", "double": "Float64", "string": "string", "boolean": "boolean"}

Value = bool | int | float | str | dt.date | None


# -- reading the page -------------------------------------------------------------------


def tables(text: str) -> list[tuple[list[str], list[list[str]]]]:
    """Markdown tables as (header cells, body rows of cells), code spans unwrapped."""
    found: list[tuple[list[str], list[list[str]]]] = []
    block: list[str] = []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            block.append(line)
            continue
        if len(block) >= 2:
            rows = [split_cells(row) for row in block]
            found.append((rows[0], [row for row in rows[2:]]))
        block = []
    return found


def split_cells(line: str) -> list[str]:
    cells = re.split(r"(?<!\\)\|", line.strip())[1:-1]
    return [unwrap(cell.strip().replace("\\|", "|")) for cell in cells]


def unwrap(cell: str) -> str:
    """The content of a cell that is one code span (`x` or `` x ``)."""
    match = re.fullmatch(r"(`+)(.*?)\1", cell)
    if not match:
        return cell
    inner = match.group(2)
    if len(inner) >= 2 and inner.startswith(" ") and inner.endswith(" "):
        inner = inner[1:-1]
    return inner


_VALUE = r"'(?:[^']|'')*'|[^,\[\]]+?"
_ASSIGNMENT = re.compile(rf"\s*(`(?:[^`]|``)+`|\w+)\s*=\s*({_VALUE})\s*(?:,|$)")
_ITEM = re.compile(rf"\s*({_VALUE})\s*(?:,|$)")


def column_name(written: str) -> str:
    return written[1:-1].replace("``", "`") if written.startswith("`") else written


def parse_value(text: str, kind: str) -> Value:
    text = text.strip()
    if text.upper() == "NULL":
        return None
    if text.startswith("'"):
        value = text[1:-1].replace("''", "'")
        return dt.date.fromisoformat(value) if kind == "date" else value
    if kind == "boolean":
        assert text in ("true", "false"), text
        return text == "true"
    if kind == "double":
        return float(text)
    assert kind == "bigint", (text, kind)
    return int(text)


def parse_row(text: str, schema: dict[str, str]) -> dict[str, Value]:
    row: dict[str, Value] = dict.fromkeys(schema)
    if text in ("—", "-", ""):
        return row
    position = 0
    while position < len(text):
        match = _ASSIGNMENT.match(text, position)
        assert match, f"cannot read the row {text!r} at {text[position:]!r}"
        name = column_name(match.group(1))
        row[name] = parse_value(match.group(2), schema[name])
        position = match.end()
    return row


def parse_data(text: str, schema: dict[str, str]) -> dict[str, list[Value]]:
    data: dict[str, list[Value]] = {}
    for part in text.split(";"):
        name, _, values = part.partition("=")
        column = column_name(name.strip())
        inner = values.strip()
        assert inner.startswith("[") and inner.endswith("]"), part
        items: list[Value] = []
        position, body = 0, inner[1:-1]
        while body.strip() and position < len(body):
            match = _ITEM.match(body, position)
            assert match, f"cannot read {body!r}"
            items.append(parse_value(match.group(1), schema[column]))
            position = match.end()
        data[column] = items
    return data


def parse_result(text: str) -> bool | float | None:
    words: dict[str, bool | None] = {"TRUE": True, "FALSE": False, "NULL": None}
    return words[text] if text in words else float(text)


@dataclass(frozen=True)
class RowExample:
    expression: str
    row: dict[str, Value]
    expected: bool | float | None
    written_row: str

    @property
    def id(self) -> str:
        return f"{self.expression} @ {self.written_row}"


@dataclass(frozen=True)
class DatasetExample:
    rule: str
    data: dict[str, list[Value]]
    expected: bool | None
    written_data: str

    @property
    def id(self) -> str:
        return f"{self.rule} @ {self.written_data}"


def read_schema() -> dict[str, str]:
    (schema_rows,) = [rows for header, rows in tables(TEXT) if header == ["column", "type"]]
    return {column_name(name) if name.startswith("`") else name: kind for name, kind in schema_rows}


SCHEMA = read_schema()
ROW_EXAMPLES = [
    RowExample(expression, parse_row(row, SCHEMA), parse_result(result), row)
    for header, rows in tables(TEXT)
    if header == ["expression", "row", "result"]
    for expression, row, result in rows
]
DATASET_EXAMPLES = [
    DatasetExample(rule, parse_data(data, SCHEMA), parse_result(result), data)  # type: ignore[arg-type]
    for header, rows in tables(TEXT)
    if header == ["rule", "data", "result"]
    for rule, data, result in rows
]
ERROR_BLOCKS = [
    block for block in fenced_blocks(TEXT, str(DOC)) if block.language == "expression-error"
]


def expr_schema(columns: list[str] | None = None) -> dict[str, ExprType]:
    names = columns if columns is not None else list(SCHEMA)
    return {name: EXPR_TYPES[SCHEMA[name]] for name in names}


# -- building the tables -----------------------------------------------------------------


def spark_struct(columns: list[str]) -> StructType:
    from pyspark.sql import types as T

    kinds = {
        "bigint": T.LongType(),
        "double": T.DoubleType(),
        "string": T.StringType(),
        "boolean": T.BooleanType(),
        "date": T.DateType(),
    }
    return T.StructType([T.StructField(name, kinds[SCHEMA[name]]) for name in columns])


def spark_frame(spark: SparkSession, data: dict[str, list[Value]]) -> DataFrame:
    columns = list(data)
    rows = list(zip(*data.values(), strict=True)) if columns else []
    return spark.createDataFrame(rows, spark_struct(columns))


def pandas_frames(data: dict[str, list[Value]]) -> list[pd.DataFrame]:
    """The data in nullable dtypes, and as pandas builds it by default (NaN, objects)."""
    nullable: dict[str, Any] = {}
    for name, values in data.items():
        if SCHEMA[name] == "date":
            nullable[name] = pd.to_datetime(pd.Series(values, dtype=object))
        else:
            nullable[name] = pd.array(values, dtype=PANDAS_DTYPES[SCHEMA[name]])
    plain = pd.DataFrame({name: pd.Series(values, dtype=object) for name, values in data.items()})
    for name in data:
        if SCHEMA[name] in ("bigint", "double"):
            plain[name] = pd.to_numeric(plain[name])
    return [pd.DataFrame(nullable), plain]


def as_python(value: Any) -> bool | float | None:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, bool):
        return value
    if hasattr(value, "item"):
        value = value.item()
    return value if isinstance(value, bool) else float(value)


def matches(actual: Any, expected: bool | float | None) -> bool:
    value = as_python(actual)
    if expected is None or isinstance(expected, bool):
        return value is expected
    return not isinstance(value, bool) and value == pytest.approx(expected)


def compiled_row(example: RowExample) -> Any:
    """The resolved tree; a true/false example must also compile as a rule."""
    checked = resolve(parse(example.expression), expr_schema(), example.expression)
    if isinstance(example.expected, float):
        assert checked.type is ExprType.NUMBER
    elif isinstance(example.expected, bool) or checked.type is ExprType.BOOLEAN:
        return compile_rule(example.expression, expr_schema()).expression
    return checked.node


ALL_ROWS = {name: [example.row[name] for example in ROW_EXAMPLES] for name in SCHEMA}


@pytest.fixture(scope="module")
def spark_row_results(spark: SparkSession) -> list[tuple[Any, Any]]:
    """Every row example in one select over one table holding all the example rows."""
    df = spark_frame(spark, ALL_ROWS)
    columns = []
    for index, example in enumerate(ROW_EXAMPLES):
        from pyspark.sql import functions as F

        node = compiled_row(example)
        columns.append(to_spark(node, column_count=len(SCHEMA)).alias(f"c{index}"))
        columns.append(F.expr(to_sql(node, column_count=len(SCHEMA))).alias(f"s{index}"))
    rows = df.select(*columns).collect()
    return [(rows[i][f"c{i}"], rows[i][f"s{i}"]) for i in range(len(ROW_EXAMPLES))]


# -- the tests ---------------------------------------------------------------------------


def test_the_page_has_examples_of_every_kind() -> None:
    assert len(ROW_EXAMPLES) >= 60
    assert len(DATASET_EXAMPLES) >= 10
    assert len(ERROR_BLOCKS) >= 10
    assert {"monthly charges", "joined", "active"} <= set(SCHEMA)


def test_examples_cover_every_operator_of_the_language() -> None:
    from databricks_mlops.expressions.nodes import (
        ARITHMETIC_OPERATORS,
        COMPARISON_OPERATORS,
        DATASET_FUNCTIONS,
        DATASET_METRICS,
        STRING_METHODS,
    )

    written = (
        " ".join(e.expression for e in ROW_EXAMPLES)
        + " "
        + " ".join(e.rule for e in DATASET_EXAMPLES)
    )
    lowered = written.lower()
    for operator in sorted(COMPARISON_OPERATORS | ARITHMETIC_OPERATORS):
        assert f" {operator} " in written, operator
    for method in STRING_METHODS:
        assert f".str.{method}(" in written, method
    for name in [*DATASET_FUNCTIONS, *DATASET_METRICS]:
        assert name in written, name
    for phrase in (" and ", " or ", "not ", " is null", " is not null", " in [", " not in ["):
        assert phrase in lowered, phrase
    assert "`" in written and "customers.id" in written  # quoted and qualified names


@pytest.mark.parametrize("index", range(len(ROW_EXAMPLES)), ids=lambda i: ROW_EXAMPLES[i].id)
def test_row_example_on_pandas(index: int) -> None:
    example = ROW_EXAMPLES[index]
    node = compiled_row(example)
    for frame in pandas_frames(ALL_ROWS):
        result = evaluate_pandas(node, frame)
        assert isinstance(result, pd.Series)
        assert matches(result.iloc[index], example.expected), (result.iloc[index], frame.dtypes)


@pytest.mark.parametrize("index", range(len(ROW_EXAMPLES)), ids=lambda i: ROW_EXAMPLES[i].id)
def test_row_example_on_spark(index: int, spark_row_results: list[tuple[Any, Any]]) -> None:
    column, sql = spark_row_results[index]
    expected = ROW_EXAMPLES[index].expected
    assert matches(column, expected), column
    assert matches(sql, expected), sql


@pytest.mark.parametrize("example", DATASET_EXAMPLES, ids=lambda e: e.id)
def test_dataset_example_on_every_backend(example: DatasetExample, spark: SparkSession) -> None:
    from pyspark.sql import functions as F

    columns = list(example.data)
    rule = compile_rule(example.rule, expr_schema(columns))
    assert rule.dataset_level
    for frame in pandas_frames(example.data):
        assert matches(evaluate_pandas(rule.expression, frame), example.expected)
    df = spark_frame(spark, example.data)
    (row,) = df.agg(
        to_spark(rule.expression, column_count=len(columns)).alias("column"),
        F.expr(to_sql(rule.expression, column_count=len(columns))).alias("sql"),
    ).collect()
    assert matches(row["column"], example.expected), row
    assert matches(row["sql"], example.expected), row


@pytest.mark.parametrize("block", ERROR_BLOCKS, ids=lambda b: b.code.splitlines()[1].strip())
def test_error_example_is_the_exact_message(block: Any) -> None:
    lines = block.code.rstrip("\n").split("\n")
    assert len(lines) == 3 and lines[1].startswith("  "), block.code
    expression = lines[1][2:]
    with pytest.raises(ExpressionError, match=re.escape(lines[0])) as caught:
        compile_rule(expression, expr_schema())
    assert str(caught.value) == block.code.rstrip("\n")


def test_reader_helpers_understand_the_notation() -> None:
    schema_row = parse_row("`monthly charges` = 20.5, email = 'O''Brien, x', age = NULL", SCHEMA)
    assert (schema_row["monthly charges"], schema_row["email"], schema_row["age"]) == (
        20.5,
        "O'Brien, x",
        None,
    )
    assert parse_data("id = [1, NULL]; email = []", SCHEMA) == {"id": [1, None], "email": []}
    assert unwrap("`` `a` > 1 ``") == "`a` > 1"
    assert [parse_result(word) for word in ("TRUE", "FALSE", "NULL", "-1.5")] == [
        True,
        False,
        None,
        -1.5,
    ]
