"""Monitoring config: drift, performance, alerts."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AliasChoices, BeforeValidator, Field, model_validator

from databricks_mlops.models.alerting import (
    AlertConfig,
    EmailChannel,
    NotificationChannel,
    SlackChannel,
    WebhookChannel,
)
from databricks_mlops.models.base import StrictModel, as_list

__all__ = [
    "AlertConfig",
    "DataDriftConfig",
    "DriftConfig",
    "DriftMethod",
    "EmailChannel",
    "ModelPerfConfig",
    "MonitoringConfig",
    "NotificationChannel",
    "SlackChannel",
    "WebhookChannel",
]

DriftMethod = Literal["ks_test", "wasserstein", "psi", "chi_squared", "jensen_shannon"]


class DriftConfig(StrictModel):
    features: list[str] = Field(
        default_factory=list, validation_alias=AliasChoices("features", "features_to_monitor")
    )
    drift_methods: Annotated[list[DriftMethod], BeforeValidator(as_list)] = Field(
        default_factory=lambda: ["ks_test"],  # type: ignore[arg-type]
        validation_alias=AliasChoices("drift_methods", "method"),
    )
    threshold: float = Field(0.05, gt=0)
    reference_dataset: str | None = Field(None, description="Table, path or `table@vN`.")


DataDriftConfig = DriftConfig


class ModelPerfConfig(StrictModel):
    metrics_table: str | None = Field(None, description="Delta table the monitoring metrics go to.")
    baseline_run_id: str | None = Field(
        None, description="MLflow run whose metrics are the baseline."
    )


class MonitoringConfig(StrictModel):
    enabled: bool = True
    model_name: str | None = None
    metrics: list[str] = Field(min_length=1)
    alert_thresholds: dict[str, float] = Field(default_factory=dict)
    monitoring_interval_minutes: int = Field(60, ge=1)
    data_drift_detection: DriftConfig | None = Field(
        None, validation_alias=AliasChoices("data_drift_detection", "feature_drift")
    )
    model_performance_tracking: ModelPerfConfig | None = None
    alerting: AlertConfig | None = Field(None, validation_alias=AliasChoices("alerting", "alerts"))
    dashboard_name: str = ""
    reference_dataset: str | None = Field(None, description="Shorthand for the drift reference.")
    schedule: str | None = Field(None, description="Cron expression for the monitoring job.")

    @model_validator(mode="after")
    def _one_meaning(self) -> MonitoringConfig:
        drift = self.data_drift_detection
        if self.reference_dataset is not None:
            if drift is None:
                drift = DriftConfig(reference_dataset=self.reference_dataset)
            elif drift.reference_dataset not in (None, self.reference_dataset):
                raise ValueError(
                    "reference_dataset differs from data_drift_detection.reference_dataset"
                )
            else:
                drift = drift.model_copy(update={"reference_dataset": self.reference_dataset})
            object.__setattr__(self, "data_drift_detection", drift)
        if self.alerting is not None:
            for metric, value in self.alerting.thresholds.items():
                if self.alert_thresholds.get(metric, value) != value:
                    raise ValueError(
                        f"threshold for {metric!r} differs between alerting and alert_thresholds"
                    )
            merged = {**self.alerting.thresholds, **self.alert_thresholds}
            object.__setattr__(self, "alert_thresholds", merged)
        return self
