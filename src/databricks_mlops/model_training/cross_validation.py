"""K-fold cross-validation on the training split (seeded, stratified for classifiers)."""

from __future__ import annotations

from typing import Any

from databricks_mlops.config.metrics import METRICS
from databricks_mlops.config.training import ModelType, TrainingConfig
from databricks_mlops.model_training.data import DataSplit
from databricks_mlops.model_training.errors import TrainingError


def cross_validation_metrics(
    config: TrainingConfig, estimator: Any, train: DataSplit
) -> dict[str, float]:
    """``cv_<metric>_mean`` / ``_std`` for the primary metric and ``metrics``."""
    from sklearn.base import clone  # type: ignore[import-untyped]
    from sklearn.model_selection import KFold, StratifiedKFold, cross_validate  # type: ignore[import-untyped]

    names = list(dict.fromkeys([config.primary_metric, *config.metrics]))
    classification = config.model_type is ModelType.CLASSIFICATION
    multiclass = classification and train.target.nunique() > 2
    scoring = {}
    for name in names:
        # The scorer names come from the metric catalogue, as the config's checks do.
        spec = METRICS[name]
        scoring[name] = (spec.multiclass_scorer if multiclass else None) or spec.sklearn_scorer
    folds = config.cross_validation_folds
    splitter = (
        StratifiedKFold(folds, shuffle=True, random_state=config.seed)
        if classification
        else KFold(folds, shuffle=True, random_state=config.seed)
    )
    params: dict[str, Any] = {}
    if train.weights is not None:
        params["sample_weight"] = train.weights
    try:
        scores = cross_validate(
            clone(estimator),
            train.features,
            train.target,
            cv=splitter,
            scoring=scoring,
            params=params or None,
            error_score="raise",
        )
    except ValueError as exc:
        raise TrainingError(f"Failed to cross-validate with {folds} folds: {exc}") from exc
    result: dict[str, float] = {}
    for name, scorer in scoring.items():
        values = scores[f"test_{name}"]
        if scorer.startswith("neg_"):
            values = -values
        result[f"cv_{name}_mean"] = float(values.mean())
        result[f"cv_{name}_std"] = float(values.std())
    return result
