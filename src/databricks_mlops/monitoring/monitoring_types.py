"""Former home of the monitoring result models, error and schedule: kept so that its
import path keeps working. New code imports from where each now lives:
``monitoring.scheduled_job`` (the job and its schedule), ``monitoring.status`` (the last
run's status) and ``monitoring.errors``."""

from databricks_mlops.monitoring.errors import MonitoringSetupError
from databricks_mlops.monitoring.scheduled_job import (
    ENTRY_POINT,
    LOCAL_JOB_ID,
    PACKAGE,
    MonitoringJob,
    quartz_schedule,
)
from databricks_mlops.monitoring.status import MonitoringStatus, StatusMetrics, status_from_rows

__all__ = [
    "ENTRY_POINT",
    "LOCAL_JOB_ID",
    "PACKAGE",
    "MonitoringJob",
    "MonitoringSetupError",
    "MonitoringStatus",
    "StatusMetrics",
    "quartz_schedule",
    "status_from_rows",
]
