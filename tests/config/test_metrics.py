"""One metric catalogue: every reader (training config, cross-validation, the training
metrics, monitoring's Spark performance) knows the same metrics, in the same direction."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError
from pyspark.sql import SparkSession
from sklearn.metrics import get_scorer  # type: ignore[import-untyped]

from databricks_mlops.config.metrics import METRICS, MODEL_TYPES, metric_names
from databricks_mlops.config.monitoring import MonitoringConfig
from databricks_mlops.config.training import MetricGate, TrainingConfig, TuningConfig
from databricks_mlops.errors import ConfigError
from databricks_mlops.model_training import metrics as training_metrics
from databricks_mlops.monitoring import StatusMetrics, performance


def training_config(model_type: str, **extra: Any) -> TrainingConfig:
    return TrainingConfig(
        model_type=model_type,
        target_column="y",
        feature_columns=["a"],
        registry_model_name="main.m.model",
        **extra,
    )


def spark_performance_names(spark: SparkSession, model_type: str) -> set[str]:
    if model_type == "regression":
        frame = pd.DataFrame({"y": [1.0, 2.0, 4.0], "p": [1.5, 2.0, 3.0]})
        _, computed = performance.regression_metrics(
            spark.createDataFrame(frame), label="y", prediction="p"
        )
        return set(computed)
    frame = pd.DataFrame({"y": [0, 1, 1, 0], "p": [0.0, 1.0, 0.0, 0.0], "s": [0.2, 0.9, 0.4, 0.1]})
    _, computed, _ = performance.classification_metrics(
        spark.createDataFrame(frame), label="y", prediction="p", probability="s"
    )
    return set(computed)


def training_computation_names(model_type: str) -> set[str]:
    if model_type == "regression":
        return set(training_metrics.regression_metrics([1.0, 2.0, 4.0], [1.5, 2.0, 3.0]))
    scores = np.array([0.2, 0.9, 0.4, 0.1])
    return set(
        training_metrics.classification_metrics(
            np.array([0, 1, 1, 0]), np.array([0, 1, 0, 0]), scores, [0, 1]
        )
    )


@pytest.mark.parametrize("model_type", MODEL_TYPES)
def test_every_reader_knows_the_same_metrics(spark: SparkSession, model_type: str) -> None:
    # Before the catalogue, monitoring knew neither log_loss nor mape, which training
    # accepted, cross-validated and gated on.
    names = set(metric_names(model_type))
    config = training_config(model_type, metrics=sorted(names))
    assert set(config.known_metrics) == names
    assert set(config.metrics) == names
    assert training_computation_names(model_type) == names
    assert spark_performance_names(spark, model_type) == names
    monitoring = MonitoringConfig(metrics=["feature_drift"], model_type=model_type)  # type: ignore[arg-type]
    assert set(monitoring.performance_metrics) == names
    assert names <= set(StatusMetrics.model_fields)  # ModelMonitor.get_monitoring_status
    for name in names:
        # Every name is something cross-validation can score (binary and multiclass).
        assert get_scorer(METRICS[name].sklearn_scorer) is not None
        if METRICS[name].multiclass_scorer:
            assert get_scorer(METRICS[name].multiclass_scorer) is not None


@pytest.mark.parametrize("name", sorted(METRICS))
def test_every_reader_ranks_a_metric_in_the_same_direction(name: str) -> None:
    spec = METRICS[name]
    higher = spec.greater_is_better
    tuned = training_config(
        spec.model_type,
        tuning=TuningConfig(
            n_trials=1,
            metric=name,
            search_space={"max_depth": {"type": "int", "low": 1, "high": 3}},  # type: ignore[dict-item]
        ),
    )
    assert tuned.tuning_direction == ("maximize" if higher else "minimize")
    assert MetricGate(metric=name, threshold=0.5).higher_is_better is higher
    # Cross-validation negates sklearn's neg_* scorers back: they are the error metrics.
    assert spec.sklearn_scorer.startswith("neg_") is not higher
    # Monitoring: a score breaches by falling below its threshold, an error by rising above.
    (check,) = performance.threshold_checks({name: 0.5}, {name: 0.4})
    assert check.direction == ("below" if higher else "above")
    (baseline,) = performance.baseline_checks({name: 0.5}, {name: 0.5}, 0.1)
    assert baseline.direction == check.direction


def test_a_log_loss_above_its_ceiling_is_a_monitoring_breach() -> None:
    # Before: monitoring judged log_loss and mape as higher-is-better, so a worse model
    # (larger loss) never breached, while training gated them as lower-is-better.
    checks = performance.threshold_checks(
        {"log_loss": 0.9, "mape": 0.3}, {"log_loss": 0.5, "mape": 0.2}
    )
    assert {c.metric: c.breached for c in checks} == {"log_loss": True, "mape": True}


def test_monitoring_tracks_the_metrics_it_is_given() -> None:
    # Before: log_loss was unknown to monitoring, so the config silently fell back to
    # every other metric.
    config = MonitoringConfig(metrics=["log_loss", "feature_drift"])
    assert config.performance_metrics == ["log_loss"]
    regression = MonitoringConfig(metrics=["mape"], model_type="regression")
    assert regression.performance_metrics == ["mape"]


@pytest.mark.parametrize(
    ("model_type", "default"), [("classification", "f1_score"), ("Regression", "rmse")]
)
def test_primary_metric_is_a_string_defaulted_before_validation(
    model_type: str, default: str
) -> None:
    assert TrainingConfig.model_fields["primary_metric"].annotation is str
    config = TrainingConfig.model_validate(
        {
            "model_type": model_type,
            "target_column": "y",
            "feature_columns": ["a"],
            "registry_model_name": "m",
            "primary_metric": None,
        }
    )
    assert config.primary_metric == default
    assert config.tuning_metric == default


def test_primary_metric_says_what_it_ranks() -> None:
    description = TrainingConfig.model_fields["primary_metric"].description or ""
    assert "tuning trials" in description
    assert "gates" in description


def test_a_documented_alias_is_suggested_for_an_unknown_training_metric() -> None:
    with pytest.raises(
        ValidationError, match=r"unknown classification metric 'f1' \(did you mean 'f1_score'\?\)"
    ) as info:
        training_config("classification", metrics=["f1"])
    assert [error["loc"] for error in info.value.errors()] == [("metrics",)]


def test_an_unknown_metric_in_yaml_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "training.yml"
    path.write_text(
        "model_type: classification\ntarget_column: churn\nfeature_columns: [tenure]\n"
        "registry_model_name: main.m.churn\nprimary_metric: rmse\n"
    )
    with pytest.raises(
        ConfigError, match=r"training.yml:5: primary_metric: unknown classification metric 'rmse'"
    ):
        TrainingConfig.from_yaml(path)
