"""The data_ingestion job: ``ingest`` then ``validate`` (configs/data.yml)."""

from __future__ import annotations

from collections.abc import Sequence

from databricks_mlops.tasks.arguments import parse_task_arguments, run_task


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
        run_validate(config, run_id=args.variables.get("run_id"))

    run_task(body)
