"""Model training config: what to learn, how to split, what to measure, where to register."""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, Field, model_validator

from databricks_mlops.errors import did_you_mean
from databricks_mlops.models.base import CaseInsensitiveEnum, StrictModel


class ModelType(CaseInsensitiveEnum):
    CLASSIFICATION = "classification"
    REGRESSION = "regression"


CLASSIFICATION_METRICS = ("accuracy", "precision", "recall", "f1_score", "roc_auc", "log_loss")
REGRESSION_METRICS = ("rmse", "mae", "r2", "mape")
_LOWER_IS_BETTER = {"log_loss", "rmse", "mae", "mape"}


class MetricConfig(StrictModel):
    """A metric with an optional gate: the model must reach ``threshold`` to be registered."""

    name: str
    threshold: float | None = None
    greater_is_better: bool | None = Field(
        None, description="Defaults from the metric (log_loss, rmse, mae, mape: lower is better)."
    )

    @property
    def higher_is_better(self) -> bool:
        if self.greater_is_better is not None:
            return self.greater_is_better
        return self.name not in _LOWER_IS_BETTER


class TrainingConfig(StrictModel):
    model_type: ModelType
    target_column: str
    feature_columns: list[str] = Field(min_length=1)
    categorical_columns: list[str] = Field(default_factory=list)
    hyperparameters: dict[str, Any] = Field(default_factory=dict)
    split_ratios: list[float] = Field(default_factory=lambda: [0.7, 0.15, 0.15])
    metrics: list[str] = Field(
        default_factory=list, validation_alias=AliasChoices("metrics", "additional_metrics")
    )
    primary_metric: str | None = Field(
        None, description="Metric that ranks models; defaults to f1_score / rmse."
    )
    experiment_name: str | None = Field(
        None, description="MLflow experiment; defaults to the registered model name."
    )
    run_name: str = ""
    registry_model_name: str = Field(
        validation_alias=AliasChoices("registry_model_name", "model_name"),
        description="Registered model name (`catalog.schema.model` in Unity Catalog).",
    )
    cross_validation_folds: int = Field(0, ge=0)
    stratify: bool = False
    sample_weight_column: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> TrainingConfig:
        if len(self.split_ratios) not in (2, 3) or any(not 0 < r < 1 for r in self.split_ratios):
            raise ValueError("split_ratios: give 2 or 3 fractions, each between 0 and 1")
        if abs(sum(self.split_ratios) - 1.0) > 1e-6:
            raise ValueError(f"split_ratios must sum to 1, got {sum(self.split_ratios):g}")
        if self.cross_validation_folds == 1:
            raise ValueError("cross_validation_folds must be 0 (off) or at least 2")
        if self.stratify and self.model_type is ModelType.REGRESSION:
            raise ValueError("stratify only applies to classification")
        known = self.known_metrics
        for name in [*self.metrics, *([self.primary_metric] if self.primary_metric else [])]:
            if name not in known:
                raise ValueError(
                    f"unknown {self.model_type.value} metric {name!r}{did_you_mean(name, known)}; "
                    f"known: {', '.join(known)}"
                )
        if self.target_column in self.feature_columns:
            raise ValueError(f"target_column {self.target_column!r} is also a feature column")
        if self.primary_metric is None:
            default = "f1_score" if self.model_type is ModelType.CLASSIFICATION else "rmse"
            object.__setattr__(self, "primary_metric", default)
        if self.experiment_name is None:
            object.__setattr__(self, "experiment_name", self.registry_model_name)
        return self

    @property
    def known_metrics(self) -> tuple[str, ...]:
        if self.model_type is ModelType.CLASSIFICATION:
            return CLASSIFICATION_METRICS
        return REGRESSION_METRICS
