"""Model training config: what to learn, how to split, what to measure, where to register."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, ValidationInfo, field_validator, model_validator

from databricks_mlops.config.base import CaseInsensitiveEnum, StrictModel
from databricks_mlops.config.metrics import (
    DEFAULT_PRIMARY_METRIC,
    check_metric,
    greater_is_better,
    lower_is_better_text,
    metric_names,
)


class ModelType(CaseInsensitiveEnum):
    CLASSIFICATION = "classification"
    REGRESSION = "regression"


# Derived from the one catalogue (config/metrics.py); kept here for existing imports.
CLASSIFICATION_METRICS = metric_names("classification")
REGRESSION_METRICS = metric_names("regression")
_DIRECTION_DEFAULT = f"Defaults from the metric ({lower_is_better_text()}: lower is better)."


class MetricConfig(StrictModel):
    """A metric with an optional gate: the model must reach ``threshold`` to be registered."""

    name: str
    threshold: float | None = None
    greater_is_better: bool | None = Field(None, description=_DIRECTION_DEFAULT)

    @property
    def higher_is_better(self) -> bool:
        if self.greater_is_better is not None:
            return self.greater_is_better
        return greater_is_better(self.name)


class MetricGate(StrictModel):
    """A condition the candidate must meet to be registered (checked on the test set).

    ``threshold`` is absolute (``roc_auc >= 0.75``; ``rmse <= 10`` for lower-is-better
    metrics). ``min_improvement`` compares with the current ``champion`` on the same
    test rows, as a difference in the metric's own units in its better direction:
    ``0.0`` means "not worse than the champion", ``0.01`` "at least 0.01 better",
    ``-0.005`` tolerates a slightly worse candidate. Without a champion it passes.
    """

    metric: str
    threshold: float | None = None
    min_improvement: float | None = None
    greater_is_better: bool | None = Field(None, description=_DIRECTION_DEFAULT)

    @property
    def higher_is_better(self) -> bool:
        if self.greater_is_better is not None:
            return self.greater_is_better
        return greater_is_better(self.metric)

    @model_validator(mode="after")
    def _has_a_condition(self) -> MetricGate:
        if self.threshold is None and self.min_improvement is None:
            raise ValueError(
                f"gate on {self.metric!r}: give a threshold, a min_improvement or both"
            )
        return self


class IntParameter(StrictModel):
    type: Literal["int"]
    low: int
    high: int
    step: int = Field(1, ge=1)
    log: bool = False


class FloatParameter(StrictModel):
    """``type: log`` is shorthand for a float drawn on a log scale."""

    type: Literal["float", "log"]
    low: float
    high: float
    log: bool = False

    @property
    def log_scale(self) -> bool:
        return self.log or self.type == "log"


class CategoricalParameter(StrictModel):
    type: Literal["categorical"]
    choices: list[str | int | float | bool | None] = Field(min_length=1)


SearchParameter = Annotated[
    IntParameter | FloatParameter | CategoricalParameter, Field(discriminator="type")
]


class TuningConfig(StrictModel):
    """Optuna search: each trial a nested MLflow run, the best parameters retrained once."""

    n_trials: int = Field(ge=1)
    metric: str | None = Field(
        None, description="Validation metric to optimise; defaults to primary_metric."
    )
    direction: Literal["maximize", "minimize"] | None = Field(
        None, description=f"Defaults from the metric ({lower_is_better_text()}: minimize)."
    )
    search_space: dict[str, SearchParameter] = Field(min_length=1)
    timeout_seconds: float | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _ranges(self) -> TuningConfig:
        for name, parameter in self.search_space.items():
            if isinstance(parameter, IntParameter | FloatParameter):
                if parameter.low >= parameter.high:
                    raise ValueError(f"search_space.{name}: low must be below high")
                logged = (
                    parameter.log_scale if isinstance(parameter, FloatParameter) else parameter.log
                )
                if logged and parameter.low <= 0:
                    raise ValueError(f"search_space.{name}: a log scale needs low > 0")
        return self


DEFAULT_ESTIMATORS = {
    "classification": "sklearn.ensemble.RandomForestClassifier",
    "regression": "sklearn.ensemble.RandomForestRegressor",
}


def _model_type_or_none(raw: object) -> ModelType | None:
    if not isinstance(raw, str):
        return None
    try:
        return ModelType(raw)
    except ValueError:
        return None


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
    primary_metric: str = Field(
        DEFAULT_PRIMARY_METRIC["classification"],
        description="Metric that ranks the tuning trials (unless tuning.metric is set); always "
        "cross-validated and logged. Defaults from model_type: f1_score for classification, "
        "rmse for regression. Registration is decided by gates, not by this metric.",
    )
    experiment_name: str = Field(
        "", description="MLflow experiment; defaults to the registered model name."
    )
    run_name: str = ""
    registry_model_name: str = Field(
        validation_alias=AliasChoices("registry_model_name", "model_name"),
        description="Registered model name (`catalog.schema.model` in Unity Catalog).",
    )
    cross_validation_folds: int = Field(0, ge=0)
    stratify: bool = False
    sample_weight_column: str = ""
    estimator: str = Field(
        "",
        description="Import path of an estimator class or factory (`xgboost.XGBClassifier`, "
        "`my_pkg.models.build`); defaults to a random forest for the model type.",
    )
    seed: int = Field(42, description="Seeds the split, CV folds, tuning and the estimator.")
    max_training_rows: int = Field(
        1_000_000,
        ge=1,
        description="Rows collected to the single training node; a larger input is sampled.",
    )
    gates: list[MetricGate] = Field(default_factory=list)
    gate_mode: Literal["block", "dry_run"] = Field(
        "block",
        description="block: a failing candidate is not registered; dry_run: registered, verdict recorded.",
    )
    tuning: TuningConfig | None = None
    source_table: str | None = Field(
        None,
        description="Table of raw rows with the target (read by the train task); the model "
        "applies feature_table's stored fitted state to them, so it serves raw columns.",
    )
    feature_table: str | None = Field(
        None, description="Feature table to train from (its fitted state goes into the model)."
    )
    label_table: str | None = Field(
        None, description="Labels joined point-in-time to feature_table on its keys."
    )
    label_timestamp_column: str | None = Field(
        None,
        description="Label time for the point-in-time join; defaults to the feature timestamp.",
    )

    @field_validator("metrics", "primary_metric")
    @classmethod
    def _known_metric(cls, value: list[str] | str, info: ValidationInfo) -> list[str] | str:
        # Checked per field (not only in the after-validator) so a YAML error points at
        # the line of `metrics:` / `primary_metric:`; model_type is validated before them.
        model_type = info.data.get("model_type")
        if isinstance(model_type, ModelType):
            for name in [value] if isinstance(value, str) else value:
                check_metric("", name, model_type.value)
        return value

    @model_validator(mode="before")
    @classmethod
    def _defaults_from_other_fields(cls, data: Any) -> Any:
        # primary_metric and estimator default from model_type, experiment_name from the
        # model name: field defaults cannot express that. An unreadable model_type is left
        # to its own field error (the after-validator then does not run).
        if not isinstance(data, dict):
            return data
        data = dict(data)
        model_type = _model_type_or_none(data.get("model_type"))
        if data.get("primary_metric") is None:
            data.pop("primary_metric", None)
            if model_type is not None:
                data["primary_metric"] = DEFAULT_PRIMARY_METRIC[model_type.value]
        if data.get("estimator") is None and model_type is not None:
            data["estimator"] = DEFAULT_ESTIMATORS[model_type.value]
        if data.get("experiment_name") is None:
            model_name = data.get("registry_model_name", data.get("model_name"))
            if isinstance(model_name, str):
                data["experiment_name"] = model_name
        return data

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
        model_type = self.model_type.value
        for name in self.metrics:
            check_metric("metrics", name, model_type)
        check_metric("primary_metric", self.primary_metric, model_type)
        if self.target_column in self.feature_columns:
            raise ValueError(f"target_column {self.target_column!r} is also a feature column")
        for gate in self.gates:
            check_metric("gates", gate.metric, model_type)
        if self.tuning is not None and self.tuning.metric is not None:
            check_metric("tuning.metric", self.tuning.metric, model_type)
        if self.source_table and self.label_table:
            raise ValueError(
                "give source_table (raw rows; the model applies the feature state) or "
                "label_table (labels joined point-in-time to feature_table rows), not both"
            )
        if self.label_table and not self.feature_table:
            raise ValueError("label_table needs feature_table (labels are joined to it)")
        return self

    @property
    def model_input_columns(self) -> list[str]:
        """The columns the estimator sees: ``feature_columns`` then ``categorical_columns``."""
        return list(dict.fromkeys([*self.feature_columns, *self.categorical_columns]))

    @property
    def tuning_direction(self) -> Literal["maximize", "minimize"]:
        metric = self.tuning_metric
        if self.tuning is not None and self.tuning.direction is not None:
            return self.tuning.direction
        return "maximize" if greater_is_better(metric) else "minimize"

    @property
    def tuning_metric(self) -> str:
        if self.tuning is not None and self.tuning.metric is not None:
            return self.tuning.metric
        return self.primary_metric

    @property
    def known_metrics(self) -> tuple[str, ...]:
        return metric_names(self.model_type.value)
