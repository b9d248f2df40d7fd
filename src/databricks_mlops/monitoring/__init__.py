"""Model monitoring: data drift (computed in Spark, at scale), performance, metrics table,
reports and the ModelMonitor API."""

from databricks_mlops.monitoring.drift import (
    DriftError,
    DriftResult,
    FeatureDistribution,
    FeatureDrift,
    compute_drift,
)
from databricks_mlops.monitoring.monitor import (
    ModelMonitor,
    MonitoringJob,
    MonitoringSetupError,
    MonitoringStatus,
    StatusMetrics,
)
from databricks_mlops.monitoring.run import (
    MonitoringError,
    MonitoringInputError,
    MonitoringRunResult,
    run_monitoring,
)

__all__ = [
    "DriftError",
    "DriftResult",
    "FeatureDistribution",
    "FeatureDrift",
    "ModelMonitor",
    "MonitoringError",
    "MonitoringInputError",
    "MonitoringJob",
    "MonitoringRunResult",
    "MonitoringSetupError",
    "MonitoringStatus",
    "StatusMetrics",
    "compute_drift",
    "run_monitoring",
]
