"""The model_monitoring job: ``check_drift`` (configs/monitoring.yml) records whether the
data drifted in the run-state table, keyed by the job run id; the ``drift_state`` notebook
(notebooks/drift_gate.py) turns that into the task value ``drift_detected`` (Databricks
drops task values set from a python_wheel_task), and the job's condition task retrains
when it is true."""

from __future__ import annotations

from collections.abc import Sequence


def check_drift(argv: Sequence[str] | None = None) -> None:
    """``{{ cookiecutter.project_slug }}-monitor``: drift and performance of the inference log against
    the reference, written to the metrics table, alerts sent, ``drift_detected`` recorded for
    this job run (``--job_run_id``) in ``--run_state_table``.

    The checks are databricks-mlops' monitor task; add project-specific checks here.
    """
    from databricks_mlops.tasks.monitoring import monitor_main

    monitor_main(argv)
