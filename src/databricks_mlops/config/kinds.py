"""All stage configs under one import path (``CONFIG_KINDS``; the documented path is ``databricks_mlops.models.config``)."""

from databricks_mlops.config.base import StrictModel
from databricks_mlops.config.data import (
    AddIngestionTimestamp,
    CastColumns,
    DataConfig,
    Deduplicate,
    DropColumns,
    FilterRows,
    RenameColumns,
    TransformStep,
)
from databricks_mlops.config.deployment import BatchInferenceConfig, DeploymentConfig, ServingConfig
from databricks_mlops.config.features import FeatureConfig, TransformationType
from databricks_mlops.config.monitoring import AlertConfig, DriftConfig, MonitoringConfig
from databricks_mlops.config.pipeline import NotificationConfig, PipelineConfig, ScheduleConfig
from databricks_mlops.config.training import ModelType, TrainingConfig
from databricks_mlops.config.validation import Severity, ValidationRule

__all__ = [
    "AddIngestionTimestamp",
    "AlertConfig",
    "BatchInferenceConfig",
    "CastColumns",
    "DataConfig",
    "Deduplicate",
    "DeploymentConfig",
    "DriftConfig",
    "DropColumns",
    "FeatureConfig",
    "FilterRows",
    "ModelType",
    "MonitoringConfig",
    "NotificationConfig",
    "PipelineConfig",
    "RenameColumns",
    "ScheduleConfig",
    "ServingConfig",
    "Severity",
    "StrictModel",
    "TrainingConfig",
    "TransformStep",
    "TransformationType",
    "ValidationRule",
]

# `validate-config` picks the model from the file name (data.yml, training_config.yaml, ...).
CONFIG_KINDS: dict[str, type[StrictModel]] = {
    "data": DataConfig,
    "feature": FeatureConfig,
    "training": TrainingConfig,
    "deployment": DeploymentConfig,
    "inference": BatchInferenceConfig,
    "monitoring": MonitoringConfig,
    "pipeline": PipelineConfig,
}
