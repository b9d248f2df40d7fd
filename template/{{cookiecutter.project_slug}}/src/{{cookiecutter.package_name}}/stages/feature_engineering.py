"""The feature_engineering job: ``build_features`` (configs/features.yml)."""

from __future__ import annotations

from collections.abc import Sequence

from databricks_mlops.tasks.arguments import parse_task_arguments, run_task


def build_features(argv: Sequence[str] | None = None) -> None:
    """``{{ cookiecutter.project_slug }}-build-features``: validated table -> feature table (MERGE).

    ``--refit=true`` (the job parameter ``refit``) learns the transforms' statistics again;
    otherwise the stored fitted state is reused (and refitted when the config's transforms
    changed).
    """

    def body() -> None:
        from databricks_mlops.models.features import FeatureConfig
        from databricks_mlops.tasks.build_features import run_build_features

        # Registers this project's custom transforms (configs/features.yml names them).
        from {{ cookiecutter.package_name }} import features  # noqa: F401

        args = parse_task_arguments("{{ cookiecutter.project_slug }}-build-features", argv)
        refit = args.variables.pop("refit", "false").strip().lower() in ("true", "1", "yes")
        built = run_build_features(
            FeatureConfig.from_yaml(args.config, args.variables), refit=refit
        )
        print(
            f"build_features: {built.write.name} version {built.write.version}, "
            f"{built.write.row_count} rows, {built.columns} columns; fitted state "
            f"{built.state_hash} ({built.reason})"
        )

    run_task(body)
