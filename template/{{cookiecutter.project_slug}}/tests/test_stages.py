"""The entry points, in job order, on sample rows synthesised from configs/data.yml (its
declared types and rules): each one is called exactly as a python_wheel_task calls it
(``--name=value`` arguments), and every table is checked under the name the configs give."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

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
ROWS = 2000


def arguments(config: Path | str, variables: dict[str, str], **extra: str) -> list[str]:
    values = {**variables, **extra}
    path = config if isinstance(config, Path) else CONFIGS / config
    return [f"--config={path}", *(f"--{k}={v}" for k, v in values.items())]


@pytest.fixture(scope="module")
def sample_data(mlops_home: Path, stage_variables: dict[str, str], runtime) -> str:
    """Rows of the declared columns, written where configs/data.yml reads its source."""
    from databricks_mlops.config.data import DataConfig
    from databricks_mlops.datasets import sample_rows, write_dataset

    config = DataConfig.from_yaml(CONFIGS / "data.yml", stage_variables)
    rows = sample_rows(config, rows=ROWS, seed=7)
    return str(write_dataset(rows, Path(runtime.path(config.source_path))))


@pytest.fixture(scope="module")
def ungated_training(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """configs/training.yml without its gates: synthetic rows carry no signal, so a quality
    bar for real data would (rightly) refuse the model. The workflow keeps the gates."""
    settings = yaml.safe_load((CONFIGS / "training.yml").read_text())
    settings["gates"] = []
    path = tmp_path_factory.mktemp("configs") / "training.yml"
    path.write_text(yaml.safe_dump(settings, sort_keys=False))
    return path


def load(kind: str, name: str, variables: dict[str, str]) -> Any:
    from databricks_mlops.config.kinds import CONFIG_KINDS

    return CONFIG_KINDS[kind].from_yaml(CONFIGS / name, variables)


def test_the_lifecycle_runs_on_sample_data(
    sample_data: str,
    ungated_training: Path,
    stage_variables: dict[str, str],
    runtime,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from mlflow import MlflowClient

    data.ingest(arguments("data.yml", stage_variables))
    data.validate(arguments("data.yml", stage_variables, run_id="test"))
    table = load("data", "data.yml", stage_variables).destination_path
    assert runtime.read_delta(table).count() == ROWS
{%- if cookiecutter.include_feature_table == "yes" %}

    feature_engineering.build_features(arguments("features.yml", stage_variables))
    from databricks_mlops.feature_engineering.storage import load_state

    feature_table = load("feature", "features.yml", stage_variables).feature_table_name
    features = runtime.read_delta(feature_table)
    assert set(load_state(runtime, feature_table).output_columns) <= set(features.columns)
    assert features.count() == ROWS
{%- endif %}

    # As in the job: every task gets the job run id; evaluate and register find the run
    # train tagged with it (task values from a wheel task do not reach them on Databricks).
    job = {**stage_variables, "job_run_id": "test-job-run-1"}
    training.train(arguments(ungated_training, job))
    training.evaluate(arguments(ungated_training, job))
    training.register(arguments(ungated_training, job))
    deployment.promote(arguments("deployment.yml", stage_variables))
    champion = MlflowClient().get_model_version_by_alias(stage_variables["model_name"], "champion")
    tags = MlflowClient().get_run(champion.run_id).data.tags
    assert tags["mlops.job_run_id"] == "test-job-run-1"

    inference.score(arguments("inference.yml", stage_variables))
    inference_config = load("inference", "inference.yml", stage_variables)
    log = runtime.read_delta(inference_config.output_table)
    assert {"prediction", *inference_config.keep_columns} <= set(log.columns)
    assert log.count() == ROWS
    assert "is @champion" in capsys.readouterr().out


def test_a_missing_config_fails_the_task_with_one_line(stage_variables: dict[str, str]) -> None:
    with pytest.raises(SystemExit, match=r"error: .*nowhere\.yml"):
        data.ingest([f"--config={CONFIGS / 'nowhere.yml'}", "--catalog=main"])
