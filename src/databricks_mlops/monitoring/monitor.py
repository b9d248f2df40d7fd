"""``ModelMonitor``: set up scheduled monitoring, run one pass, read the status.

On Databricks ``setup_monitoring`` creates (or resets) a scheduled job running
``mlops-monitor`` through databricks-sdk and, once the inference table exists, a Lakehouse
Monitoring inference profile on it. Locally it records the schedule in
``<MLOPS_HOME>/monitoring/<model>.json`` (the local runner runs ``model_monitoring`` on
demand; nothing runs in the background). ``get_status`` reads the metrics table.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from databricks_mlops.config.monitoring import MonitoringConfig
from databricks_mlops.monitoring.errors import MonitoringSetupError
from databricks_mlops.monitoring.monitoring_run import (
    MonitoringRunResult,
    metrics_table_of,
    run_monitoring,
)
from databricks_mlops.monitoring.scheduled_job import LOCAL_JOB_ID, MonitoringJob, quartz_schedule
from databricks_mlops.monitoring.status import MonitoringStatus, StatusMetrics, status_from_rows
from databricks_mlops.runtime.locations import path_segment

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient
    from pyspark.sql import DataFrame

    from databricks_mlops.config.workspace import WorkspaceConfig
    from databricks_mlops.runtime import Runtime

__all__ = [
    "LOCAL_JOB_ID",
    "ModelMonitor",
    "MonitoringJob",
    "MonitoringSetupError",
    "MonitoringStatus",
    "StatusMetrics",
    "quartz_schedule",
]

# --- the monitor --------------------------------------------------------------------------


class ModelMonitor:
    """The documented monitoring API (see the module docstring)."""

    def __init__(
        self,
        workspace: WorkspaceConfig | None = None,
        *,
        runtime: Runtime | None = None,
        retry_timeout_seconds: int | None = None,
        wheel: str | None = None,
        environment_version: str = "3",
    ) -> None:
        self.workspace = workspace
        self._runtime = runtime
        self._retry_timeout_seconds = retry_timeout_seconds
        self._wheel = wheel
        self._environment_version = environment_version

    @property
    def runtime(self) -> Runtime:
        if self._runtime is None:
            from databricks_mlops.runtime import get_runtime

            self._runtime = get_runtime()
        return self._runtime

    @property
    def is_local(self) -> bool:
        if self.workspace is not None:
            return self.workspace.is_local
        return self.runtime.is_local

    # -- running ----------------------------------------------------------------------

    def run(
        self, config: MonitoringConfig, *, window_end: datetime | None = None
    ) -> MonitoringRunResult:
        """One monitoring pass in this process (what the mlops-monitor task calls)."""
        result = run_monitoring(self.runtime, config, window_end=window_end)
        if self.runtime.is_local:
            record = self._read_record(result.model_name) or {"model_name": result.model_name}
            record.update(
                metrics_table=result.metrics_table,
                inference_table=config.inference_table,
                last_run={
                    "run_id": result.run_id,
                    "run_at": result.run_at.isoformat(),
                    "report_path": result.report_path,
                    "mlflow_run_id": result.mlflow_run_id,
                },
            )
            self._write_record(result.model_name, record)
        return result

    def history(self, model_name: str, *, metrics_table: str | None = None) -> DataFrame:
        """Every metrics-table row of ``model_name`` (Spark DataFrame, oldest run first)."""
        from databricks_mlops.monitoring.metrics_table import read_metrics

        table = metrics_table or self._metrics_table(model_name)
        return read_metrics(self.runtime, table, model_name).orderBy("run_at", "kind", "metric")

    # -- setup ------------------------------------------------------------------------

    def setup_monitoring(
        self,
        config: MonitoringConfig,
        *,
        config_path: str | None = None,
        lakehouse_monitor: bool = True,
        pause_status: Literal["PAUSED", "UNPAUSED"] = "UNPAUSED",
        retrain_job_id: int | None = None,
    ) -> MonitoringJob:
        """Schedule the monitoring of ``config.model_name`` (see the module docstring).

        With ``retrain_job_id`` (on Databricks) the job also gets the bundle's retraining
        loop: a ``drift_gate`` condition task on the ``drift_detected`` task value of
        ``check_drift``, and a ``retrain`` task running that job when it is true."""
        if config.model_name is None:
            raise MonitoringSetupError("setup_monitoring needs config.model_name")
        schedule = quartz_schedule(config)
        job_name = f"model_monitoring-{config.model_name}"
        if self.is_local:
            return self._setup_local(config, job_name, schedule, pause_status)
        from databricks_mlops.monitoring.workspace_setup import setup_on_databricks

        return setup_on_databricks(
            self._client(),
            config,
            job_name,
            schedule,
            pause_status,
            config_path,
            lakehouse_monitor,
            wheel=self._wheel,
            environment_version=self._environment_version,
            retrain_job_id=retrain_job_id,
        )

    def _setup_local(
        self,
        config: MonitoringConfig,
        job_name: str,
        schedule: str,
        pause_status: Literal["PAUSED", "UNPAUSED"],
    ) -> MonitoringJob:
        assert config.model_name is not None
        record = self._read_record(config.model_name) or {}
        created = "job_id" not in record
        record.update(
            model_name=config.model_name,
            job_id=LOCAL_JOB_ID,
            job_name=job_name,
            schedule=schedule,
            cron=config.schedule,
            pause_status=pause_status,
            metrics_table=metrics_table_of(config) if config.inference_table else None,
            inference_table=config.inference_table,
            # Secrets stay masked: the record is for people and get_status, not for runs.
            config=config.model_dump(mode="json", exclude_none=True),
        )
        path = self._write_record(config.model_name, record)
        return MonitoringJob(
            job_id=LOCAL_JOB_ID,
            job_name=job_name,
            schedule=schedule,
            pause_status=pause_status,
            created=created,
            notes=[
                f"recorded in {path}; run it with `databricks-mlops run model_monitoring` "
                "(the local runner does not run schedules in the background)"
            ],
        )

    def _client(self) -> WorkspaceClient:
        from databricks.sdk import WorkspaceClient
        from databricks.sdk.config import Config

        kwargs: dict[str, Any] = self.workspace.sdk_kwargs() if self.workspace else {}
        if self._retry_timeout_seconds is not None:
            kwargs["retry_timeout_seconds"] = self._retry_timeout_seconds
        return WorkspaceClient(config=Config(**kwargs))

    # -- status -----------------------------------------------------------------------

    def get_status(self, model_name: str, *, warehouse_id: str | None = None) -> MonitoringStatus:
        """The last monitoring run of ``model_name``: status, drift score, metrics.

        Locally from the metrics table. On Databricks the job's last run (state, start
        time), plus the last run's drift and metrics read from the metrics table through
        a SQL warehouse: ``warehouse_id`` or ``DATABRICKS_WAREHOUSE_ID``; without one,
        only the job's state."""
        if self.is_local:
            record = self._read_record(model_name)
            if record is None or not record.get("metrics_table"):
                raise MonitoringSetupError(
                    f"no monitoring recorded for {model_name}: call setup_monitoring(config) "
                    "with inference_table set, or run the monitoring once"
                )
            status = self._status_from_table(model_name, str(record["metrics_table"]))
            status.job_id = record.get("job_id")
            status.schedule = record.get("schedule")
            last = record.get("last_run") or {}
            if last.get("run_id") == status.last_run_id:
                status.report_path = last.get("report_path")
            return status
        from databricks_mlops.monitoring.workspace_setup import databricks_status

        warehouse_id = warehouse_id or os.environ.get("DATABRICKS_WAREHOUSE_ID") or None
        return databricks_status(self._client(), model_name, warehouse_id)

    def _status_from_table(self, model_name: str, table: str) -> MonitoringStatus:
        from databricks_mlops.monitoring.metrics_table import MetricsTableError, recent_rows

        try:
            rows = recent_rows(self.runtime, table, model_name, limit_runs=1)
        except MetricsTableError:
            rows = []
        return status_from_rows(model_name, rows)

    # -- local record -----------------------------------------------------------------

    def _record_path(self, model_name: str) -> Path:
        return self.runtime.home / "monitoring" / f"{path_segment(model_name)}.json"

    def _read_record(self, model_name: str) -> dict[str, Any] | None:
        path = self._record_path(model_name)
        if not path.is_file():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise MonitoringSetupError(
                f"Failed to read the monitoring record {path}: {exc} (delete it and run "
                "setup_monitoring again)"
            ) from exc
        return data if isinstance(data, dict) else None

    def _write_record(self, model_name: str, record: dict[str, Any]) -> Path:
        path = self._record_path(model_name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(record, indent=2, default=str), encoding="utf-8")
        return path

    def _metrics_table(self, model_name: str) -> str:
        record = self._read_record(model_name)
        if record is None or not record.get("metrics_table"):
            raise MonitoringSetupError(
                f"no metrics table known for {model_name}: pass metrics_table= or run the "
                "monitoring once"
            )
        return str(record["metrics_table"])
