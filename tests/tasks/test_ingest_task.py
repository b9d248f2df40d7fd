from __future__ import annotations

from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from databricks_mlops.datasets import generate_churn, write_dataset
from databricks_mlops.runtime import Runtime
from databricks_mlops.tasks.arguments import parse_task_arguments
from databricks_mlops.tasks.ingest import main


def test_named_parameters_become_config_variables() -> None:
    args = parse_task_arguments("t", ["--config=c.yml", "--catalog=main", "--my-schema=s"])
    assert args.config == Path("c.yml")
    assert args.variables == {"catalog": "main", "my_schema": "s"}


def test_positional_garbage_is_a_usage_error() -> None:
    with pytest.raises(SystemExit, match="2"):
        parse_task_arguments("t", ["--config=c.yml", "stray"])


def test_ingest_entry_point(spark: SparkSession, runtime: Runtime, tmp_path: Path) -> None:
    write_dataset(
        generate_churn(rows=300, seed=11), Path(runtime.path("/Volumes/main/task_test/raw/c.csv"))
    )
    config = tmp_path / "data.yml"
    config.write_text(
        "source_path: /Volumes/${catalog}/${schema}/raw/c.csv\nformat: csv\n"
        "destination_path: ${catalog}.${schema}.bronze\n"
    )
    main([f"--config={config}", "--catalog=main", "--schema=task_test"])
    assert spark.table(runtime.table("main.task_test.bronze")).count() == 300


def test_config_error_ends_the_task_with_one_line(tmp_path: Path) -> None:
    config = tmp_path / "data.yml"
    config.write_text("source_path: a\ndestination_paht: b\n")
    with pytest.raises(SystemExit) as info:
        main([f"--config={config}"])
    assert str(info.value).startswith(
        f"error: {config}:2: destination_paht: unknown field (did you mean 'destination_path'?)"
    )


def test_rule_with_a_syntax_error_fails_before_any_write(runtime: Runtime, tmp_path: Path) -> None:
    source = tmp_path / "people.csv"
    source.write_text("id,age\n1,30\n2,40\n")
    config = tmp_path / "data.yml"
    config.write_text(
        f"source_path: {source}\nformat: csv\ndestination_path: main.task_test.syntax\n"
        "validation_rules:\n  - {name: broken, condition: 'age >= '}\n"
    )
    with pytest.raises(
        SystemExit,
        match=r"^error: rule 'broken': unexpected end of the expression: expected a value\n  age >=\n",
    ):
        main([f"--config={config}"])
    assert not runtime.delta_exists("main.task_test.syntax_staging")
    assert not runtime.delta_exists("main.task_test.syntax")


def test_rule_on_an_unknown_column_fails_before_any_write(runtime: Runtime, tmp_path: Path) -> None:
    source = tmp_path / "people.csv"
    source.write_text("id,age\n1,30\n")
    config = tmp_path / "data.yml"
    config.write_text(
        f"source_path: {source}\nformat: csv\ndestination_path: main.task_test.unknown\n"
        "validation_rules:\n  - {name: typo, condition: 'agee >= 0'}\n"
    )
    with pytest.raises(
        SystemExit, match=r"rule 'typo': unknown column 'agee' \(did you mean 'age'\?\)"
    ):
        main([f"--config={config}"])
    assert not runtime.delta_exists("main.task_test.unknown_staging")


def test_bad_column_names_end_the_task_with_the_fix(runtime: Runtime, tmp_path: Path) -> None:
    source = tmp_path / "people.csv"
    source.write_text("id,full name\n1,Ada\n")
    config = tmp_path / "data.yml"
    config.write_text(
        f"source_path: {source}\nformat: csv\ndestination_path: main.task_test.names\n"
    )
    with pytest.raises(
        SystemExit,
        match=r"(?s)^error: the data has 1 column name\(s\) Delta cannot store .*'full name'\..*"
        r"type: rename_columns\n      mapping:\n        \"full name\": \"full_name\"$",
    ):
        main([f"--config={config}"])
    assert not runtime.delta_exists("main.task_test.names_staging")
