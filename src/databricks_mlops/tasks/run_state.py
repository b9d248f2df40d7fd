"""A small Delta table of per-job-run outcomes: how a wheel task hands a value downstream.

Databricks drops task values set from a python_wheel_task, so a task that must tell a
``condition_task`` something (``check_drift``: was there drift?) appends a row keyed by
``{{job.run_id}}`` here, and a notebook task (``notebooks/drift_gate.py``) reads it back and
sets the task value, the one documented place for ``dbutils.jobs.taskValues.set``.

Rows are appended, never updated: a repaired job run keeps its job run id, and the reader
takes the latest row for ``(job_run_id, key)``. Appends never conflict in Delta.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from databricks_mlops.errors import MLOpsError

RUN_STATE_COLUMNS = "job_run_id STRING, key STRING, value STRING, recorded_at TIMESTAMP"


class RunStateError(MLOpsError):
    """The run-state table cannot be written or read."""


def record_run_state(table: str, job_run_id: str, values: Mapping[str, str]) -> None:
    """Append ``values`` (key -> text) for ``job_run_id`` to ``table`` (created if needed)."""
    from databricks_mlops.runtime import get_runtime
    from databricks_mlops.runtime.delta_conflicts import delta_conflicts_as_errors

    runtime = get_runtime()
    now = datetime.now(UTC).replace(tzinfo=None)
    rows = [(job_run_id, key, value, now) for key, value in values.items()]
    try:
        frame = runtime.spark.createDataFrame(rows, schema=RUN_STATE_COLUMNS)
        writer = frame.write.format("delta").mode("append")
        with delta_conflicts_as_errors(table, "run-state append"):
            runtime.write_delta(writer, table)
    except MLOpsError:
        raise
    except Exception as exc:  # Spark / Delta errors have no common base worth naming
        raise RunStateError(
            f"Failed to record {', '.join(values)} of job run {job_run_id} in {table}: {exc}"
        ) from exc


def read_run_state(table: str, job_run_id: str, key: str) -> str | None:
    """The latest value of ``key`` recorded for ``job_run_id``, or None."""
    from pyspark.sql import functions as F

    from databricks_mlops.runtime import get_runtime

    runtime = get_runtime()
    try:
        if not runtime.delta_exists(table):
            return None
        rows = (
            runtime.read_delta(table)
            .where((F.col("job_run_id") == job_run_id) & (F.col("key") == key))
            .orderBy(F.col("recorded_at").desc())
            .limit(1)
            .collect()
        )
    except Exception as exc:
        raise RunStateError(
            f"Failed to read {key} of job run {job_run_id} from {table}: {exc}"
        ) from exc
    return str(rows[0]["value"]) if rows else None
