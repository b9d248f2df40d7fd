"""The one catalogue of model metrics: name, direction, scikit-learn scorer, model type.

Training configs (metrics, gates, tuning), cross-validation, the training/evaluation
computations and monitoring's Spark performance all read this table, so a metric one of
them knows is a metric all of them know, with the same direction. Adding a metric means
a row here plus its computation in ``model_training/metrics.py`` and
``monitoring/performance.py``; ``tests/config/test_metrics.py`` fails until all agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from databricks_mlops.errors import did_you_mean

ModelTypeName = Literal["classification", "regression"]
MODEL_TYPES: tuple[ModelTypeName, ...] = ("classification", "regression")


@dataclass(frozen=True)
class MetricSpec:
    """One metric. ``sklearn_scorer`` is the scorer name for binary classification or
    regression (``neg_*`` scorers are negated back by cross-validation);
    ``multiclass_scorer`` replaces it when the target has more than two classes."""

    name: str
    model_type: ModelTypeName
    greater_is_better: bool
    sklearn_scorer: str
    multiclass_scorer: str | None = None
    needs_probabilities: bool = False
    """Computed from the positive-class probability (NaN / skipped without one)."""

    @property
    def direction(self) -> Literal["maximize", "minimize"]:
        return "maximize" if self.greater_is_better else "minimize"


_SPECS = (
    MetricSpec("accuracy", "classification", True, "accuracy"),
    MetricSpec("precision", "classification", True, "precision", "precision_weighted"),
    MetricSpec("recall", "classification", True, "recall", "recall_weighted"),
    MetricSpec("f1_score", "classification", True, "f1", "f1_weighted"),
    MetricSpec("roc_auc", "classification", True, "roc_auc", "roc_auc_ovr", True),
    MetricSpec("log_loss", "classification", False, "neg_log_loss", None, True),
    MetricSpec("rmse", "regression", False, "neg_root_mean_squared_error"),
    MetricSpec("mae", "regression", False, "neg_mean_absolute_error"),
    MetricSpec("r2", "regression", True, "r2"),
    MetricSpec("mape", "regression", False, "neg_mean_absolute_percentage_error"),
)

METRICS: Mapping[str, MetricSpec] = MappingProxyType({spec.name: spec for spec in _SPECS})

# The metric that ranks tuning trials when neither primary_metric nor tuning.metric is set.
DEFAULT_PRIMARY_METRIC: Mapping[ModelTypeName, str] = MappingProxyType(
    {"classification": "f1_score", "regression": "rmse"}
)

# Metric names of the documented monitoring example -> the catalogue's name.
METRIC_ALIASES: Mapping[str, str] = MappingProxyType(
    {"model_accuracy": "accuracy", "f1": "f1_score"}
)

LOWER_IS_BETTER = frozenset(spec.name for spec in _SPECS if not spec.greater_is_better)


def metric_names(model_type: str) -> tuple[str, ...]:
    """The metrics of ``model_type`` (``classification`` / ``regression``), in table order."""
    return tuple(spec.name for spec in _SPECS if spec.model_type == model_type)


def greater_is_better(name: str) -> bool:
    """The metric's direction; a name outside the catalogue counts as higher-is-better."""
    spec = METRICS.get(name)
    return True if spec is None else spec.greater_is_better


def check_metric(where: str, name: str, model_type: str) -> None:
    """``ValueError`` naming ``where`` (leave it empty in a field validator: the error's
    location names the field), with "did you mean" and the known names, unless ``name``
    is a metric of ``model_type``."""
    known = metric_names(model_type)
    if name not in known:
        alias = METRIC_ALIASES.get(name)
        hint = f" (did you mean {alias!r}?)" if alias in known else did_you_mean(name, known)
        raise ValueError(
            f"{where + ': ' if where else ''}unknown {model_type} metric {name!r}{hint}; "
            f"known: {', '.join(known)}"
        )


def lower_is_better_text() -> str:
    """``"log_loss, rmse, mae, mape"``: for field descriptions."""
    return ", ".join(spec.name for spec in _SPECS if not spec.greater_is_better)
