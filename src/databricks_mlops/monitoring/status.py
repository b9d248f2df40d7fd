"""What ``ModelMonitor.get_status`` returns: the last monitoring run, read back from the
metrics table."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class StatusMetrics(BaseModel):
    """The last run's drift and its performance: one field per metric of the catalogue
    (``models.metrics``), None when the run did not compute it."""

    drift_score: float = 0.0
    drifting_features: list[str] = Field(default_factory=list)
    accuracy: float | None = None
    precision: float | None = None
    recall: float | None = None
    f1_score: float | None = None
    roc_auc: float | None = None
    log_loss: float | None = None
    rmse: float | None = None
    mae: float | None = None
    r2: float | None = None
    mape: float | None = None
    values: dict[str, float] = Field(default_factory=dict, description="Every summary value.")


class MonitoringStatus(BaseModel):
    model_name: str
    job_id: str | None = None
    schedule: str | None = None
    last_run_status: str = Field(description="SUCCESS / FAILED / ... or NO_RUNS.")
    last_run_at: datetime | None = None
    last_run_id: str | None = None
    window_id: str | None = None
    model_version: str | None = None
    drift_detected: bool = False
    breaches: list[str] = Field(default_factory=list)
    report_path: str | None = None
    metrics: StatusMetrics = Field(default_factory=StatusMetrics)


def status_from_rows(model_name: str, rows: list[dict[str, Any]]) -> MonitoringStatus:
    """The status of the last monitoring run from its summary and performance rows of the
    metrics table (``metrics_table.recent_rows`` locally, a SQL warehouse on Databricks)."""
    if not rows:
        return MonitoringStatus(model_name=model_name, last_run_status="NO_RUNS")
    first = rows[0]
    summary = {r["metric"]: r for r in rows if r["kind"] == "summary"}
    values = {r["metric"]: float(r["value"]) for r in rows if r["value"] is not None}
    drifting = summary.get("drifting_features")
    breaches = summary.get("breaches")
    performance = {
        r["metric"]: float(r["value"])
        for r in rows
        if r["kind"] == "performance" and r["value"] is not None
    }
    metrics = StatusMetrics(
        drift_score=values.get("drift_score", 0.0),
        drifting_features=json.loads(drifting["details"]) if drifting else [],
        values=values,
        **{k: v for k, v in performance.items() if k in StatusMetrics.model_fields},
    )
    drift_row = summary.get("drift_score")
    return MonitoringStatus(
        model_name=model_name,
        last_run_status="SUCCESS",  # a run writes its rows only when it completes
        last_run_at=first["run_at"],
        last_run_id=first["run_id"],
        window_id=first["window_id"],
        model_version=first["model_version"],
        drift_detected=bool(drift_row and drift_row["flagged"]),
        breaches=json.loads(breaches["details"]) if breaches and breaches["details"] else [],
        metrics=metrics,
    )
