"""The feature_engineering job: ``build_features`` (configs/features.yml)."""

from __future__ import annotations

from collections.abc import Sequence

from databricks_mlops.tasks import build_features as build_features_task


def build_features(argv: Sequence[str] | None = None) -> None:
    """``{{ cookiecutter.project_slug }}-build-features``: validated table -> feature table (MERGE);
    ``--refit=true`` learns the transforms' statistics again."""
    # Registers this project's custom transforms (configs/features.yml names them).
    from {{ cookiecutter.package_name }} import features  # noqa: F401

    build_features_task.main(argv, prog="{{ cookiecutter.project_slug }}-build-features")
