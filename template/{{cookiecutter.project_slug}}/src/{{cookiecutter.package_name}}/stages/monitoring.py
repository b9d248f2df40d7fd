"""The model_monitoring job: ``check_drift`` (configs/monitoring.yml), then the job's
condition task retrains when it set ``drift_detected`` to true."""

from __future__ import annotations

from collections.abc import Sequence


def check_drift(argv: Sequence[str] | None = None) -> None:
    """``{{ cookiecutter.project_slug }}-monitor``: drift and performance of the inference log against
    the reference, written to the metrics table, alerts sent, task value ``drift_detected``.

    The checks are databricks-mlops' monitor task; add project-specific checks here.
    """
    from databricks_mlops.tasks.monitoring import monitor_main

    monitor_main(argv)
