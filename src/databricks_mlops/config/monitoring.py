"""Monitoring config: drift, performance, alerts, and where a monitoring run reads and writes."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AliasChoices, BeforeValidator, Field, field_validator, model_validator

from databricks_mlops.config.alerting import (
    AlertConfig,
    EmailChannel,
    NotificationChannel,
    SlackChannel,
    WebhookChannel,
)
from databricks_mlops.config.base import StrictModel, as_list
from databricks_mlops.config.metrics import METRIC_ALIASES, metric_names

__all__ = [
    "METRIC_ALIASES",
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
    "parse_duration",
    "split_reference",
]

DriftMethod = Literal["ks_test", "wasserstein", "psi", "chi_squared", "jensen_shannon"]

_DURATION = re.compile(r"^(\d+)\s*([smhd])$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# `table@v3` / `dbfs:/path@v3`: a Delta version of the reference (time travel).
_VERSION_SUFFIX = re.compile(r"^(?P<target>.+)@v(?P<version>\d+)$")


def parse_duration(text: str) -> int:
    """``"30m"`` -> 1800 seconds; ``ValueError`` for anything else."""
    match = _DURATION.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a duration: write a number and s, m, h or d (6h, 1d)")
    return int(match.group(1)) * _SECONDS[match.group(2)]


def split_reference(reference: str) -> tuple[str, int | None]:
    """``"main.s.t@v3"`` -> ``("main.s.t", 3)``; a plain name has no version."""
    match = _VERSION_SUFFIX.match(reference)
    if match is None:
        return reference, None
    return match.group("target"), int(match.group("version"))


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
    reference_version: int | None = Field(
        None, ge=0, description="Delta version of the reference (versionAsOf); or write `@vN`."
    )
    categorical_features: list[str] | None = Field(
        None, description="Features to treat as categorical; default: string/boolean columns."
    )
    include_prediction: bool = Field(
        True,
        description="Also compare the prediction column when the reference has it "
        "(prediction drift); a training table without predictions is skipped.",
    )


DataDriftConfig = DriftConfig


class ModelPerfConfig(StrictModel):
    metrics_table: str | None = Field(None, description="Delta table the monitoring metrics go to.")
    baseline_run_id: str | None = Field(
        None, description="MLflow run whose metrics are the baseline."
    )
    baseline_alias: str = Field(
        "champion", description="Without baseline_run_id: the run of this registered version."
    )
    max_drop: float = Field(
        0.05,
        ge=0,
        description="A metric this much worse than the baseline (absolute) is a breach.",
    )
    roc_bins: int = Field(
        1000, ge=10, le=100_000, description="Probability bins of the approximate roc_auc."
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
    # --- Where one monitoring run reads and writes (beyond the documented table) ---------
    inference_table: str | None = Field(
        None,
        description=(
            "The batch inference log (table or path) the current window comes from, or a "
            "serving endpoint's AI Gateway inference table (`<endpoint>_payload`)."
        ),
    )
    model_type: Literal["classification", "regression"] = "classification"
    prediction_column: str = "prediction"
    probability_column: str | None = Field(
        "probability", description="Positive-class probability (roc_auc); None to skip."
    )
    label_column: str | None = Field(
        None, description="Ground truth in the log; performance is computed on non-null rows."
    )
    timestamp_column: str = Field("scored_at", description="Log column the window filters on.")
    model_version_column: str = "model_version"
    window: str = Field(
        "last_batch",
        description="Current window: `last_batch` (rows of the latest scoring), `all`, or a "
        "duration ending at the run time (`6h`, `1d`).",
    )
    report_dir: str = Field(
        "dbfs:/mlops/reports/monitoring",
        description="HTML reports go to <report_dir>/<model>/<run_id>.html (runtime.path).",
    )
    alert_state_dir: str = Field(
        "dbfs:/mlops/alerts", description="Where alert de-duplication state is kept."
    )
    experiment_name: str | None = Field(
        None,
        description="MLflow experiment of monitoring runs; default /Shared/monitoring/<model>.",
    )
    retrain_on_drift: bool = Field(
        True, description="Whether `drift_detected` may trigger retraining (the job's gate)."
    )

    @field_validator("window")
    @classmethod
    def _window(cls, window: str) -> str:
        if window not in ("last_batch", "all"):
            parse_duration(window)
        return window

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

    @property
    def window_seconds(self) -> int | None:
        """The window as seconds, or None for `last_batch` / `all`."""
        return None if self.window in ("last_batch", "all") else parse_duration(self.window)

    @property
    def performance_metrics(self) -> list[str]:
        """The configured metrics that are model metrics (aliases resolved), in order."""
        known = metric_names(self.model_type)
        names = [METRIC_ALIASES.get(name, name) for name in self.metrics]
        chosen = [name for name in dict.fromkeys(names) if name in known]
        return chosen or list(known)


# Derived from the one catalogue (config/metrics.py); kept here for existing imports.
CLASSIFICATION_METRICS = metric_names("classification")
REGRESSION_METRICS = metric_names("regression")
