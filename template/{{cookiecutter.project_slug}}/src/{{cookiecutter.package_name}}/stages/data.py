"""The data_ingestion job: ``ingest`` then ``validate`` (configs/data.yml), databricks-mlops'
tasks; put project-specific steps before or after them here."""

from __future__ import annotations

from collections.abc import Sequence

from databricks_mlops.tasks import ingest as ingest_task
from databricks_mlops.tasks import validate as validate_task


def ingest(argv: Sequence[str] | None = None) -> None:
    """``{{ cookiecutter.project_slug }}-ingest``: raw files -> transformation steps -> a staged batch."""
    ingest_task.main(argv, prog="{{ cookiecutter.project_slug }}-ingest")


def validate(argv: Sequence[str] | None = None) -> None:
    """``{{ cookiecutter.project_slug }}-validate``: the data-quality rules; the batch is published only
    when no ``error`` rule failed (else the task fails, naming them)."""
    validate_task.main(argv, prog="{{ cookiecutter.project_slug }}-validate")
