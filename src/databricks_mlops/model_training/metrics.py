"""The metrics of the config, computed the same way for a candidate and for the champion."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from databricks_mlops.config.training import ModelType

if TYPE_CHECKING:
    import numpy.typing as npt
    import pandas as pd


def classification_metrics(
    y_true: Any, y_pred: Any, scores: npt.NDArray[Any] | None, classes: list[Any]
) -> dict[str, float]:
    """accuracy, precision, recall, f1_score, roc_auc, log_loss.

    Binary targets use the larger class as positive and ``scores`` is its probability;
    with more classes ``scores`` is the probability matrix (columns in ``classes`` order)
    and precision / recall / f1 are support-weighted. roc_auc and log_loss are NaN
    without scores, or when the rows hold a single class.
    """
    from sklearn.metrics import (  # type: ignore[import-untyped]
        accuracy_score,
        f1_score,
        log_loss,
        precision_score,
        recall_score,
        roc_auc_score,
    )

    binary = len(classes) == 2
    averaging: dict[str, Any] = (
        {"average": "binary", "pos_label": classes[-1]} if binary else {"average": "weighted"}
    )
    result = {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "precision": float(precision_score(y_true, y_pred, zero_division=0, **averaging)),
        "recall": float(recall_score(y_true, y_pred, zero_division=0, **averaging)),
        "f1_score": float(f1_score(y_true, y_pred, zero_division=0, **averaging)),
        "roc_auc": math.nan,
        "log_loss": math.nan,
    }
    if scores is not None and len(set(y_true)) > 1:
        if binary:
            result["roc_auc"] = float(roc_auc_score(y_true == classes[-1], scores))
            result["log_loss"] = float(log_loss(y_true, scores, labels=classes))
        else:
            result["roc_auc"] = float(
                roc_auc_score(y_true, scores, multi_class="ovr", labels=classes)
            )
            result["log_loss"] = float(log_loss(y_true, scores, labels=classes))
    return result


def regression_metrics(y_true: Any, y_pred: Any) -> dict[str, float]:
    """rmse, mae, r2, mape (mape is NaN when a true value is 0)."""
    import numpy as np
    from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

    truth = np.asarray(y_true, dtype=float)
    predicted = np.asarray(y_pred, dtype=float)
    nonzero = bool(np.all(truth != 0))
    return {
        "rmse": float(math.sqrt(mean_squared_error(truth, predicted))),
        "mae": float(mean_absolute_error(truth, predicted)),
        "r2": float(r2_score(truth, predicted)) if len(truth) > 1 else math.nan,
        "mape": float(np.mean(np.abs((truth - predicted) / truth))) if nonzero else math.nan,
    }


def estimator_metrics(
    model_type: ModelType, estimator: Any, features: pd.DataFrame, target: pd.Series
) -> dict[str, float]:
    """Metrics of a fitted estimator on ``features`` / ``target``."""
    import numpy as np

    predicted = estimator.predict(features)
    if model_type is ModelType.REGRESSION:
        return regression_metrics(target, predicted)
    classes = list(estimator.classes_)
    scores = None
    if hasattr(estimator, "predict_proba"):
        probabilities = np.asarray(estimator.predict_proba(features))
        scores = probabilities[:, 1] if len(classes) == 2 else probabilities
    return classification_metrics(np.asarray(target), predicted, scores, classes)


def prediction_metrics(
    model_type: ModelType, predictions: pd.DataFrame, target: pd.Series, classes: list[Any]
) -> dict[str, float]:
    """Metrics from a logged model's output (``prediction``, and ``probability`` of the
    positive class for a binary classifier): how a champion is scored."""
    import numpy as np

    if model_type is ModelType.REGRESSION:
        return regression_metrics(target, predictions["prediction"])
    scores = None
    if len(classes) == 2 and "probability" in predictions.columns:
        scores = np.asarray(predictions["probability"], dtype=float)
    return classification_metrics(np.asarray(target), predictions["prediction"], scores, classes)
