"""Every monitoring error derives from MonitoringError and stays importable where it was."""

from __future__ import annotations

import importlib

import pandas as pd
import pytest
from pyspark.sql import SparkSession

from databricks_mlops.errors import MLOpsError
from databricks_mlops.monitoring import MonitoringError
from databricks_mlops.monitoring.performance import classification_metrics

# (module that raises it, name): the import paths that existed before the errors module.
OLD_PATHS = [
    ("databricks_mlops.monitoring.monitoring_run", "MonitoringInputError"),
    ("databricks_mlops.monitoring.monitor", "MonitoringSetupError"),
    ("databricks_mlops.monitoring.monitoring_types", "MonitoringSetupError"),
    ("databricks_mlops.monitoring.drift", "DriftError"),
    ("databricks_mlops.monitoring.drift_spark", "DriftError"),
    ("databricks_mlops.monitoring.performance", "PerformanceError"),
    ("databricks_mlops.monitoring.alerts", "AlertDeliveryError"),
    ("databricks_mlops.monitoring.metrics_table", "MetricsTableError"),
]


@pytest.mark.parametrize(("module", "name"), OLD_PATHS)
def test_each_monitoring_error_is_a_monitoring_error(module: str, name: str) -> None:
    error = getattr(importlib.import_module(module), name)
    assert issubclass(error, MonitoringError)
    assert issubclass(error, MLOpsError)


def test_the_run_failure_and_the_base_keep_their_old_import_path() -> None:
    from databricks_mlops.monitoring.monitoring_run import MonitoringError as from_run

    assert from_run is MonitoringError
    # Before, the run's own failure *was* MonitoringError, a sibling of the others.
    from databricks_mlops.monitoring.errors import MonitoringRunError

    assert issubclass(MonitoringRunError, MonitoringError)


def test_a_performance_failure_is_caught_as_a_monitoring_error(spark: SparkSession) -> None:
    frame = spark.createDataFrame(pd.DataFrame({"prediction": [1.0]}))
    with pytest.raises(MonitoringError, match=r"lacks columns \['churn'\]"):
        classification_metrics(frame, label="churn", prediction="prediction")
