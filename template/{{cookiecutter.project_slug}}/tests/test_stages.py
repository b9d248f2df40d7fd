"""The entry points, in job order, on sample data from ``databricks-mlops sample-data``:
each one is called exactly as a python_wheel_task calls it (``--name=value`` arguments)."""

from __future__ import annotations

from pathlib import Path

import pytest
from databricks_mlops.cli.app import app
from databricks_mlops.runtime.task_values import get_task_value
from typer.testing import CliRunner

{% if cookiecutter.include_feature_table == "yes" -%}
from {{ cookiecutter.package_name }}.stages import (
    data,
    deployment,
    feature_engineering,
    inference,
    training,
)
{%- else -%}
from {{ cookiecutter.package_name }}.stages import data, deployment, inference, training
{%- endif %}

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


def schema_path(variables: dict[str, str]) -> str:
    return f"{variables['catalog']}.{variables['schema']}"


def arguments(config: str, variables: dict[str, str], **extra: str) -> list[str]:
    values = {**variables, **extra}
    return [f"--config={CONFIGS / config}", *(f"--{k}={v}" for k, v in values.items())]


@pytest.fixture(scope="module")
def sample_data(mlops_home: Path, stage_variables: dict[str, str]) -> str:
    target = f"/Volumes/{stage_variables['catalog']}/{stage_variables['schema']}/raw/customers.csv"
    result = CliRunner().invoke(app, ["sample-data", "churn", "--rows", "2000", "--out", target])
    assert result.exit_code == 0, result.output
    return target


def test_the_lifecycle_runs_on_sample_data(
    sample_data: str, stage_variables: dict[str, str], runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    from mlflow import MlflowClient

    data.ingest(arguments("data.yml", stage_variables))
    data.validate(arguments("data.yml", stage_variables, run_id="test"))
    table = f"{schema_path(stage_variables)}.customers_bronze"
    assert runtime.read_delta(table).count() > 1000
{%- if cookiecutter.include_feature_table == "yes" %}

    feature_engineering.build_features(arguments("features.yml", stage_variables))
    features = runtime.read_delta(f"{schema_path(stage_variables)}.customer_features")
    assert "tenure_vs_mean" in features.columns
{%- endif %}

    training.train(arguments("training.yml", stage_variables))
    run_id = str(get_task_value("train", "run_id", ""))
    assert run_id
    training.evaluate(arguments("training.yml", stage_variables, run_id=run_id))
    training.register(arguments("training.yml", stage_variables, run_id=run_id))
    deployment.promote(arguments("deployment.yml", stage_variables))
    champion = MlflowClient().get_model_version_by_alias(stage_variables["model_name"], "champion")
    assert champion.run_id == run_id

    inference.score(arguments("inference.yml", stage_variables))
    log = runtime.read_delta(f"{schema_path(stage_variables)}.inference_log")
    assert "prediction" in log.columns
    assert log.count() > 1000
    assert "is @champion" in capsys.readouterr().out


def test_a_missing_config_fails_the_task_with_one_line(stage_variables: dict[str, str]) -> None:
    with pytest.raises(SystemExit, match=r"error: .*nowhere\.yml"):
        data.ingest([f"--config={CONFIGS / 'nowhere.yml'}", "--catalog=main"])
