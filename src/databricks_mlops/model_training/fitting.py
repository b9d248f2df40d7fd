"""Fitting and measuring: optional CV, fit on train, metrics on validation and test."""

from __future__ import annotations

from typing import Any

from databricks_mlops.config.training import TrainingConfig
from databricks_mlops.model_training import data as training_data
from databricks_mlops.model_training.estimators import fit_estimator
from databricks_mlops.model_training.metrics import estimator_metrics


def fit_and_measure(
    config: TrainingConfig,
    estimator: Any,
    splits: training_data.DataSplits,
    *,
    refit_with_validation: bool,
) -> dict[str, float]:
    """Fit ``estimator`` in place; ``cv_*``, ``validation_*`` and ``test_*`` metrics.

    With ``refit_with_validation`` (after tuning) the validation metrics are measured
    first, then the estimator is refitted on train + validation before the test set.
    """
    metrics: dict[str, float] = {}
    if config.cross_validation_folds:
        from databricks_mlops.model_training.cross_validation import cross_validation_metrics

        metrics |= cross_validation_metrics(config, estimator, splits.train)
    train = splits.train
    fit_estimator(estimator, train.features, train.target, train.weights)
    if splits.validation is not None:
        validation = estimator_metrics(
            config.model_type, estimator, splits.validation.features, splits.validation.target
        )
        metrics |= {f"validation_{k}": v for k, v in validation.items()}
        if refit_with_validation:
            # Tuned: the validation rows chose the parameters; now they train too.
            import pandas as pd

            both = pd.concat([train.features, splits.validation.features], ignore_index=True)
            target = pd.concat([train.target, splits.validation.target], ignore_index=True)
            weights = None
            if train.weights is not None and splits.validation.weights is not None:
                weights = pd.concat([train.weights, splits.validation.weights], ignore_index=True)
            fit_estimator(estimator, both, target, weights)
    test = estimator_metrics(config.model_type, estimator, splits.test.features, splits.test.target)
    metrics |= {f"test_{k}": v for k, v in test.items()}
    return metrics


def concat_splits(parts: list[training_data.DataSplit]) -> training_data.DataSplit:
    import pandas as pd

    weights = [p.weights for p in parts if p.weights is not None]
    return training_data.DataSplit(
        raw=pd.concat([p.raw for p in parts], ignore_index=True),
        features=pd.concat([p.features for p in parts], ignore_index=True),
        target=pd.concat([p.target for p in parts], ignore_index=True),
        weights=pd.concat(weights, ignore_index=True) if len(weights) == len(parts) else None,
    )
