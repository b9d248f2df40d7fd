"""PNG plots a person would look at: confusion matrix, ROC / PR curves, importances,
residuals. Drawn with matplotlib's Agg backend (no display needed on a cluster)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from databricks_mlops.config.training import ModelType


def write_plots(
    model_type: ModelType,
    estimator: Any,
    features: Any,
    target: Any,
    directory: Path,
) -> list[Path]:
    """Draw the plots for the test rows into ``directory``; returns the files written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def save(figure: Any, name: str) -> None:
        path = directory / name
        figure.tight_layout()
        figure.savefig(path, dpi=90)
        plt.close(figure)
        written.append(path)

    predicted = estimator.predict(features)
    if model_type is ModelType.CLASSIFICATION:
        from sklearn.metrics import (  # type: ignore[import-untyped]
            ConfusionMatrixDisplay,
            PrecisionRecallDisplay,
            RocCurveDisplay,
        )

        display = ConfusionMatrixDisplay.from_predictions(target, predicted)
        display.ax_.set_title("Confusion matrix (test)")
        save(display.figure_, "confusion_matrix.png")
        classes = list(getattr(estimator, "classes_", []))
        if len(classes) == 2 and hasattr(estimator, "predict_proba") and target.nunique() == 2:
            scores = estimator.predict_proba(features)[:, 1]
            roc = RocCurveDisplay.from_predictions(target, scores, pos_label=classes[-1])
            roc.ax_.set_title("ROC curve (test)")
            save(roc.figure_, "roc_curve.png")
            pr = PrecisionRecallDisplay.from_predictions(target, scores, pos_label=classes[-1])
            pr.ax_.set_title("Precision-recall curve (test)")
            save(pr.figure_, "precision_recall_curve.png")
    else:
        figure, axis = plt.subplots(figsize=(6, 4))
        axis.scatter(predicted, target - predicted, s=8, alpha=0.6)
        axis.axhline(0.0, color="grey", linewidth=1)
        axis.set_xlabel("predicted")
        axis.set_ylabel("actual - predicted")
        axis.set_title("Residuals (test)")
        save(figure, "residuals.png")
    importances = _importances(estimator)
    if importances is not None and len(importances) == features.shape[1]:
        order = sorted(range(len(importances)), key=lambda i: importances[i])[-25:]
        figure, axis = plt.subplots(figsize=(6, 0.3 * len(order) + 1.2))
        axis.barh([str(features.columns[i]) for i in order], [importances[i] for i in order])
        axis.set_title("Feature importances")
        save(figure, "feature_importances.png")
    return written


def _importances(estimator: Any) -> list[float] | None:
    values = getattr(estimator, "feature_importances_", None)
    if values is None:
        coefficients = getattr(estimator, "coef_", None)
        if coefficients is None or getattr(coefficients, "ndim", 0) != 2:
            return None
        if coefficients.shape[0] != 1:
            return None
        values = abs(coefficients[0])
    return [float(v) for v in values]
