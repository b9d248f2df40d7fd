"""What one monitoring run found: performance checks, breaches, and its metric rows.

Pure functions over the drift result, the labelled window and the config; ``run.py``
wires them to the tables, the report and the alerts.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from databricks_mlops.config.metrics import METRIC_ALIASES
from databricks_mlops.config.monitoring import MonitoringConfig
from databricks_mlops.errors import MLOpsError
from databricks_mlops.monitoring.metrics_table import MetricRow

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from databricks_mlops.monitoring.alerts import Breach
    from databricks_mlops.monitoring.drift import DriftResult
    from databricks_mlops.monitoring.monitoring_run import MonitoringRunResult
    from databricks_mlops.monitoring.performance import PerformanceResult

# Run-level drift values an alert threshold may name (higher is worse).
DRIFT_SUMMARY_METRICS = ("drift_score", "feature_drift", "prediction_drift")


def utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def naive(value: datetime | None) -> datetime | None:
    # Spark returns session-local naive timestamps; the job runs with UTC semantics.
    return None if value is None else utc(value).replace(tzinfo=None)


def drift_summary(drift: DriftResult | None, prediction: str) -> dict[str, float]:
    if drift is None:
        return {"drift_score": 0.0}
    summary = {"drift_score": float(drift.drift_score)}
    feature_scores = [f.score for f in drift.features if f.feature != prediction]
    prediction_scores = [f.score for f in drift.features if f.feature == prediction]
    if feature_scores:
        summary["feature_drift"] = float(max(feature_scores))
    if prediction_scores:
        summary["prediction_drift"] = float(max(prediction_scores))
    return summary


def performance_of(
    config: MonitoringConfig, current: DataFrame, notes: list[str]
) -> PerformanceResult | None:
    from databricks_mlops.monitoring.performance import (
        PerformanceResult,
        baseline_checks,
        baseline_metrics,
        champion_run_id,
        classification_metrics,
        regression_metrics,
        threshold_checks,
    )

    label = config.label_column
    if label is None:
        notes.append("performance skipped: no label_column configured")
        return None
    if label not in current.columns:
        notes.append(f"performance skipped: the inference log has no label column {label!r}")
        return None
    perf = config.model_performance_tracking
    bound = None
    if config.model_type == "classification":
        probability = config.probability_column
        if probability is not None and probability not in current.columns:
            notes.append(f"roc_auc skipped: no probability column {probability!r}")
            probability = None
        rows, metrics, bound = classification_metrics(
            current,
            label=label,
            prediction=config.prediction_column,
            probability=probability,
            bins=perf.roc_bins if perf else 1000,
        )
    else:
        rows, metrics = regression_metrics(
            current, label=label, prediction=config.prediction_column
        )
    if rows == 0:
        notes.append("performance skipped: no labelled rows in this window yet")
        return None
    wanted = config.performance_metrics
    metrics = {name: value for name, value in metrics.items() if name in wanted}
    thresholds = {METRIC_ALIASES.get(k, k): v for k, v in config.alert_thresholds.items()}
    checks = threshold_checks(metrics, thresholds)
    baseline_run = perf.baseline_run_id if perf else None
    if baseline_run is None and config.model_name:
        try:
            baseline_run = champion_run_id(
                config.model_name, perf.baseline_alias if perf else "champion"
            )
        except MLOpsError as exc:
            notes.append(f"baseline comparison skipped: {exc}")
    if baseline_run is not None:
        baseline = baseline_metrics(baseline_run, list(metrics))
        checks += baseline_checks(metrics, baseline, perf.max_drop if perf else 0.05)
    else:
        notes.append("baseline comparison skipped: no baseline_run_id and no champion version")
    return PerformanceResult(config.model_type, rows, metrics, checks, bound, baseline_run)


def find_breaches(
    config: MonitoringConfig,
    drift: DriftResult | None,
    summary: dict[str, float],
    performance: PerformanceResult | None,
) -> list[Breach]:
    from databricks_mlops.monitoring.alerts import Breach

    breaches: list[Breach] = []
    if drift is not None:
        by_feature: dict[str, list[Any]] = {}
        for item in drift.features:
            if item.drifting:
                by_feature.setdefault(item.feature, []).append(item)
        for feature, items in by_feature.items():
            first = items[0]
            # p-value methods (ks_test, chi_squared) drift when the p-value falls below
            # the threshold; distances when the score rises above it.
            below = first.p_value is not None and first.p_value < first.threshold
            breaches.append(
                Breach(
                    metric=f"drift:{feature}",
                    value=float(first.p_value if below else first.score),
                    threshold=float(first.threshold),
                    direction="below" if below else "above",
                    feature=feature,
                    details={
                        "methods": {
                            i.method: {"score": i.score, "p_value": i.p_value} for i in items
                        }
                    },
                )
            )
    for name in DRIFT_SUMMARY_METRICS:
        limit = config.alert_thresholds.get(name)
        if limit is not None and name in summary and summary[name] > limit:
            breaches.append(
                Breach(metric=name, value=summary[name], threshold=limit, direction="above")
            )
    if performance is not None:
        for check in performance.breaches:
            metric = check.metric if check.kind == "threshold" else f"{check.metric}_vs_baseline"
            breaches.append(
                Breach(
                    metric=metric,
                    value=check.value,
                    threshold=check.limit,
                    direction=check.direction,
                    details={"check": check.kind, "baseline": check.baseline},
                )
            )
    return breaches


def metric_rows(result: MonitoringRunResult, reference_rows: int | None) -> list[MetricRow]:
    def row(kind: str, metric: str, value: float | None, **extra: Any) -> MetricRow:
        return MetricRow(
            run_id=result.run_id,
            run_at=naive(result.run_at),  # type: ignore[arg-type]
            window_id=result.window_id,
            window_start=naive(result.window_start),
            window_end=naive(result.window_end),
            model_name=result.model_name,
            model_version=result.model_version,
            kind=kind,
            metric=metric,
            value=value,
            **extra,
        )

    rows = []
    if result.drift is not None:
        for item in result.drift.features:
            rows.append(
                row(
                    "drift",
                    "score",
                    float(item.score),
                    feature=item.feature,
                    method=item.method,
                    p_value=None if item.p_value is None else float(item.p_value),
                    threshold=float(item.threshold),
                    flagged=bool(item.drifting),
                    details=json.dumps({"kind": item.kind}),
                )
            )
    if result.performance is not None:
        for name, value in result.performance.metrics.items():
            checks = [c for c in result.performance.checks if c.metric == name]
            threshold = next((c.limit for c in checks if c.kind == "threshold"), None)
            baseline = next((c.baseline for c in checks if c.kind == "baseline"), None)
            rows.append(
                row(
                    "performance",
                    name,
                    float(value),
                    threshold=threshold,
                    baseline=baseline,
                    flagged=any(c.breached for c in checks),
                )
            )
    for name, value in result.drift_summary.items():
        limit = None
        if name in result.drift_summary:
            limit = next((b.threshold for b in result.breaches if b.metric == name), None)
        rows.append(
            row(
                "summary",
                name,
                value,
                threshold=limit,
                flagged=(result.drift_detected if name == "drift_score" else limit is not None),
            )
        )
    drifting = result.drifting_features
    rows.append(
        row(
            "summary",
            "drifting_features",
            float(len(drifting)),
            flagged=bool(drifting),
            details=json.dumps(drifting),
        )
    )
    rows.append(row("summary", "current_rows", float(result.current_rows)))
    if reference_rows is not None:
        rows.append(row("summary", "reference_rows", float(reference_rows)))
    if result.performance is not None:
        rows.append(row("summary", "labelled_rows", float(result.performance.labelled_rows)))
    rows.append(
        row(
            "summary",
            "breaches",
            float(len(result.breaches)),
            flagged=bool(result.breaches),
            details=json.dumps([b.metric for b in result.breaches]),
        )
    )
    return rows
