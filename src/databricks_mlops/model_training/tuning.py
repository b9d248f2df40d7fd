"""Hyperparameter search with Optuna: each trial a nested MLflow run, scored on the
validation split (or by cross-validation when there is none)."""

from __future__ import annotations

import logging
import math
from typing import Any

from databricks_mlops.config.training import (
    CategoricalParameter,
    FloatParameter,
    IntParameter,
    TrainingConfig,
)
from databricks_mlops.model_training.data import DataSplits
from databricks_mlops.model_training.errors import TrainingError
from databricks_mlops.model_training.estimators import fit_estimator, set_estimator_params
from databricks_mlops.model_training.metrics import estimator_metrics

logger = logging.getLogger(__name__)


def tune(config: TrainingConfig, estimator: Any, splits: DataSplits) -> dict[str, Any]:
    """Run ``config.tuning.n_trials`` trials inside the active MLflow run; return the
    best parameters (also logged as ``best.<name>`` params on the parent run)."""
    import mlflow
    import optuna
    from sklearn.base import clone  # type: ignore[import-untyped]

    tuning = config.tuning
    if tuning is None:
        raise TrainingError("tune() called without a tuning section in the config")
    metric = config.tuning_metric
    if splits.validation is None and not config.cross_validation_folds:
        raise TrainingError(
            "tuning needs a validation split (three split_ratios) or cross_validation_folds"
        )

    def objective(trial: optuna.Trial) -> float:
        params = {name: _suggest(trial, name, p) for name, p in tuning.search_space.items()}
        candidate = set_estimator_params(clone(estimator), params)
        with mlflow.start_run(run_name=f"trial-{trial.number}", nested=True):
            mlflow.log_params({f"hp.{k}": str(v) for k, v in params.items()})
            if splits.validation is not None:
                fit_estimator(
                    candidate, splits.train.features, splits.train.target, splits.train.weights
                )
                scores = estimator_metrics(
                    config.model_type,
                    candidate,
                    splits.validation.features,
                    splits.validation.target,
                )
                value = scores[metric]
            else:
                from databricks_mlops.model_training.cross_validation import (
                    cross_validation_metrics,
                )

                value = cross_validation_metrics(config, candidate, splits.train)[
                    f"cv_{metric}_mean"
                ]
            if not math.isnan(value):
                mlflow.log_metric(f"validation_{metric}", value)
        return value

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        direction=config.tuning_direction,
        sampler=optuna.samplers.TPESampler(seed=config.seed),
    )
    study.optimize(objective, n_trials=tuning.n_trials, timeout=tuning.timeout_seconds)
    best = dict(study.best_params)
    mlflow.log_params({f"best.{k}": str(v) for k, v in best.items()})
    mlflow.log_metric(f"best_validation_{metric}", float(study.best_value))
    logger.info("tuning: best %s %.4f with %s", metric, study.best_value, best)
    return best


def _suggest(trial: Any, name: str, parameter: Any) -> Any:
    if isinstance(parameter, IntParameter):
        return trial.suggest_int(
            name, parameter.low, parameter.high, step=parameter.step, log=parameter.log
        )
    if isinstance(parameter, FloatParameter):
        return trial.suggest_float(name, parameter.low, parameter.high, log=parameter.log_scale)
    if isinstance(parameter, CategoricalParameter):
        return trial.suggest_categorical(name, parameter.choices)
    raise TrainingError(f"search_space.{name}: unsupported parameter {parameter!r}")
