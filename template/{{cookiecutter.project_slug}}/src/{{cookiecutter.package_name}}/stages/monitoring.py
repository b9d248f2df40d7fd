"""The model_monitoring job: ``check_drift`` (configs/monitoring.yml) records drift_detected for
the job run in the run-state table; the ``drift_state`` notebook turns it into the task value
the retraining condition reads (task values set here would never reach it on Databricks)."""

from __future__ import annotations

from collections.abc import Sequence

from databricks_mlops.tasks.monitoring import monitor_main


def check_drift(argv: Sequence[str] | None = None) -> None:
    """``{{ cookiecutter.project_slug }}-monitor``: drift and performance against the reference, the
    metrics table, alerts; add project-specific checks here."""
    monitor_main(argv, prog="{{ cookiecutter.project_slug }}-monitor")
