"""The HTML report: self-contained, plots from aggregated counts, highlighted drift rows."""

from __future__ import annotations

import base64
import re
from datetime import datetime

from databricks_mlops.monitoring.drift import DriftResult, FeatureDistribution, FeatureDrift
from databricks_mlops.monitoring.html_report import ReportContext, render_report
from databricks_mlops.monitoring.performance import MetricCheck, PerformanceResult


def drift_result() -> DriftResult:
    return DriftResult(
        features=[
            FeatureDrift(
                feature="tenure", kind="numeric", method="ks_test", score=0.31, p_value=1e-9,
                threshold=0.05, drifting=True, statistic_note="p-value < threshold",
            ),
            FeatureDrift(
                feature="contract_type", kind="categorical", method="chi_squared", score=1.2,
                p_value=0.55, threshold=0.05, drifting=False, statistic_note="",
            ),
        ],
        distributions={
            "tenure": FeatureDistribution(
                feature="tenure", kind="numeric", bin_edges=[0.0, 10.0, 20.0, 30.0],
                categories=None, reference_counts=[5, 10, 5], current_counts=[12, 6, 2],
                reference_nulls=0, current_nulls=3,
            ),
            "contract_type": FeatureDistribution(
                feature="contract_type", kind="categorical", bin_edges=None,
                categories=["Month-to-month", "One year", "<b>odd</b>"],
                reference_counts=[10, 6, 4], current_counts=[11, 5, 4],
                reference_nulls=1, current_nulls=0,
            ),
        },
        reference_rows=20,
        current_rows=23,
    )  # fmt: skip


def context(**overrides: object) -> ReportContext:
    values: dict[str, object] = {
        "model_name": "main.churn.model",
        "model_version": "4",
        "run_id": "abc123",
        "run_at": datetime(2024, 7, 2, 6),
        "window": "last_batch@2024-07-02T06:00:00",
        "drift_score": 0.5,
        "drift_detected": True,
        "breaches": ["accuracy = 0.6000 (below 0.8000)"],
        **overrides,
    }
    return ReportContext(**values)  # type: ignore[arg-type]


def test_report_has_plots_tables_and_trends() -> None:
    performance = PerformanceResult(
        "classification",
        400,
        {"accuracy": 0.6, "roc_auc": 0.71},
        [
            MetricCheck("accuracy", 0.6, 0.8, "threshold", "below"),
            MetricCheck("roc_auc", 0.71, 0.74, "baseline", "below", baseline=0.79),
        ],
        roc_auc_error_bound=0.0012,
    )
    history = [
        {"run_at": datetime(2024, 7, 1, h), "kind": k, "metric": m, "value": v}
        for h, (k, m, v) in enumerate(
            [("summary", "drift_score", 0.0), ("performance", "accuracy", 0.83),
             ("summary", "drift_score", 0.5), ("performance", "accuracy", 0.6),
             ("summary", "current_rows", 23.0)]
        )
    ]  # fmt: skip
    page = render_report(context(), drift_result(), performance, history)
    images = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) == 3  # two distributions + the trend
    assert all(base64.b64decode(image).startswith(b"\x89PNG") for image in images)
    assert '<tr class="drifting"><td>tenure</td>' in page
    assert "<tr><td>contract_type</td>" in page  # not drifting: not highlighted
    assert '<tr class="breached"><td>accuracy</td><td>0.6000</td><td>0.8000</td>' in page
    assert "<td>0.7900</td><td>breached</td>" in page  # roc_auc vs its baseline
    assert "error is at most 0.0012" in page
    assert "accuracy = 0.6000 (below 0.8000)" in page
    assert "<b>odd</b>" not in page  # names are escaped
    assert page.startswith("<!DOCTYPE html>") and "http" not in page  # nothing external


def test_report_without_labels_or_history_says_so() -> None:
    page = render_report(context(drift_detected=False, breaches=[]), drift_result(), None, [])
    assert "no drift" in page
    assert "No labelled rows in this window" in page
    assert "No earlier runs yet." in page
    assert "Breaches" not in page
