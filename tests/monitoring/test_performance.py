"""Performance metrics in Spark agree with scikit-learn; thresholds and baselines breach."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from pyspark.sql import SparkSession
from sklearn.metrics import (  # type: ignore[import-untyped]
    accuracy_score,
    f1_score,
    log_loss,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    precision_score,
    r2_score,
    recall_score,
    roc_auc_score,
)

from databricks_mlops.monitoring.performance import (
    MetricCheck,
    PerformanceError,
    baseline_checks,
    baseline_metrics,
    champion_run_id,
    classification_metrics,
    regression_metrics,
    threshold_checks,
)


def scored_frame(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    label = rng.integers(0, 2, rows)
    probability = np.clip(0.35 * label + rng.uniform(0, 0.65, rows), 0, 1)
    frame = pd.DataFrame(
        {"churn": label, "probability": probability, "prediction": (probability > 0.5) * 1.0}
    )
    frame.loc[: rows // 10, "churn"] = None  # labels not arrived yet for some rows
    return frame


def test_classification_metrics_match_sklearn(spark: SparkSession) -> None:
    frame = scored_frame(20_000, 3)
    rows, metrics, bound = classification_metrics(
        spark.createDataFrame(frame),
        label="churn",
        prediction="prediction",
        probability="probability",
        bins=1000,
    )
    labelled = frame.dropna(subset=["churn"])
    y, p = labelled.churn.astype(int), labelled.prediction.astype(int)
    assert rows == len(labelled)
    assert metrics["accuracy"] == pytest.approx(accuracy_score(y, p), abs=1e-12)
    assert metrics["precision"] == pytest.approx(precision_score(y, p), abs=1e-12)
    assert metrics["recall"] == pytest.approx(recall_score(y, p), abs=1e-12)
    assert metrics["f1_score"] == pytest.approx(f1_score(y, p), abs=1e-12)
    exact = roc_auc_score(y, labelled.probability)
    assert bound is not None and bound < 0.002
    assert abs(metrics["roc_auc"] - exact) <= bound + 1e-12


def test_coarse_bins_stay_within_their_stated_bound(spark: SparkSession) -> None:
    frame = scored_frame(5_000, 8)
    _, metrics, bound = classification_metrics(
        spark.createDataFrame(frame),
        label="churn",
        prediction="prediction",
        probability="probability",
        bins=10,
    )
    labelled = frame.dropna(subset=["churn"])
    exact = roc_auc_score(labelled.churn.astype(int), labelled.probability)
    assert bound is not None and bound > 0.01  # coarse bins: a real error budget
    assert abs(metrics["roc_auc"] - exact) <= bound


def test_no_labelled_rows_gives_no_metrics(spark: SparkSession) -> None:
    frame = spark.createDataFrame(
        pd.DataFrame({"churn": [None, None], "prediction": [1.0, 0.0]}).astype({"churn": "float64"})
    )
    assert classification_metrics(frame, label="churn", prediction="prediction") == (0, {}, None)


def test_one_class_leaves_roc_auc_undefined(spark: SparkSession) -> None:
    frame = spark.createDataFrame(
        pd.DataFrame({"y": [1, 1, 1], "p": [1.0, 0.0, 1.0], "s": [0.9, 0.2, 0.7]})
    )
    _, metrics, _ = classification_metrics(frame, label="y", prediction="p", probability="s")
    assert math.isnan(metrics["roc_auc"])
    assert metrics["accuracy"] == pytest.approx(2 / 3)


def test_missing_label_column_names_the_columns(spark: SparkSession) -> None:
    frame = spark.createDataFrame(pd.DataFrame({"prediction": [1.0]}))
    with pytest.raises(PerformanceError, match=r"lacks columns \['churn'\].*label_column"):
        classification_metrics(frame, label="churn", prediction="prediction")


def test_multiclass_labels_are_rejected(spark: SparkSession) -> None:
    frame = spark.createDataFrame(pd.DataFrame({"y": [0, 1, 2], "p": [0.0, 1.0, 2.0]}))
    with pytest.raises(PerformanceError, match="holds 3 classes"):
        classification_metrics(frame, label="y", prediction="p")


def test_regression_metrics_match_sklearn(spark: SparkSession) -> None:
    rng = np.random.default_rng(5)
    y = rng.normal(50, 10, 3000)
    frame = pd.DataFrame({"y": y, "yhat": y + rng.normal(0, 3, 3000)})
    rows, metrics = regression_metrics(spark.createDataFrame(frame), label="y", prediction="yhat")
    assert rows == 3000
    assert metrics["rmse"] == pytest.approx(math.sqrt(mean_squared_error(frame.y, frame.yhat)))
    assert metrics["mae"] == pytest.approx(mean_absolute_error(frame.y, frame.yhat))
    assert metrics["r2"] == pytest.approx(r2_score(frame.y, frame.yhat))


def test_log_loss_matches_sklearn(spark: SparkSession) -> None:
    frame = scored_frame(5_000, 11)
    _, metrics, _ = classification_metrics(
        spark.createDataFrame(frame),
        label="churn",
        prediction="prediction",
        probability="probability",
    )
    labelled = frame.dropna(subset=["churn"])
    expected = log_loss(labelled.churn.astype(int), labelled.probability, labels=[0, 1])
    assert metrics["log_loss"] == pytest.approx(expected, rel=1e-9)


def test_mape_matches_sklearn_and_is_undefined_with_a_zero_label(spark: SparkSession) -> None:
    rng = np.random.default_rng(8)
    y = rng.normal(50, 10, 2000)
    frame = pd.DataFrame({"y": y, "yhat": y + rng.normal(0, 3, 2000)})
    _, metrics = regression_metrics(spark.createDataFrame(frame), label="y", prediction="yhat")
    assert metrics["mape"] == pytest.approx(mean_absolute_percentage_error(frame.y, frame.yhat))
    zero = pd.DataFrame({"y": [0.0, 2.0], "yhat": [1.0, 2.0]})
    _, metrics = regression_metrics(spark.createDataFrame(zero), label="y", prediction="yhat")
    assert math.isnan(metrics["mape"])  # as in training: a relative error of 0 is undefined


def test_threshold_breach_is_below_for_scores_and_above_for_errors() -> None:
    checks = threshold_checks(
        {"accuracy": 0.62, "recall": 0.9, "rmse": 4.0},
        {"accuracy": 0.8, "recall": 0.5, "rmse": 3.0, "drift_score": 0.1},
    )
    breached = {c.metric: c.direction for c in checks if c.breached}
    assert breached == {"accuracy": "below", "rmse": "above"}
    assert "minimum 0.8000" in next(c for c in checks if c.metric == "accuracy").describe()


def test_baseline_drop_beyond_tolerance_is_a_breach() -> None:
    checks = baseline_checks(
        {"accuracy": 0.80, "f1_score": 0.70}, {"accuracy": 0.84, "f1_score": 0.80}, 0.05
    )
    assert [(c.metric, c.breached) for c in checks] == [("accuracy", False), ("f1_score", True)]
    assert checks[1].limit == pytest.approx(0.75)
    assert not MetricCheck("roc_auc", math.nan, 0.7, "threshold", "below").breached


def test_baseline_comes_from_the_champion_run(churn_champion: tuple[str, str]) -> None:
    name, _ = churn_champion
    run_id = champion_run_id(name, "champion")
    assert run_id is not None
    baseline = baseline_metrics(run_id, ["accuracy", "roc_auc", "not_logged"])
    assert set(baseline) == {"accuracy", "roc_auc"}
    assert 0.5 < baseline["accuracy"] <= 1.0
    assert champion_run_id("main.serving.no_such_model", "champion") is None


def test_unknown_baseline_run_is_a_clear_error(runtime: object) -> None:
    with pytest.raises(PerformanceError, match="baseline metrics of MLflow run 'f00'"):
        baseline_metrics("f00", ["accuracy"])
