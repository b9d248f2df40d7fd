"""``monitoring_types`` was split by role; its old import path re-exports the same objects."""

from __future__ import annotations

import importlib

import pytest

from databricks_mlops.monitoring import errors, scheduled_job, status

NEW_HOMES = {
    "ENTRY_POINT": scheduled_job,
    "LOCAL_JOB_ID": scheduled_job,
    "PACKAGE": scheduled_job,
    "MonitoringJob": scheduled_job,
    "quartz_schedule": scheduled_job,
    "MonitoringStatus": status,
    "StatusMetrics": status,
    "status_from_rows": status,
    "MonitoringSetupError": errors,
}


@pytest.mark.parametrize("name", sorted(NEW_HOMES))
def test_the_old_module_re_exports_each_name_from_its_new_home(name: str) -> None:
    old = importlib.import_module("databricks_mlops.monitoring.monitoring_types")
    assert getattr(old, name) is getattr(NEW_HOMES[name], name)
    assert name in old.__all__


def test_status_holds_no_schedule_logic_and_the_job_no_status() -> None:
    assert not hasattr(status, "quartz_schedule")
    assert not hasattr(scheduled_job, "status_from_rows")
