"""Every case in cases.py runs on pandas, on Spark Columns and on Spark SQL text: same answers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd
import pytest
from tests.expressions.cases import DATASET_CASES, DATASETS, ROW_CASES, Dataset

from databricks_mlops.expressions import (
    CompiledRule,
    ExprType,
    compile_rule,
    evaluate_pandas,
    schema_from_spark,
    to_spark,
    to_sql,
)

if TYPE_CHECKING:
    from pyspark.sql import SparkSession
    from pyspark.sql.types import StructType

PANDAS_DTYPES = {"bigint": "Int64", "double": "Float64", "string": "string", "boolean": "boolean"}

Verdicts = list[bool | None]


def spark_schema(dataset: Dataset) -> StructType:
    from pyspark.sql import types as T

    spark_types = {
        "bigint": T.LongType(),
        "double": T.DoubleType(),
        "string": T.StringType(),
        "boolean": T.BooleanType(),
        "date": T.DateType(),
    }
    return T.StructType(
        [T.StructField(name, spark_types[kind]) for name, kind in dataset.schema.items()]
    )


def expr_schema(dataset: Dataset) -> dict[str, ExprType]:
    return schema_from_spark(spark_schema(dataset))


def nullable_frame(dataset: Dataset) -> pd.DataFrame:
    """The rows in pandas' nullable dtypes, dates as datetime64."""
    columns: dict[str, Any] = {}
    for name, spark_type in dataset.schema.items():
        values = [row[name] for row in dataset.rows]
        if spark_type == "date":
            columns[name] = pd.to_datetime(pd.Series(values, dtype=object))
        else:
            columns[name] = pd.array(values, dtype=PANDAS_DTYPES[spark_type])
    return pd.DataFrame(columns)


def plain_frame(dataset: Dataset) -> pd.DataFrame:
    """The rows as pandas builds them by default: NaN for missing numbers, object columns."""
    return pd.DataFrame(dataset.rows, columns=list(dataset.schema))


def arrow_frame(dataset: Dataset) -> pd.DataFrame:
    """The rows in Arrow-backed dtypes, as ``read_parquet(dtype_backend="pyarrow")`` gives."""
    return plain_frame(dataset).convert_dtypes(dtype_backend="pyarrow")


def as_verdicts(series: Any) -> Verdicts:
    return [None if value is pd.NA else bool(value) for value in series]


def compiled(dataset_name: str, text: str) -> CompiledRule:
    return compile_rule(text, expr_schema(DATASETS[dataset_name]))


def case_id(case: tuple[str, str, Any]) -> str:
    return f"{case[0]}: {case[1]}"


@pytest.fixture(scope="module")
def spark_results(spark: SparkSession) -> dict[tuple[str, str], dict[str, Any]]:
    """All cases of a dataset in one select (rows) and one agg (aggregates): few Spark jobs."""
    from pyspark.sql import functions as F

    results: dict[tuple[str, str], dict[str, Any]] = {}
    for name, dataset in DATASETS.items():
        df = spark.createDataFrame(
            [tuple(row[column] for column in dataset.schema) for row in dataset.rows],
            spark_schema(dataset),
        )
        column_count = len(dataset.schema)
        row_cases = [text for case_dataset, text, _ in ROW_CASES if case_dataset == name]
        if row_cases:
            columns = []
            for index, text in enumerate(row_cases):
                rule = compiled(name, text).expression
                columns.append(to_spark(rule, column_count=column_count).alias(f"column_{index}"))
                columns.append(
                    F.expr(to_sql(rule, column_count=column_count)).alias(f"sql_{index}")
                )
            rows = df.select(*columns).collect()
            for index, text in enumerate(row_cases):
                results[(name, text)] = {
                    "spark": [row[f"column_{index}"] for row in rows],
                    "sql": [row[f"sql_{index}"] for row in rows],
                }
        dataset_cases = [text for case_dataset, text, _ in DATASET_CASES if case_dataset == name]
        if dataset_cases:
            aggregates = []
            for index, text in enumerate(dataset_cases):
                rule = compiled(name, text).expression
                aggregates.append(
                    to_spark(rule, column_count=column_count).alias(f"column_{index}")
                )
                aggregates.append(
                    F.expr(to_sql(rule, column_count=column_count)).alias(f"sql_{index}")
                )
            (row,) = df.agg(*aggregates).collect()
            for index, text in enumerate(dataset_cases):
                results[(name, text)] = {
                    "spark": row[f"column_{index}"],
                    "sql": row[f"sql_{index}"],
                }
    return results


@pytest.mark.parametrize("case", ROW_CASES, ids=case_id)
def test_row_rule_on_pandas(case: tuple[str, str, Verdicts]) -> None:
    name, text, expected = case
    rule = compiled(name, text)
    assert not rule.dataset_level
    dataset = DATASETS[name]
    for frame in (nullable_frame(dataset), plain_frame(dataset), arrow_frame(dataset)):
        result = evaluate_pandas(rule.expression, frame)
        assert isinstance(result, pd.Series)
        assert str(result.dtype) == "boolean"
        assert result.index.equals(frame.index)
        assert as_verdicts(result) == expected


@pytest.mark.parametrize("case", ROW_CASES, ids=case_id)
def test_row_rule_on_spark_column(
    case: tuple[str, str, Verdicts], spark_results: dict[tuple[str, str], dict[str, Any]]
) -> None:
    name, text, expected = case
    assert spark_results[(name, text)]["spark"] == expected


@pytest.mark.parametrize("case", ROW_CASES, ids=case_id)
def test_row_rule_on_spark_sql(
    case: tuple[str, str, Verdicts], spark_results: dict[tuple[str, str], dict[str, Any]]
) -> None:
    name, text, expected = case
    assert spark_results[(name, text)]["sql"] == expected


@pytest.mark.parametrize("case", DATASET_CASES, ids=case_id)
def test_dataset_rule_on_every_backend(
    case: tuple[str, str, bool | None], spark_results: dict[tuple[str, str], dict[str, Any]]
) -> None:
    name, text, expected = case
    rule = compiled(name, text)
    assert rule.dataset_level
    dataset = DATASETS[name]
    for frame in (nullable_frame(dataset), plain_frame(dataset), arrow_frame(dataset)):
        assert evaluate_pandas(rule.expression, frame) == expected
    assert spark_results[(name, text)] == {"spark": expected, "sql": expected}
