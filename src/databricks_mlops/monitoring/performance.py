"""Model performance on the labelled rows of a window, computed in Spark.

Every metric comes from one aggregation over the window (plus one small histogram
aggregation for roc_auc); no row reaches the driver.

roc_auc is approximate: predicted probabilities are put into ``bins`` equal-width bins
per label, and the area is the trapezoid over bin boundaries, which counts a positive
and a negative in the same bin as half a correct ordering. The error is therefore at most
``0.5 * sum_b(pos_b * neg_b) / (P * N)``: the share of positive/negative pairs that share a
bin, halved. It is returned as ``roc_auc_error_bound`` (with 1,000 bins typically < 0.002).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from databricks_mlops.config.metrics import LOWER_IS_BETTER as LOWER_IS_BETTER
from databricks_mlops.monitoring.errors import PerformanceError as PerformanceError

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

# LOWER_IS_BETTER (error metrics: a threshold is a ceiling, not a floor) comes from the
# one metric catalogue, so monitoring judges a metric in the direction training does.

# sklearn's log_loss clips probabilities to [eps, 1 - eps] (float64 eps) before the log.
_LOG_LOSS_EPS = 2.220446049250313e-16


@dataclass(frozen=True)
class MetricCheck:
    """One comparison of a metric with a threshold or a baseline; ``breached`` if it fails."""

    metric: str
    value: float
    limit: float
    kind: Literal["threshold", "baseline"]
    direction: Literal["above", "below"]
    """``below``: the breach is the value falling below ``limit`` (accuracy);
    ``above``: rising above it (rmse)."""
    baseline: float | None = None

    @property
    def breached(self) -> bool:
        if math.isnan(self.value):
            return False
        return self.value < self.limit if self.direction == "below" else self.value > self.limit

    def describe(self) -> str:
        if self.kind == "baseline":
            return (
                f"{self.metric} {self.value:.4f} vs baseline {self.baseline:.4f} "
                f"(limit {self.limit:.4f})"
            )
        word = "minimum" if self.direction == "below" else "maximum"
        return f"{self.metric} {self.value:.4f} ({word} {self.limit:.4f})"


@dataclass(frozen=True)
class PerformanceResult:
    model_type: Literal["classification", "regression"]
    labelled_rows: int
    metrics: dict[str, float]
    checks: list[MetricCheck] = field(default_factory=list)
    roc_auc_error_bound: float | None = None
    baseline_run_id: str | None = None

    @property
    def breaches(self) -> list[MetricCheck]:
        return [check for check in self.checks if check.breached]


def _require(frame: DataFrame, columns: list[str], where: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise PerformanceError(
            f"{where} lacks columns {missing} needed for performance metrics; "
            f"it has {sorted(frame.columns)} (set label_column / prediction_column / "
            "probability_column in the monitoring config)"
        )


def classification_metrics(
    frame: DataFrame,
    *,
    label: str,
    prediction: str,
    probability: str | None = None,
    bins: int = 1000,
    where: str = "the inference log",
) -> tuple[int, dict[str, float], float | None]:
    """``(labelled rows, metrics, roc_auc error bound)`` for a binary classifier.

    The positive class is 1 (labels and predictions are cast to double, so booleans and
    0/1 integers both work); precision / recall / f1 are those of the positive class, as
    in training (``average="binary"``). roc_auc and log_loss need ``probability`` (the
    positive class's); log_loss is exact, from the same aggregation.
    """
    from pyspark.sql import functions as F

    _require(frame, [label, prediction] + ([probability] if probability else []), where)
    rows = frame.where(F.col(label).isNotNull()).select(
        F.col(label).cast("double").alias("y"),
        F.col(prediction).cast("double").alias("p"),
        *([F.col(probability).cast("double").alias("s")] if probability else []),
    )

    def count_if(condition: Column) -> Column:
        return F.sum(F.when(condition, 1).otherwise(0))

    y, p = F.col("y"), F.col("p")
    log_loss_terms = []
    if probability:
        s = F.least(F.greatest(F.col("s"), F.lit(_LOG_LOSS_EPS)), F.lit(1 - _LOG_LOSS_EPS))
        loss = -F.when(y == 1, F.log(s)).otherwise(F.log(1 - s))
        log_loss_terms = [F.avg(loss).alias("log_loss"), F.count("s").alias("scored")]
    totals = rows.agg(
        F.count(F.lit(1)).alias("n"),
        count_if((y == 1) & (p == 1)).alias("tp"),
        count_if((y != 1) & (p == 1)).alias("fp"),
        count_if((y == 1) & (p != 1)).alias("fn"),
        count_if((y != 1) & (p != 1)).alias("tn"),
        F.countDistinct("y").alias("classes"),
        *log_loss_terms,
    ).first()
    assert totals is not None  # a global aggregation always returns one row
    n = int(totals["n"])
    if n == 0:
        return 0, {}, None
    if int(totals["classes"]) > 2:
        raise PerformanceError(
            f"{where}: label column {label!r} holds {totals['classes']} classes; "
            "monitoring computes binary classification metrics (positive class 1)"
        )
    tp, fp, fn, tn = (int(totals[k] or 0) for k in ("tp", "fp", "fn", "tn"))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    metrics = {
        "accuracy": (tp + tn) / n,
        "precision": precision,
        "recall": recall,
        "f1_score": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
    }
    bound = None
    if probability:
        metrics["roc_auc"], bound = binned_roc_auc(rows, bins)
        # Undefined with one class or a missing probability, as in training (NaN).
        complete = int(totals["scored"]) == n and int(totals["classes"]) == 2
        metrics["log_loss"] = float(totals["log_loss"]) if complete else math.nan
    return n, metrics, bound


def binned_roc_auc(rows: DataFrame, bins: int) -> tuple[float, float | None]:
    """Approximate ROC AUC of score ``s`` for label ``y`` (1 = positive), and its error bound.

    One groupBy over ``bins`` score bins; only the per-bin counts (at most ``bins`` rows)
    reach the driver."""
    from pyspark.sql import functions as F

    bucket = F.least(F.greatest(F.floor(F.col("s") * bins), F.lit(0)), F.lit(bins - 1))
    counts = (
        rows.where(F.col("s").isNotNull())
        .groupBy(bucket.cast("int").alias("b"))
        .agg(
            F.sum(F.when(F.col("y") == 1, 1).otherwise(0)).alias("pos"),
            F.sum(F.when(F.col("y") != 1, 1).otherwise(0)).alias("neg"),
        )
        .collect()
    )
    by_bin = sorted((int(r["b"]), int(r["pos"]), int(r["neg"])) for r in counts)
    positives = sum(pos for _, pos, _ in by_bin)
    negatives = sum(neg for _, _, neg in by_bin)
    if positives == 0 or negatives == 0:
        return math.nan, None  # undefined with one class, as in sklearn
    # From the highest bin down: each positive outranks every negative in lower bins,
    # and ties (same bin) count half.
    correct = 0.0
    negatives_below = negatives
    ties = 0
    for _, pos, neg in reversed(by_bin):
        negatives_below -= neg
        correct += pos * negatives_below + 0.5 * pos * neg
        ties += pos * neg
    pairs = positives * negatives
    return correct / pairs, 0.5 * ties / pairs


def regression_metrics(
    frame: DataFrame, *, label: str, prediction: str, where: str = "the inference log"
) -> tuple[int, dict[str, float]]:
    """``(labelled rows, {rmse, mae, r2, mape})`` from one aggregation; mape is NaN when
    a true value is 0 (as in training)."""
    from pyspark.sql import functions as F

    _require(frame, [label, prediction], where)
    error = F.col(prediction).cast("double") - F.col(label).cast("double")
    y = F.col(label).cast("double")
    row = (
        frame.where(F.col(label).isNotNull() & F.col(prediction).isNotNull())
        .agg(
            F.count(F.lit(1)).alias("n"),
            F.sum(error * error).alias("sse"),
            F.sum(F.abs(error)).alias("sae"),
            # when(): Spark 4's ANSI mode raises on a division by zero instead of null.
            F.avg(F.when(y != 0, F.abs(error / y))).alias("mape"),
            F.sum(F.when(y == 0, 1).otherwise(0)).alias("zeros"),
            F.avg(y).alias("mean"),
            # Two-pass-free variance: var_pop * n is the total sum of squares.
            F.var_pop(y).alias("var"),
        )
        .first()
    )
    assert row is not None
    n = int(row["n"])
    if n == 0:
        return 0, {}
    sse, total = float(row["sse"]), float(row["var"]) * n
    return n, {
        "rmse": math.sqrt(sse / n),
        "mae": float(row["sae"]) / n,
        "r2": 1.0 - sse / total if total > 0 else math.nan,
        "mape": float(row["mape"]) if int(row["zeros"]) == 0 else math.nan,
    }


def threshold_checks(metrics: dict[str, float], thresholds: dict[str, float]) -> list[MetricCheck]:
    """A metric below its threshold is a breach (above, for error metrics like rmse)."""
    checks = []
    for name, limit in thresholds.items():
        if name not in metrics:
            continue
        direction: Literal["above", "below"] = "above" if name in LOWER_IS_BETTER else "below"
        checks.append(MetricCheck(name, metrics[name], limit, "threshold", direction))
    return checks


def baseline_checks(
    metrics: dict[str, float], baseline: dict[str, float], max_drop: float
) -> list[MetricCheck]:
    """A metric worse than the baseline by more than ``max_drop`` (absolute) is a breach."""
    checks = []
    for name, value in metrics.items():
        reference = baseline.get(name)
        if reference is None or math.isnan(reference):
            continue
        if name in LOWER_IS_BETTER:
            checks.append(
                MetricCheck(name, value, reference + max_drop, "baseline", "above", reference)
            )
        else:
            checks.append(
                MetricCheck(name, value, reference - max_drop, "baseline", "below", reference)
            )
    return checks


def baseline_metrics(run_id: str, names: list[str]) -> dict[str, float]:
    """The run's test-split metrics (``test_<name>``, else ``<name>``) from MLflow."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    try:
        logged = MlflowClient().get_run(run_id).data.metrics
    except MlflowException as exc:
        raise PerformanceError(
            f"Failed to read the baseline metrics of MLflow run {run_id!r}: {exc} "
            "(check model_performance_tracking.baseline_run_id)"
        ) from exc
    found = {}
    for name in names:
        for key in (f"test_{name}", name):
            if key in logged:
                found[name] = float(logged[key])
                break
    return found


def champion_run_id(model_name: str, alias: str) -> str | None:
    """The MLflow run behind ``models:/model_name@alias``, or None when there is none."""
    from databricks_mlops.model_training.model_registry import version_by_alias

    version = version_by_alias(model_name, alias)
    return None if version is None else version.run_id
