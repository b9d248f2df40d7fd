"""Train -> log -> evaluate -> register on the churn sample, against local sqlite MLflow."""

from __future__ import annotations

import json
from collections.abc import Callable

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient
from pyspark.sql import SparkSession

from databricks_mlops.config.training import TrainingConfig
from databricks_mlops.feature_engineering import FeatureTransformer, FittedFeatureState
from databricks_mlops.model_training import (
    EvaluationGateError,
    ModelTrainer,
    RegistryError,
    TrainingRun,
    alias_for_stage,
)
from databricks_mlops.runtime import Runtime

from .conftest import FEATURES


@pytest.fixture(scope="module")
def registered(
    runtime: Runtime, churn: pd.DataFrame, feature_state: FittedFeatureState
) -> tuple[ModelTrainer, TrainingRun]:
    config = TrainingConfig.model_validate(
        {
            "model_type": "classification",
            "target_column": "churn",
            "feature_columns": FEATURES,
            "registry_model_name": "churn_model",
            "run_name": "first",
            "hyperparameters": {"n_estimators": 20, "max_depth": 5},
            "stratify": True,
            "cross_validation_folds": 3,
            "gates": [{"metric": "roc_auc", "threshold": 0.7, "min_improvement": -0.05}],
        }
    )
    trainer = ModelTrainer(config, runtime=runtime)
    run = trainer.run(churn, feature_state, feature_table_version=3)
    return trainer, run


def test_metrics_are_sane_on_churn(registered: tuple[ModelTrainer, TrainingRun]) -> None:
    _, run = registered
    assert run.metrics["test_roc_auc"] > 0.7
    assert run.metrics["validation_roc_auc"] > 0.7
    assert 0.5 < run.metrics["test_accuracy"] <= 1
    assert run.metrics["cv_f1_score_mean"] > 0
    assert run.row_counts == {
        "input_rows": 1200,
        "train_rows": 840,
        "validation_rows": 180,
        "test_rows": 180,
    }
    logged = MlflowClient().get_run(run.run_id).data
    assert logged.metrics["test_roc_auc"] == pytest.approx(run.metrics["test_roc_auc"])
    assert logged.params["hp.n_estimators"] == "20"
    assert logged.tags["mlops.feature_table"] == "main.churn.customer_features"
    assert logged.tags["mlops.feature_table_version"] == "3"
    assert logged.tags["mlops.rows.train_rows"] == "840"
    assert len(logged.tags["mlops.config_hash"]) == 16
    assert logged.tags["gate.verdict"] == "passed"


def test_plots_are_logged(registered: tuple[ModelTrainer, TrainingRun]) -> None:
    _, run = registered
    names = {a.path for a in MlflowClient().list_artifacts(run.run_id, "plots")}
    assert names == {
        "plots/confusion_matrix.png",
        "plots/roc_curve.png",
        "plots/precision_recall_curve.png",
        "plots/feature_importances.png",
    }


def test_challenger_on_raw_rows_matches_spark_transform_then_estimator(
    registered: tuple[ModelTrainer, TrainingRun],
    spark: SparkSession,
    churn: pd.DataFrame,
    feature_state: FittedFeatureState,
) -> None:
    _, run = registered
    raw = churn.drop(columns=["churn"]).head(200)
    loaded = mlflow.pyfunc.load_model("models:/churn_model@challenger")
    served = loaded.predict(raw)

    transformed = FeatureTransformer.from_state(feature_state).transform(spark.createDataFrame(raw))
    batch = transformed.toPandas().set_index("customer_id").loc[raw["customer_id"], FEATURES]
    expected_class = run.estimator.predict(batch.reset_index(drop=True))
    expected_probability = run.estimator.predict_proba(batch.reset_index(drop=True))[:, 1]

    assert list(served.columns) == ["prediction", "probability"]
    np.testing.assert_array_equal(served["prediction"].to_numpy(), expected_class)
    np.testing.assert_allclose(served["probability"].to_numpy(), expected_probability)


def test_version_has_alias_and_verdict(registered: tuple[ModelTrainer, TrainingRun]) -> None:
    _, run = registered
    assert run.model_version is not None
    version = MlflowClient().get_model_version("churn_model", run.model_version.version)
    assert version.aliases == ["challenger"]
    assert version.tags["gate.verdict"] == "passed"
    assert version.tags["mlops.run_id"] == run.run_id
    assert version.tags["gate.champion_metrics"] == "none (no champion)"
    assert "Evaluation gates PASSED" in str(version.description)


def test_impossible_gate_blocks_registration(
    registered: tuple[ModelTrainer, TrainingRun],
    make_config: Callable[..., TrainingConfig],
    churn: pd.DataFrame,
    feature_state: FittedFeatureState,
) -> None:
    config = make_config("churn_model", gates=[{"metric": "roc_auc", "threshold": 0.999}])
    trainer = ModelTrainer(config)
    before = MlflowClient().search_model_versions("name='churn_model'")
    run = trainer.train_from_frame(churn, feature_state)
    with pytest.raises(
        EvaluationGateError,
        match=r"failed its evaluation gates and was not registered: roc_auc FAILED: "
        r"value 0\.\d{4}, needs >= 0\.9990 \(threshold\)",
    ):
        trainer.register(run)
    assert len(MlflowClient().search_model_versions("name='churn_model'")) == len(before)
    assert MlflowClient().get_run(run.run_id).data.tags["gate.verdict"] == "failed"


def test_dry_run_registers_with_failed_verdict(
    make_config: Callable[..., TrainingConfig],
    churn: pd.DataFrame,
    feature_state: FittedFeatureState,
) -> None:
    config = make_config(
        "churn_dry_run",
        gates=[{"metric": "log_loss", "threshold": 0.0001}],
        gate_mode="dry_run",
    )
    run = ModelTrainer(config).run(churn, feature_state)
    assert run.verdict is not None and not run.verdict.passed
    assert run.model_version is not None
    assert run.model_version.tags["gate.verdict"] == "failed"
    assert "log_loss FAILED" in run.model_version.tags["gate.reason"]
    assert run.model_version.aliases == ["challenger"]


def test_second_run_is_compared_with_the_champion(
    registered: tuple[ModelTrainer, TrainingRun],
    make_config: Callable[..., TrainingConfig],
    churn: pd.DataFrame,
    feature_state: FittedFeatureState,
) -> None:
    _, first = registered
    assert first.model_version is not None
    MlflowClient().set_registered_model_alias(
        "churn_model", "champion", first.model_version.version
    )
    config = make_config(
        "churn_model",
        hyperparameters={"n_estimators": 15, "max_depth": 4},
        gates=[{"metric": "roc_auc", "min_improvement": -1.0}],
    )
    second = ModelTrainer(config).run(churn, feature_state)
    assert second.model_version is not None
    tags = second.model_version.tags
    assert tags["gate.verdict"] == "passed"
    assert tags["gate.champion_version"] == str(first.model_version.version)
    champion = json.loads(tags["gate.champion_metrics"])
    # Same test rows (same seed and split) scored by the champion's logged model.
    assert champion["roc_auc"] == pytest.approx(first.metrics["test_roc_auc"], abs=1e-6)
    assert "champion-relative threshold" in tags["gate.reason"]
    logged = MlflowClient().get_run(second.run_id).data.metrics
    assert logged["champion_test_roc_auc"] == pytest.approx(champion["roc_auc"], abs=1e-6)


@pytest.mark.parametrize(
    ("stage", "alias"),
    [("Staging", "challenger"), ("production", "champion"), ("champion", "champion")],
)
def test_stages_map_to_aliases(stage: str, alias: str) -> None:
    assert alias_for_stage(stage) == alias


def test_unknown_stage() -> None:
    with pytest.raises(RegistryError, match=r"unknown stage 'Archived'; stages map to aliases"):
        alias_for_stage("Archived")


def test_seed_api_train_and_register_model(runtime: Runtime, churn: pd.DataFrame) -> None:
    from sklearn.ensemble import RandomForestClassifier  # type: ignore[import-untyped]

    config = TrainingConfig(  # type: ignore[call-arg]
        model_type="classification",
        model_name="churn_seed_api",
        target_column="churn",
        feature_columns=["tenure", "monthly_charges", "total_charges"],
        categorical_columns=["contract_type", "payment_method"],
        primary_metric="f1_score",
        additional_metrics=["accuracy", "precision", "recall"],
        hyperparameters={"n_estimators": 10, "max_depth": 5, "min_samples_split": 5},
    )
    train_df, val_df = churn.iloc[:900], churn.iloc[900:]
    trainer = ModelTrainer(config=config)
    model, metrics = trainer.train(
        train_data=train_df, validation_data=val_df, model_instance=RandomForestClassifier()
    )
    assert model.get_params()["estimator__n_estimators"] == 10
    assert 0 < metrics["f1_score"] < 1
    model_uri = trainer.register_model(model=model, stage="Staging")
    assert model_uri == "models:/churn_seed_api/1"
    served = mlflow.pyfunc.load_model("models:/churn_seed_api@challenger").predict(val_df.head(5))
    assert list(served.columns) == ["prediction", "probability"]
