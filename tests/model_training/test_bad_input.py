"""Bad estimators, parameters and data fail with a clear error before any MLflow run."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import mlflow
import pandas as pd
import pytest
from pydantic import ValidationError

from databricks_mlops.config.training import TrainingConfig
from databricks_mlops.feature_engineering import FittedFeatureState
from databricks_mlops.model_training import ModelTrainer, TrainingError
from databricks_mlops.runtime import Runtime


def run_count() -> int:
    return len(mlflow.search_runs(search_all_experiments=True))


@pytest.fixture
def no_new_runs(runtime: Runtime) -> Iterator[None]:
    runtime.configure_mlflow()
    before = run_count()
    yield
    assert run_count() == before


@pytest.mark.usefixtures("no_new_runs")
@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"estimator": "sklearn.ensemble.RandomForestClasifier"},
            r"has no 'RandomForestClasifier' \(did you mean 'RandomForestClassifier'\?\)",
        ),
        (
            {"estimator": "sklearn.ensembl.RandomForestClassifier"},
            r"cannot import module 'sklearn.ensembl' \(did you mean 'sklearn.ensemble'\?\)",
        ),
        ({"estimator": "RandomForest"}, r"is not an import path"),
        (
            {"hyperparameters": {"n_estimator": 5}},
            r"hyperparameter 'n_estimator' is not accepted by sklearn.ensemble."
            r"RandomForestClassifier \(did you mean 'n_estimators'\?\)",
        ),
        (
            {
                "tuning": {
                    "n_trials": 2,
                    "search_space": {"depth": {"type": "int", "low": 2, "high": 4}},
                }
            },
            r"tuning.search_space parameter 'depth' is not accepted",
        ),
        (
            {"target_column": "churned"},
            r"target column 'churned' is not in the training data \(did you mean 'churn'\?\)",
        ),
        (
            {"feature_columns": ["tenure", "contract_monthy"]},
            r"feature column 'contract_monthy' is not in the training data after the feature "
            r"transforms \(did you mean 'contract_monthly'\?\)",
        ),
    ],
)
def test_bad_config_fails_before_any_run(
    make_config: Callable[..., TrainingConfig],
    churn: pd.DataFrame,
    feature_state: FittedFeatureState,
    overrides: dict[str, object],
    message: str,
) -> None:
    trainer = ModelTrainer(make_config("bad_input", **overrides))
    with pytest.raises(TrainingError, match=message):
        trainer.train_from_frame(churn, feature_state)


@pytest.mark.usefixtures("no_new_runs")
def test_single_class_target_fails_before_any_run(
    make_config: Callable[..., TrainingConfig],
    churn: pd.DataFrame,
    feature_state: FittedFeatureState,
) -> None:
    only_stayers = churn[churn["churn"] == 0]
    with pytest.raises(TrainingError, match=r"target column 'churn' has a single class \(0\)"):
        ModelTrainer(make_config("bad_input")).train_from_frame(only_stayers, feature_state)


@pytest.mark.usefixtures("no_new_runs")
def test_missing_target_values_fail_before_any_run(
    make_config: Callable[..., TrainingConfig],
    churn: pd.DataFrame,
    feature_state: FittedFeatureState,
) -> None:
    with_gaps = churn.assign(churn=churn["churn"].astype("float64"))
    with_gaps.loc[:2, "churn"] = None
    with pytest.raises(TrainingError, match=r"target column 'churn' is missing in 3 of"):
        ModelTrainer(make_config("bad_input")).train_from_frame(with_gaps, feature_state)


def test_split_ratios_must_sum_to_one(make_config: Callable[..., TrainingConfig]) -> None:
    with pytest.raises(ValidationError, match=r"split_ratios must sum to 1, got 0\.9"):
        make_config("bad_input", split_ratios=[0.6, 0.15, 0.15])


def test_gate_on_unknown_metric(make_config: Callable[..., TrainingConfig]) -> None:
    with pytest.raises(ValidationError, match=r"gates: unknown classification metric 'auc'"):
        make_config("bad_input", gates=[{"metric": "auc", "threshold": 0.5}])


def test_gate_needs_a_condition(make_config: Callable[..., TrainingConfig]) -> None:
    with pytest.raises(ValidationError, match=r"give a threshold, a min_improvement or both"):
        make_config("bad_input", gates=[{"metric": "roc_auc"}])
