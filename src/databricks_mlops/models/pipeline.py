"""Pipeline orchestration config: schedule, ownership, notifications."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from databricks_mlops.models.base import StrictModel


class ScheduleConfig(StrictModel):
    cron: str = Field(description="Unix (5 fields) or Quartz (6-7 fields) cron expression.")
    timezone: str = "UTC"
    pause_status: Literal["PAUSED", "UNPAUSED"] = "UNPAUSED"

    @field_validator("cron")
    @classmethod
    def _fields(cls, cron: str) -> str:
        if len(cron.split()) not in (5, 6, 7):
            raise ValueError(f"cron {cron!r} needs 5 (unix) or 6-7 (Quartz) fields")
        return cron

    @property
    def quartz(self) -> str:
        """The Quartz form Databricks job schedules require."""
        fields = self.cron.split()
        if len(fields) != 5:
            return self.cron
        minute, hour, day, month, weekday = fields
        # Quartz wants exactly one of day-of-month / day-of-week to be '?'.
        if weekday == "*":
            weekday = "?"
        elif day == "*":
            day = "?"
        return f"0 {minute} {hour} {day} {month} {weekday}"


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
