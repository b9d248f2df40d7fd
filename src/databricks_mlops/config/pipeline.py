"""Pipeline orchestration config: schedule, ownership, notifications."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from databricks_mlops.config.base import StrictModel
from databricks_mlops.config.cron import unix_to_quartz


class ScheduleConfig(StrictModel):
    cron: str = Field(description="Unix (5 fields) or Quartz (6-7 fields) cron expression.")
    timezone: str = "UTC"
    pause_status: Literal["PAUSED", "UNPAUSED"] = "UNPAUSED"

    @field_validator("cron")
    @classmethod
    def _convertible(cls, cron: str) -> str:
        unix_to_quartz(cron)  # refuses what Databricks cannot schedule, at load time
        return cron

    @property
    def quartz(self) -> str:
        """The Quartz form Databricks job schedules require."""
        return unix_to_quartz(self.cron)


class NotificationConfig(StrictModel):
    on_start: bool = False
    on_success: bool = False
    on_failure: bool = True
    recipients: list[str] = Field(default_factory=list)


class PipelineConfig(StrictModel):
    name: str
    description: str = ""
    owner: str
    tags: dict[str, str] = Field(default_factory=dict)
    timeout_minutes: int = Field(60, ge=1)
    retry_attempts: int = Field(0, ge=0)
    environment: str
    schedule: ScheduleConfig | None = None
    dependencies: list[str] = Field(default_factory=list)
    notification: NotificationConfig | None = None
