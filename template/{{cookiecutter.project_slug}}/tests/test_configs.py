"""Every config file loads with its typed schema, with the named parameters each target's
tasks get (read from the bundle), and names what the bundle's variables say."""

from __future__ import annotations

from pathlib import Path

import pytest
from databricks_mlops.config.kinds import CONFIG_KINDS

PROJECT = Path(__file__).resolve().parents[1]
CONFIGS = sorted((PROJECT / "configs").glob("*.yml"))
# Named parameters Databricks fills in per run (the run id, the start time).
RUN_TIME = ("run_id", "window_end")
KIND_OF_FILE = {
    "data": "data",
    "features": "feature",
    "training": "training",
    "deployment": "deployment",
    "inference": "inference",
    "monitoring": "monitoring",
}


def task_parameters(target: str) -> dict[str, str]:
    """What the bundle passes the tasks of ``target`` (the run-time ones left out)."""
    from databricks_mlops.runner import load_bundle

    parameters: dict[str, str] = {}
    for job in load_bundle(PROJECT, target, {}).jobs.values():
        for task in job["tasks"]:
            named = task.get("python_wheel_task", {}).get("named_parameters", {})
            parameters.update({k: str(v) for k, v in named.items() if k not in RUN_TIME})
    parameters.pop("config", None)
    return parameters


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
@pytest.mark.parametrize("target", ["dev", "prod"])
def test_config_loads_with_its_schema(path: Path, target: str) -> None:
    kind = KIND_OF_FILE[path.stem]
    if kind not in CONFIG_KINDS:
        pytest.skip(f"this databricks-mlops has no {kind} config schema")
    variables = task_parameters(target)
    config = CONFIG_KINDS[kind].from_yaml(path, variables)
    dumped = config.model_dump_json()
    assert "${" not in dumped, "a ${variable} was left unresolved"
    assert variables["schema"] in dumped


def test_the_stages_read_the_tables_the_bundle_names(stage_variables: dict[str, str]) -> None:
    from databricks_mlops.config.data import DataConfig
    from databricks_mlops.config.training import TrainingConfig

    where = f"{stage_variables['catalog']}.{stage_variables['schema']}"
    data = DataConfig.from_yaml(PROJECT / "configs" / "data.yml", stage_variables)
    assert data.destination_path == f"{where}.{stage_variables['bronze_table']}"
    assert data.source_path.endswith(f"/{stage_variables['source_file']}")
    training = TrainingConfig.from_yaml(PROJECT / "configs" / "training.yml", stage_variables)
    assert training.source_table == data.destination_path
    assert training.target_column == stage_variables["target_column"]
    assert training.registry_model_name == stage_variables["model_name"]


def test_the_configured_estimator_builds_with_its_hyperparameters(
    stage_variables: dict[str, str],
) -> None:
    import importlib

    from databricks_mlops.config.training import TrainingConfig

    config = TrainingConfig.from_yaml(PROJECT / "configs" / "training.yml", stage_variables)
    assert config.estimator is not None
    module, _, name = config.estimator.rpartition(".")
    factory = getattr(importlib.import_module(module), name)
    built = factory(**config.hyperparameters)
    assert hasattr(built, "fit") and hasattr(built, "predict")
