"""Unix -> Quartz cron: one conversion, read by pipeline schedules and monitoring jobs."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from databricks_mlops.config.cron import unix_to_quartz
from databricks_mlops.config.monitoring import MonitoringConfig
from databricks_mlops.config.pipeline import ScheduleConfig
from databricks_mlops.monitoring.monitoring_types import quartz_schedule

UNIX_DAY_NAMES = {0: "SUN", 1: "MON", 2: "TUE", 3: "WED", 4: "THU", 5: "FRI", 6: "SAT", 7: "SUN"}
QUARTZ_DAY_NAMES = {1: "SUN", 2: "MON", 3: "TUE", 4: "WED", 5: "THU", 6: "FRI", 7: "SAT"}


@pytest.mark.parametrize("unix_day", sorted(UNIX_DAY_NAMES))
def test_every_weekday_keeps_its_day_on_both_paths(unix_day: int) -> None:
    cron = f"15 3 * * {unix_day}"
    via_pipeline = ScheduleConfig(cron=cron).quartz
    via_monitoring = quartz_schedule(MonitoringConfig(metrics=["accuracy"], schedule=cron))
    assert via_pipeline == via_monitoring
    quartz_day = int(via_pipeline.split()[-1])
    assert QUARTZ_DAY_NAMES[quartz_day] == UNIX_DAY_NAMES[unix_day]
    assert via_pipeline == f"0 15 3 ? * {quartz_day}"


@pytest.mark.parametrize(
    ("unix", "quartz"),
    [
        ("0 */6 * * *", "0 0 */6 * * ?"),
        ("30 2 * * 1-5", "0 30 2 ? * 2-6"),
        ("0 9 * * 1,3,5", "0 0 9 ? * 2,4,6"),
        ("0 9 * * MON-FRI", "0 0 9 ? * MON-FRI"),
        ("0 9 * * 1/2", "0 0 9 ? * 2/2"),
        ("0 0 1 * *", "0 0 0 1 * ?"),
        ("0 0 12 * * ?", "0 0 12 * * ?"),
    ],
)
def test_unix_to_quartz(unix: str, quartz: str) -> None:
    assert unix_to_quartz(unix) == quartz


def test_day_of_month_and_day_of_week_together_are_refused_at_load() -> None:
    with pytest.raises(ValidationError, match="restricts both day-of-month and day-of-week"):
        ScheduleConfig(cron="0 0 1 * 1")


def test_wrong_field_count_is_refused() -> None:
    with pytest.raises(ValidationError, match="has 4 fields"):
        ScheduleConfig(cron="0 0 * *")
