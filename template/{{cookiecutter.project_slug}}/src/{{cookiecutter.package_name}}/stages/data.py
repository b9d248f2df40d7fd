"""The data_ingestion job: ``ingest`` then ``validate`` (configs/data.yml)."""

from __future__ import annotations

from collections.abc import Sequence
from importlib.util import find_spec

from databricks_mlops.errors import ConfigError
from databricks_mlops.tasks.arguments import parse_task_arguments, run_task


def require_engine(engine: str, config_path: str) -> None:
    """Fail before any Spark work when the chosen engine is not installed on this task.

    A task installs exactly this project's wheel and what it requires: Great Expectations
    is there only if pyproject.toml depends on ``databricks-mlops[gx]``.
    """
    if engine == "great_expectations" and find_spec("great_expectations") is None:
        raise ConfigError(
            f"{config_path}: validation.engine is great_expectations, but great_expectations "
            "is not installed in this task's environment: depend on databricks-mlops[gx] "
            "in pyproject.toml (same version), then `uv sync` and redeploy (README: "
            "Validation engine), or set engine: spark"
        )


def ingest(argv: Sequence[str] | None = None) -> None:
    """``{{ cookiecutter.project_slug }}-ingest``: raw files -> transformation steps -> Delta table."""

    def body() -> None:
        from databricks_mlops.models.data import DataConfig
        from databricks_mlops.tasks.ingest import run_ingest

        args = parse_task_arguments("{{ cookiecutter.project_slug }}-ingest", argv)
        config = DataConfig.from_yaml(args.config, args.variables)
        result = run_ingest(config)
        print(
            f"ingest: {result.rows_written} rows into {result.destination} "
            f"(Delta version {result.table_version})"
        )

    run_task(body)


def validate(argv: Sequence[str] | None = None) -> None:
    """``{{ cookiecutter.project_slug }}-validate``: the data-quality rules on the ingested table.

    A failing ``error`` rule fails the task (and the job); ``warning`` rules are reported.
    """

    def body() -> None:
        from databricks_mlops.models.data import DataConfig
        from databricks_mlops.tasks.validate import run_validate

        args = parse_task_arguments("{{ cookiecutter.project_slug }}-validate", argv)
        config = DataConfig.from_yaml(args.config, args.variables)
        require_engine(config.validation.engine, args.config)
        run_validate(config, run_id=args.variables.get("run_id"))

    run_task(body)
