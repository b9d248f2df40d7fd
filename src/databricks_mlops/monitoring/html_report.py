"""The HTML report of one monitoring run: one self-contained file (figures as base64 PNG).

Everything plotted is already aggregated: distributions come from the drift result's
per-bin / per-category counts and trends from the metrics table's summary rows, so the
report never touches the monitored rows themselves.
"""

from __future__ import annotations

import base64
import html
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from databricks_mlops.monitoring.performance import PerformanceResult


class FeatureDriftLike(Protocol):
    @property
    def feature(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def method(self) -> str: ...
    @property
    def score(self) -> float: ...
    @property
    def p_value(self) -> float | None: ...
    @property
    def threshold(self) -> float: ...
    @property
    def drifting(self) -> bool: ...


class DistributionLike(Protocol):
    @property
    def feature(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def bin_edges(self) -> Sequence[float] | None: ...
    @property
    def categories(self) -> Sequence[str] | None: ...
    @property
    def reference_counts(self) -> Sequence[float]: ...
    @property
    def current_counts(self) -> Sequence[float]: ...
    @property
    def reference_nulls(self) -> int: ...
    @property
    def current_nulls(self) -> int: ...


class DriftResultLike(Protocol):
    @property
    def features(self) -> Sequence[FeatureDriftLike]: ...
    @property
    def distributions(self) -> Mapping[str, DistributionLike]: ...
    @property
    def reference_rows(self) -> int: ...
    @property
    def current_rows(self) -> int: ...


@dataclass(frozen=True)
class ReportContext:
    model_name: str
    model_version: str | None
    run_id: str
    run_at: datetime
    window: str
    drift_score: float
    drift_detected: bool
    breaches: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#1f2933}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #d9e2ec}
table{border-collapse:collapse;margin:.5rem 0}
th,td{border:1px solid #d9e2ec;padding:.3rem .6rem;text-align:left;font-size:.9rem}
th{background:#f0f4f8}tr.drifting td,tr.breached td{background:#ffe3e3}
.badge{display:inline-block;padding:.2rem .6rem;border-radius:.8rem;font-weight:600}
.bad{background:#ffe3e3;color:#a61b1b}.good{background:#e3f9e5;color:#18794e}
.grid{display:flex;flex-wrap:wrap;gap:1rem}.grid figure{margin:0}
figcaption{font-size:.8rem;color:#52606d}.muted{color:#52606d}
"""


def _figure_png(figure: Figure) -> str:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _img(png: str, alt: str) -> str:
    return f'<img src="data:image/png;base64,{png}" alt="{html.escape(alt)}">'


def _shares(counts: Sequence[float]) -> list[float]:
    total = float(sum(counts))
    return [float(c) / total if total else 0.0 for c in counts]


def distribution_plot(distribution: DistributionLike) -> str:
    """Reference vs current as shares of each bin / category (base64 PNG)."""
    import matplotlib

    matplotlib.use("Agg")  # no display on a cluster or in CI
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(4.6, 2.8))
    reference = _shares(distribution.reference_counts)
    current = _shares(distribution.current_counts)
    if distribution.bin_edges is not None:
        edges = [float(e) for e in distribution.bin_edges]
        axis.stairs(reference, edges, label="reference", fill=True, alpha=0.45)
        axis.stairs(current, edges, label="current", fill=True, alpha=0.45)
    else:
        labels = [str(c) for c in (distribution.categories or [])]
        positions = range(len(labels))
        axis.bar([p - 0.2 for p in positions], reference, width=0.4, label="reference")
        axis.bar([p + 0.2 for p in positions], current, width=0.4, label="current")
        axis.set_xticks(list(positions), labels, rotation=30, ha="right", fontsize=8)
    axis.set_ylabel("share of rows")
    axis.set_title(
        f"{distribution.feature} (nulls: {distribution.reference_nulls} ref / "
        f"{distribution.current_nulls} cur)",
        fontsize=9,
    )
    axis.legend(fontsize=8)
    return _figure_png(figure)


def trend_plot(history: Sequence[Mapping[str, Any]]) -> str | None:
    """Summary drift score and performance metrics over past runs (base64 PNG)."""
    series: dict[str, list[tuple[datetime, float]]] = {}
    for row in history:
        name = row["metric"] if row["kind"] == "performance" else None
        if row["kind"] == "summary" and row["metric"] == "drift_score":
            name = "drift_score"
        value = row.get("value")
        if name is None or value is None or math.isnan(float(value)):
            continue
        series.setdefault(name, []).append((row["run_at"], float(value)))
    if not series:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(8, 3))
    for name, points in sorted(series.items()):
        points.sort()
        times: list[Any] = [p[0] for p in points]  # matplotlib's date axis takes datetimes
        axis.plot(times, [p[1] for p in points], marker="o", label=name)
    axis.set_xlabel("run time")
    axis.legend(fontsize=8, ncols=3)
    figure.autofmt_xdate()
    return _figure_png(figure)


def _number(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.4f}"


def _drift_table(drift: DriftResultLike) -> str:
    rows = []
    for item in sorted(drift.features, key=lambda f: (not f.drifting, f.feature, f.method)):
        css = ' class="drifting"' if item.drifting else ""
        rows.append(
            f"<tr{css}><td>{html.escape(item.feature)}</td><td>{html.escape(item.kind)}</td>"
            f"<td>{html.escape(item.method)}</td><td>{_number(item.score)}</td>"
            f"<td>{_number(item.p_value)}</td><td>{_number(item.threshold)}</td>"
            f"<td>{'yes' if item.drifting else 'no'}</td></tr>"
        )
    return (
        '<table id="drift-scores"><tr><th>feature</th><th>kind</th><th>method</th>'
        "<th>score</th><th>p-value</th><th>threshold</th><th>drifting</th></tr>"
        + "".join(rows)
        + "</table>"
    )


def _performance_table(performance: PerformanceResult) -> str:
    limits: dict[str, dict[str, Any]] = {}
    for check in performance.checks:
        entry = limits.setdefault(check.metric, {"breached": False})
        entry["breached"] = entry["breached"] or check.breached
        if check.kind == "threshold":
            entry["threshold"] = check.limit
        else:
            entry["baseline"] = check.baseline
    rows = []
    for name, value in performance.metrics.items():
        entry = limits.get(name, {})
        css = ' class="breached"' if entry.get("breached") else ""
        rows.append(
            f"<tr{css}><td>{html.escape(name)}</td><td>{_number(value)}</td>"
            f"<td>{_number(entry.get('threshold'))}</td><td>{_number(entry.get('baseline'))}</td>"
            f"<td>{'breached' if entry.get('breached') else 'ok'}</td></tr>"
        )
    note = ""
    if performance.roc_auc_error_bound is not None:
        note = (
            f'<p class="muted">roc_auc is binned; its error is at most '
            f"{performance.roc_auc_error_bound:.4f}.</p>"
        )
    return (
        f"<p>{performance.labelled_rows} labelled rows.</p>"
        '<table id="performance"><tr><th>metric</th><th>value</th><th>threshold</th>'
        "<th>baseline</th><th>status</th></tr>" + "".join(rows) + "</table>" + note
    )


def render_report(
    context: ReportContext,
    drift: DriftResultLike | None,
    performance: PerformanceResult | None,
    history: Sequence[Mapping[str, Any]],
) -> str:
    """The report as one HTML document."""
    title = f"Monitoring report: {context.model_name}"
    status = (
        '<span class="badge bad">drift detected</span>'
        if context.drift_detected
        else '<span class="badge good">no drift</span>'
    )
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f"<p>{status} drift score <b>{_number(context.drift_score)}</b></p>",
        "<table><tr><th>model version</th><td>"
        f"{html.escape(context.model_version or 'unknown')}</td></tr>"
        f"<tr><th>monitoring run</th><td>{html.escape(context.run_id)}</td></tr>"
        f"<tr><th>run at</th><td>{context.run_at.isoformat(timespec='seconds')}</td></tr>"
        f"<tr><th>window</th><td>{html.escape(context.window)}</td></tr>",
    ]
    if drift is not None:
        parts.append(
            f"<tr><th>rows</th><td>{drift.reference_rows} reference / "
            f"{drift.current_rows} current</td></tr>"
        )
    parts.append("</table>")
    if context.breaches:
        items = "".join(f"<li>{html.escape(b)}</li>" for b in context.breaches)
        parts.append(f"<h2>Breaches</h2><ul id='breaches'>{items}</ul>")
    for note in context.notes:
        parts.append(f'<p class="muted">{html.escape(note)}</p>')
    if drift is not None:
        parts.append("<h2>Drift scores</h2>" + _drift_table(drift))
        figures = []
        for name, distribution in drift.distributions.items():
            figures.append(
                f"<figure>{_img(distribution_plot(distribution), name)}"
                f"<figcaption>{html.escape(name)}: reference vs current</figcaption></figure>"
            )
        if figures:
            parts.append("<h2>Distributions</h2><div class='grid'>" + "".join(figures) + "</div>")
    parts.append("<h2>Performance</h2>")
    if performance is None:
        parts.append('<p class="muted">No labelled rows in this window: performance skipped.</p>')
    else:
        parts.append(_performance_table(performance))
    trend = trend_plot(history)
    parts.append("<h2>Trends over past runs</h2>")
    parts.append(
        _img(trend, "metric trends") if trend else '<p class="muted">No earlier runs yet.</p>'
    )
    parts.append("</body></html>")
    return "\n".join(parts)
