"""Every config file loads with its typed schema, on every target's parameters."""

from __future__ import annotations

from pathlib import Path

import pytest
from databricks_mlops.models.config import CONFIG_KINDS

# The schema each target's tasks get (databricks.yml).
SCHEMAS = {"dev": "{{ cookiecutter.schema_name }}_dev", "prod": "{{ cookiecutter.schema_name }}"}
CONFIGS = sorted((Path(__file__).resolve().parents[1] / "configs").glob("*.yml"))
KIND_OF_FILE = {
    "data": "data",
    "features": "feature",
    "training": "training",
    "deployment": "deployment",
    "inference": "inference",
    "monitoring": "monitoring",
}


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
@pytest.mark.parametrize("target", ["dev", "prod"])
def test_config_loads_with_its_schema(
    path: Path, target: str, stage_variables: dict[str, str]
) -> None:
    schema = SCHEMAS[target]
    kind = KIND_OF_FILE[path.stem]
    if kind not in CONFIG_KINDS:
        pytest.skip(f"this databricks-mlops has no {kind} config schema")
    model_name = f"{stage_variables['catalog']}.{schema}.{{ cookiecutter.package_name }}_model"
    variables = {**stage_variables, "schema": schema, "model_name": model_name}
    config = CONFIG_KINDS[kind].from_yaml(path, variables)
    dumped = config.model_dump_json()
    assert "${" not in dumped, "a ${variable} was left unresolved"
    assert schema in dumped


def test_training_uses_this_projects_model_factory(stage_variables: dict[str, str]) -> None:
    from databricks_mlops.models.training import TrainingConfig

    path = Path(__file__).resolve().parents[1] / "configs" / "training.yml"
    config = TrainingConfig.from_yaml(path, stage_variables)
    assert config.estimator == "{{ cookiecutter.package_name }}.models.build_model"
    assert config.model_type.value == "{{ cookiecutter.model_type }}"
