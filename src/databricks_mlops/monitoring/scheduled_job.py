"""The scheduled monitoring job: what it runs, when (its Quartz cron), and what
``ModelMonitor.setup_monitoring`` returns about it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from databricks_mlops.config.cron import unix_to_quartz
from databricks_mlops.config.monitoring import MonitoringConfig
from databricks_mlops.monitoring.errors import MonitoringSetupError

LOCAL_JOB_ID = "local-job:model_monitoring"
PACKAGE = "databricks_mlops"
ENTRY_POINT = "mlops-monitor"


class MonitoringJob(BaseModel):
    job_id: str
    job_name: str
    schedule: str = Field(description="Quartz cron expression of the job's schedule.")
    timezone: str = "UTC"
    pause_status: Literal["PAUSED", "UNPAUSED"] = "UNPAUSED"
    created: bool = Field(description="False when an existing job was updated.")
    config_path: str | None = None
    quality_monitor: str | None = Field(
        None, description="Table with a Lakehouse Monitoring inference profile, if created."
    )
    notes: list[str] = Field(default_factory=list)


def quartz_schedule(config: MonitoringConfig) -> str:
    """The job's Quartz cron: ``schedule`` (unix or Quartz cron) or the interval."""
    if config.schedule:
        try:
            return unix_to_quartz(config.schedule)
        except ValueError as exc:
            raise MonitoringSetupError(f"schedule: {exc}") from exc
    minutes = config.monitoring_interval_minutes
    if minutes < 60 and 60 % minutes == 0:
        return f"0 0/{minutes} * * * ?"
    if minutes % 60 == 0 and 24 % (minutes // 60) == 0:
        hours = minutes // 60
        if hours == 1:
            return "0 0 * * * ?"
        return "0 0 0 * * ?" if hours == 24 else f"0 0 0/{hours} * * ?"
    raise MonitoringSetupError(
        f"monitoring_interval_minutes={minutes} does not divide an hour or a day evenly, so "
        "it has no cron form; set `schedule` (a cron expression) instead"
    )
