"""Which registered model version a deployment config means.

A config names its version as a number (``"3"``), ``"latest"``, an alias (``"@champion"``),
or a model URI (``models:/name/3``, ``models:/name@alias``, ``models:/name/latest``). The
documented stage URIs (``models:/name/Staging``) are read as aliases: the stages API is gone
from Unity Catalog, so ``Staging`` -> ``@challenger`` and ``Production`` -> ``@champion``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from databricks_mlops.deployment.errors import ModelVersionNotFoundError
from databricks_mlops.model_training.errors import RegistryError
from databricks_mlops.model_training.model_registry import alias_for_stage

if TYPE_CHECKING:
    from mlflow import MlflowClient

    from databricks_mlops.config.deployment import DeploymentConfig

_MODEL_URI = re.compile(r"^models:/(?P<name>[^/@]+)(?:/(?P<version>[^/@]+)|@(?P<alias>[^/@]+))$")


@dataclass(frozen=True)
class ResolvedVersion:
    model_name: str
    version: str
    model_uri: str  # always pinned: models:/NAME/VERSION


def resolve_model_version(config: DeploymentConfig) -> ResolvedVersion:
    """The concrete version ``config`` asks for, looked up in the current MLflow registry.

    When both ``model_uri`` and ``model_version`` are given they must agree."""
    from mlflow import MlflowClient

    client = MlflowClient()
    resolved: list[ResolvedVersion] = []
    if config.model_uri is not None:
        name, reference = _parse_model_uri(config.model_uri)
        if name != config.model_name:
            raise ModelVersionNotFoundError(
                f"model_uri {config.model_uri!r} names model {name!r} but model_name is "
                f"{config.model_name!r}: make them name the same registered model"
            )
        resolved.append(_resolve(client, name, reference))
    if config.model_version is not None:
        resolved.append(_resolve(client, config.model_name, config.model_version))
    if len({item.version for item in resolved}) > 1:
        raise ModelVersionNotFoundError(
            f"model_uri {config.model_uri!r} is version {resolved[0].version} but model_version "
            f"{config.model_version!r} is version {resolved[1].version}: give only one of them"
        )
    return resolved[0]


def _parse_model_uri(uri: str) -> tuple[str, str]:
    """``models:/name/3`` -> (name, "3"); ``models:/name@champion`` -> (name, "@champion")."""
    match = _MODEL_URI.match(uri.strip())
    if match is None:
        raise ModelVersionNotFoundError(
            f"model_uri {uri!r} is not a registry URI: write models:/NAME/VERSION, "
            "models:/NAME@ALIAS or models:/NAME/latest"
        )
    if match["alias"] is not None:
        return match["name"], f"@{match['alias']}"
    return match["name"], match["version"]


def _resolve(client: MlflowClient, name: str, reference: str) -> ResolvedVersion:
    reference = reference.strip()
    if reference.isdigit():
        version = _get_version(client, name, reference)
    elif reference.lower() == "latest":
        version = _latest_version(client, name)
    elif reference.startswith("@"):
        version = _version_by_alias(client, name, reference[1:])
    else:
        try:
            alias = alias_for_stage(reference)
        except RegistryError as exc:
            raise ModelVersionNotFoundError(
                f"model version {reference!r} of {name} is not a number, 'latest', an alias "
                f"(write '@{reference}') or a stage: {exc}"
            ) from exc
        version = _version_by_alias(client, name, alias)
    return ResolvedVersion(name, version, f"models:/{name}/{version}")


def _not_found(exc: Exception) -> bool:
    from mlflow.exceptions import MlflowException

    return isinstance(exc, MlflowException) and exc.error_code in (
        "RESOURCE_DOES_NOT_EXIST",
        "NOT_FOUND",
        "INVALID_PARAMETER_VALUE",
    )


def _require_model(client: MlflowClient, name: str) -> None:
    import mlflow
    from mlflow.exceptions import MlflowException

    try:
        client.get_registered_model(name)
    except MlflowException as exc:
        if _not_found(exc):
            raise ModelVersionNotFoundError(
                f"registered model {name!r} does not exist in {mlflow.get_registry_uri()}: run the "
                "model_training job first (or fix model_name)"
            ) from exc
        raise ModelVersionNotFoundError(f"Failed to look up model {name}: {exc}") from exc


def _get_version(client: MlflowClient, name: str, version: str) -> str:
    from mlflow.exceptions import MlflowException

    try:
        return str(client.get_model_version(name, version).version)
    except MlflowException as exc:
        if not _not_found(exc):
            raise ModelVersionNotFoundError(
                f"Failed to look up {name} version {version}: {exc}"
            ) from exc
        _require_model(client, name)
        raise ModelVersionNotFoundError(
            f"{name} has no version {version}; existing versions: "
            f"{', '.join(_existing_versions(client, name)) or 'none'}"
        ) from exc


def _version_by_alias(client: MlflowClient, name: str, alias: str) -> str:
    from mlflow.exceptions import MlflowException

    try:
        return str(client.get_model_version_by_alias(name, alias).version)
    except MlflowException as exc:
        if not _not_found(exc):
            raise ModelVersionNotFoundError(f"Failed to look up {name}@{alias}: {exc}") from exc
        _require_model(client, name)
        raise ModelVersionNotFoundError(
            f"{name} has no @{alias} version: set the alias (promotion sets @champion, "
            "registration @challenger) or deploy a version number"
        ) from exc


def _latest_version(client: MlflowClient, name: str) -> str:
    _require_model(client, name)
    versions = _existing_versions(client, name)
    if not versions:
        raise ModelVersionNotFoundError(f"{name} has no versions yet: run model_training first")
    return versions[-1]


def _existing_versions(client: MlflowClient, name: str) -> list[str]:
    from mlflow.exceptions import MlflowException

    try:
        found = client.search_model_versions(f"name = '{name}'")
    except MlflowException as exc:
        raise ModelVersionNotFoundError(f"Failed to list versions of {name}: {exc}") from exc
    return [str(v) for v in sorted(int(item.version) for item in found)]
