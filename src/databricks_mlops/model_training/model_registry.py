"""Model registry through aliases only (the stages API is deprecated and absent in UC).

The documented stage names map to aliases: ``Staging`` -> ``challenger`` (a candidate that
passed its gates), ``Production`` -> ``champion`` (what serving and batch scoring load).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from databricks_mlops.errors import did_you_mean
from databricks_mlops.model_training.errors import RegistryError

if TYPE_CHECKING:
    from mlflow.entities.model_registry import ModelVersion

CHALLENGER = "challenger"
CHAMPION = "champion"
STAGE_ALIASES = {"staging": CHALLENGER, "production": CHAMPION}


def alias_for_stage(stage: str) -> str:
    """``Staging`` -> ``challenger``, ``Production`` -> ``champion`` (case-insensitive);
    an alias name itself is accepted as is."""
    key = stage.strip().lower()
    if key in STAGE_ALIASES:
        return STAGE_ALIASES[key]
    if key in STAGE_ALIASES.values():
        return key
    names = [*STAGE_ALIASES, *STAGE_ALIASES.values()]
    raise RegistryError(
        f"unknown stage {stage!r}{did_you_mean(key, names)}; stages map to aliases: "
        f"Staging -> {CHALLENGER}, Production -> {CHAMPION}"
    )


def version_by_alias(name: str, alias: str) -> ModelVersion | None:
    """The version holding ``alias``, or None when the model or the alias does not exist."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    try:
        return MlflowClient().get_model_version_by_alias(name, alias)
    except MlflowException as exc:
        if exc.error_code in ("RESOURCE_DOES_NOT_EXIST", "NOT_FOUND", "INVALID_PARAMETER_VALUE"):
            return None
        raise RegistryError(f"Failed to look up {name}@{alias}: {exc}") from exc


def register_version(
    model_uri: str,
    name: str,
    *,
    alias: str,
    tags: dict[str, str],
    description: str,
) -> ModelVersion:
    """Register ``model_uri`` as a new version of ``name`` with ``alias``, tags and
    description, all or nothing: if any step after creating the version fails, the
    version is deleted again so no half-registered version is left behind."""
    import mlflow
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    try:
        version = mlflow.register_model(model_uri, name)
    except MlflowException as exc:
        raise RegistryError(f"Failed to register {model_uri} as {name}: {exc}") from exc
    client = MlflowClient()
    try:
        for key, value in tags.items():
            client.set_model_version_tag(name, version.version, key, value)
        client.update_model_version(name, version.version, description=description)
        client.set_registered_model_alias(name, alias, version.version)
    except Exception as exc:
        # Any failure (MLflow, network, a bug) must not leave the version behind.
        try:
            client.delete_model_version(name, version.version)
        except MlflowException as cleanup:
            raise RegistryError(
                f"Failed to finish registering {name} version {version.version} ({exc}) "
                f"and to delete it again ({cleanup}); delete it by hand"
            ) from exc
        raise RegistryError(
            f"Failed to set alias/tags on {name} version {version.version}, version deleted: {exc}"
        ) from exc
    return client.get_model_version(name, version.version)


def set_alias(name: str, version: str, alias: str) -> None:
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    try:
        MlflowClient().set_registered_model_alias(name, alias, version)
    except MlflowException as exc:
        raise RegistryError(
            f"Failed to set alias {alias} on {name} version {version}: {exc}"
        ) from exc
