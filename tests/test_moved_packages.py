"""Moved packages keep their old (documented) import paths, as the very same modules."""

from __future__ import annotations

import importlib
import pickle

import pytest


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("databricks_mlops.model_serving", "databricks_mlops.serving_client"),
        ("databricks_mlops.model_serving.client", "databricks_mlops.serving_client.client"),
        ("databricks_mlops.model_serving.errors", "databricks_mlops.serving_client.errors"),
        ("databricks_mlops.core.pipeline", "databricks_mlops.ingestion.pipeline"),
        ("databricks_mlops.models.config", "databricks_mlops.config.kinds"),
        ("databricks_mlops.models.training", "databricks_mlops.config.training"),
        ("databricks_mlops.models.workspace", "databricks_mlops.config.workspace"),
        ("databricks_mlops.core.transform_steps", "databricks_mlops.ingestion.transform_steps"),
    ],
)
def test_the_old_path_imports_the_new_module_itself(old: str, new: str) -> None:
    new_module = importlib.import_module(new)
    old_module = importlib.import_module(old)
    assert old_module is new_module or old_module.__all__ == new_module.__all__
    if old.count(".") > 1:  # a submodule: one module object under two names
        assert old_module is new_module
        assert old_module.__spec__ is not None and old_module.__spec__.name == new


def test_classes_are_one_whichever_path_imported_them() -> None:
    from databricks_mlops.model_serving.errors import ServingError as OldError

    from databricks_mlops.model_serving import ModelClient as Old
    from databricks_mlops.serving_client import ModelClient as New
    from databricks_mlops.serving_client.errors import ServingError as NewError

    assert Old is New and OldError is NewError
    error = pickle.loads(pickle.dumps(OldError("x")))
    assert type(error) is NewError


def test_a_missing_submodule_under_the_old_path_is_still_an_import_error() -> None:
    with pytest.raises(ModuleNotFoundError, match=r"databricks_mlops\.serving_client\.nothing"):
        importlib.import_module("databricks_mlops.model_serving.nothing")


def test_the_documented_data_pipeline_and_workspace_config_paths() -> None:
    from databricks_mlops.core.pipeline import DataPipeline as Old

    from databricks_mlops.config.workspace import WorkspaceConfig as Defined
    from databricks_mlops.ingestion.pipeline import DataPipeline as New
    from databricks_mlops.utils.auth import WorkspaceConfig as Documented

    assert Old is New
    assert Documented is Defined


def test_documented_config_classes_are_the_config_packages() -> None:
    from databricks_mlops.models.config import CONFIG_KINDS as documented_kinds
    from databricks_mlops.models.training import TrainingConfig as Documented

    from databricks_mlops.config.kinds import CONFIG_KINDS
    from databricks_mlops.config.training import TrainingConfig

    assert Documented is TrainingConfig and documented_kinds is CONFIG_KINDS
