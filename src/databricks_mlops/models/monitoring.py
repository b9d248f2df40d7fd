"""Monitoring config: drift, performance, alerts."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, BeforeValidator, Field, model_validator

from databricks_mlops.models.base import EnvSecret, StrictModel, as_list

DriftMethod = Literal["ks_test", "wasserstein", "psi", "chi_squared", "jensen_shannon"]
_WINDOW = re.compile(r"^(\d+)\s*([smhd])$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


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


class EmailChannel(StrictModel):
    type: Literal["email"]
    recipients: list[str] = Field(min_length=1)


class SlackChannel(StrictModel):
    type: Literal["slack"]
    webhook: EnvSecret


class WebhookChannel(StrictModel):
    type: Literal["webhook"]
    url: EnvSecret
    headers: dict[str, EnvSecret] = Field(default_factory=dict)


NotificationChannel = Annotated[
    EmailChannel | SlackChannel | WebhookChannel, Field(discriminator="type")
]


class AlertConfig(StrictModel):
    notification_channels: list[NotificationChannel] = Field(default_factory=list)
    include_details: bool = True
    aggregation_window: str = Field(
        "1h", description="No repeat alert for the same breach inside this window (30m, 1h, 1d)."
    )
    thresholds: dict[str, float] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _shorthand_channels(cls, data: Any) -> Any:
        # The seed's Python form: `email_recipients=[...]`, `slack_webhook="https://..."`.
        if not isinstance(data, dict) or not ({"email_recipients", "slack_webhook"} & set(data)):
            return data
        data = dict(data)
        channels = list(data.get("notification_channels") or [])
        recipients = data.pop("email_recipients", None)
        if recipients:
            channels.append({"type": "email", "recipients": recipients})
        webhook = data.pop("slack_webhook", None)
        if webhook:
            channels.append({"type": "slack", "webhook": webhook})
        return {**data, "notification_channels": channels}

    @model_validator(mode="after")
    def _window(self) -> AlertConfig:
        if not _WINDOW.match(self.aggregation_window):
            raise ValueError(
                f"aggregation_window {self.aggregation_window!r}: write a number and s, m, h or d"
            )
        return self

    @property
    def aggregation_seconds(self) -> int:
        match = _WINDOW.match(self.aggregation_window)
        assert match is not None  # checked by the validator
        return int(match.group(1)) * _SECONDS[match.group(2)]


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
