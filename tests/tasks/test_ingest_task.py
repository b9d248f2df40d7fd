from __future__ import annotations

from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from databricks_mlops.datasets import generate_churn, write_dataset
from databricks_mlops.runtime import Runtime
from databricks_mlops.runtime.task_values import get_task_value
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
    assert get_task_value("ingest", "rows_written") == 300
    assert spark.table(runtime.table("main.task_test.bronze")).count() == 300


def test_config_error_ends_the_task_with_one_line(tmp_path: Path) -> None:
    config = tmp_path / "data.yml"
    config.write_text("source_path: a\ndestination_paht: b\n")
    with pytest.raises(SystemExit) as info:
        main([f"--config={config}"])
    assert str(info.value).startswith(
        f"error: {config}:2: destination_paht: unknown field (did you mean 'destination_path'?)"
    )
