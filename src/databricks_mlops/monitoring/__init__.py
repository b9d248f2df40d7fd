"""Model monitoring: data drift (computed in Spark, at scale), performance, metrics table,
reports and the ModelMonitor API."""

from databricks_mlops.monitoring.drift import (
    DriftResult,
    FeatureDistribution,
    FeatureDrift,
    compute_drift,
)
from databricks_mlops.monitoring.errors import (
    AlertDeliveryError,
    DriftError,
    MonitoringError,
    MonitoringInputError,
    MonitoringRunError,
    MonitoringSetupError,
    PerformanceError,
)
from databricks_mlops.monitoring.monitor import (
    ModelMonitor,
    MonitoringJob,
    MonitoringStatus,
    StatusMetrics,
)
from databricks_mlops.monitoring.monitoring_run import (
    MonitoringRunResult,
    run_monitoring,
)

__all__ = [
    "AlertDeliveryError",
    "DriftError",
    "DriftResult",
    "FeatureDistribution",
    "FeatureDrift",
    "ModelMonitor",
    "MonitoringError",
    "MonitoringInputError",
    "MonitoringJob",
    "MonitoringRunError",
    "MonitoringRunResult",
    "MonitoringSetupError",
    "MonitoringStatus",
    "PerformanceError",
    "StatusMetrics",
    "compute_drift",
    "run_monitoring",
]
