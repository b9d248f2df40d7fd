"""The batch_inference job: ``score`` (configs/inference.yml)."""

from __future__ import annotations

from collections.abc import Sequence

from databricks_mlops.tasks.deployment import score_main


def score(argv: Sequence[str] | None = None) -> None:
    """``{{ cookiecutter.project_slug }}-score``: ``@champion`` on the input table, in Spark, into the
    inference log (what monitoring reads)."""
    score_main(argv, prog="{{ cookiecutter.project_slug }}-score")
