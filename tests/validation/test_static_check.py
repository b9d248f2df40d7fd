"""Static checks of a data config read a source's columns the way the ingest task will."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from pyspark.sql import SparkSession

from databricks_mlops.config.kinds import DataConfig, FeatureConfig
from databricks_mlops.expressions import ExprType
from databricks_mlops.validation.static_check import (
    check_data_config,
    check_feature_config,
    read_source_columns,
)


def config(source: Path | str, fmt: str, rules: list[dict[str, Any]], **extra: Any) -> DataConfig:
    return DataConfig.model_validate(
        {
            "source_path": str(source),
            "format": fmt,
            "destination_path": "main.s.t",
            "validation_rules": rules,
            **extra,
        }
    )


def problems_of(cfg: DataConfig) -> list[str]:
    source, why = read_source_columns(cfg)
    assert source is not None, why
    return [problem.message for problem in check_data_config(cfg, source).problems]


def test_parquet_types_make_rules_type_checked(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"age": [30], "name": ["a"], "joined": pd.to_datetime(["2024-01-01"]), "tags": [[1]]}
    )
    frame.to_parquet(tmp_path / "people.parquet")
    cfg = config(
        tmp_path / "people.parquet",
        "parquet",
        [
            {"name": "ok", "condition": "age > 0 and joined > '2020-01-01 00:00:00'"},
            {"name": "wrong_type", "condition": "name > 3"},
            {"name": "array", "condition": "tags is not null"},
        ],
    )
    messages = problems_of(cfg)
    assert messages[0].startswith(
        "rule 'wrong_type': cannot compare a string with a number: 'name' is a string"
    )
    assert messages[1].startswith("rule 'array': column 'tags' has type list<element: int64>")
    assert len(messages) == 2


def test_delta_schema_comes_from_the_log(tmp_path: Path, spark: SparkSession) -> None:
    target = tmp_path / "table"
    spark.createDataFrame([(1, "x")], "id long, label string").write.format("delta").save(
        str(target)
    )
    # A second commit changes the schema: the newest metaData wins.
    spark.createDataFrame([(2, "y", 1.5)], "id long, label string, score double").write.format(
        "delta"
    ).mode("overwrite").option("overwriteSchema", "true").save(str(target))
    source, _ = read_source_columns(config(target, "delta", []))
    assert source is not None
    assert source.names == ["id", "label", "score"]
    assert source.types == {
        "id": ExprType.NUMBER,
        "label": ExprType.STRING,
        "score": ExprType.NUMBER,
    }


@pytest.mark.parametrize(
    ("options", "names", "typed"),
    [
        ({}, ["id", "note"], False),
        ({"sep": ";", "inferSchema": "false"}, ["id", "note"], True),
        ({"header": "false"}, ["_c0", "_c1"], False),
    ],
)
def test_csv_header_options_are_spark_s(
    tmp_path: Path, options: dict[str, str], names: list[str], typed: bool
) -> None:
    separator = options.get("sep", ",")
    (tmp_path / "in.csv").write_text(f"id{separator}note\n1{separator}x\n")
    source, _ = read_source_columns(config(tmp_path / "in.csv", "csv", [], read_options=options))
    assert source is not None
    assert source.names == names
    assert source.types == (dict.fromkeys(names, ExprType.STRING) if typed else {})


def test_csv_header_names_are_made_unique_and_non_empty_as_spark_does(tmp_path: Path) -> None:
    (tmp_path / "in.csv").write_text("id,ID,,note\n1,2,3,x\n")
    source, _ = read_source_columns(config(tmp_path / "in.csv", "csv", []))
    assert source is not None
    assert source.names == ["id0", "ID1", "_c2", "note"]


def test_a_source_that_is_not_here_is_reported_not_guessed(tmp_path: Path) -> None:
    source, why = read_source_columns(config(tmp_path / "missing.csv", "csv", []))
    assert source is None
    assert why == f"{tmp_path / 'missing.csv'} is not on this machine"


def test_feature_derived_expressions_must_parse_and_be_row_level() -> None:
    cfg = FeatureConfig.model_validate(
        {
            "source_table": "main.s.t",
            "feature_table_name": "main.s.f",
            "primary_keys": ["id"],
            "derived": {"bad": "tenure >", "aggregate": "null_fraction(tenure)", "ok": "a / b"},
        }
    )
    messages = [problem.message for problem in check_feature_config(cfg)]
    assert messages[0].startswith("derived column 'bad': unexpected end of the expression")
    assert messages[1] == (
        "derived column 'aggregate' must have one value per row, but 'null_fraction(tenure)' "
        "describes the whole dataset"
    )
    assert len(messages) == 2
