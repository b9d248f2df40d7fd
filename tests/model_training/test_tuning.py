"""Optuna tuning: one nested MLflow run per trial, then one retrain on the best parameters."""

from __future__ import annotations

from collections.abc import Callable

import mlflow
import pandas as pd

from databricks_mlops.config.training import TrainingConfig
from databricks_mlops.feature_engineering import FittedFeatureState
from databricks_mlops.model_training import ModelTrainer


def test_five_trials_log_five_nested_runs_and_retrain_on_the_best(
    make_config: Callable[..., TrainingConfig],
    churn: pd.DataFrame,
    feature_state: FittedFeatureState,
) -> None:
    config = make_config(
        "churn_tuned",
        hyperparameters={"n_estimators": 10},
        tuning={
            "n_trials": 5,
            "search_space": {
                "max_depth": {"type": "int", "low": 2, "high": 6},
                "min_samples_leaf": {"type": "int", "low": 1, "high": 20, "log": True},
                "max_features": {"type": "categorical", "choices": ["sqrt", "log2", None]},
                "min_impurity_decrease": {"type": "log", "low": 1e-6, "high": 1e-2},
            },
        },
    )
    run = ModelTrainer(config, log_plots=False).train_from_frame(churn, feature_state)

    trials = mlflow.search_runs(
        experiment_names=["/tests/churn_tuned"],
        filter_string=f"tags.mlflow.parentRunId = '{run.run_id}'",
    )
    assert len(trials) == 5
    assert trials["metrics.validation_roc_auc"].notna().all()
    assert run.best_params is not None
    assert set(run.best_params) == {
        "max_depth",
        "min_samples_leaf",
        "max_features",
        "min_impurity_decrease",
    }
    params = mlflow.get_run(run.run_id).data.params
    assert params["best.max_depth"] == str(run.best_params["max_depth"])
    assert run.estimator.get_params()["max_depth"] == run.best_params["max_depth"]
    # The final model is the retrained one, with the best parameters.
    assert run.estimator.n_features_in_ == len(config.model_input_columns)
    assert len(run.estimator.estimators_) == 10
