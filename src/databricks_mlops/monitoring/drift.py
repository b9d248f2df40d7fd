"""Data drift between a reference and a current window, computed in Spark at any scale.

``compute_drift(reference, current, config)`` compares each feature (``config.features``
by default; callers add e.g. ``"prediction"``) with every method of
``config.drift_methods`` and returns a :class:`DriftResult`: one :class:`FeatureDrift`
row per (feature, method), plus the histograms a report plots.

How it scales
-------------
The rows never leave Spark. Two aggregations run over ``reference UNION current`` for all
features together, whatever their number (each is a shuffle, so two Spark jobs with
adaptive query execution; the job count is checked by a test):

1. the number of rows; per numeric feature, min, max, the reference's min, max and
   population std and ``percentile_approx`` at 1,000 evenly spaced probabilities (relative rank error
   ``1/2000``) of a 10% Bernoulli sample of the pooled values; per categorical feature,
   its set of values (at most ``max_categories``). The quantiles only place bucket edges,
   so a sample is enough (percentile_approx ~2.5x cheaper at 2e6 rows). When the
   sample would hold fewer than 100,000 values (under ~1e6 rows), one more, quantile-only
   aggregation takes them over up to 200,000 rows (all of them below that size).
2. one ``groupBy`` count over a single long key per (feature, side, bucket): numeric
   values go to buckets bounded by the union of those ~1,000 pooled quantiles, 1,000
   equal-width edges between min and max, the reference's min and the float after its max (``pyspark.ml.feature.Bucketizer``, a binary
   search per value); for discrete features (integers over at most 1,000 values, or a
   value repeated among the quantiles) each bucket is split into "exactly on its left
   edge" and "inside" (a second Bucketizer over the edges nudged to the next float tells
   the two apart); categories go to one bucket each; nulls to their own bucket.

The statistics are then computed on the driver from these histograms (at most a few
thousand numbers per feature) by :mod:`databricks_mlops.monitoring.statistics`, which
states the error bounds; each :class:`FeatureDrift` carries its own in ``error_bound``.
Every row is counted, so the bounds hold whatever the sample drew. In practice a bucket
holds at most ~0.1-0.2% of either side and spans at most 1/1000 of the range, so KS is
within ~0.002 of the exact value and the normalised Wasserstein distance within ~0.01
even for heavy tails (checked against scipy in the tests, with and without the sample).
Data whose distinct values are all edges give the exact statistics: integers spanning at
most 1,000 values (every integer of the range is made an edge), and any value holding
more than ~0.2% of the rows (it shows up at least twice among the pooled quantiles,
which turns on the split of edge rows). ``-0.0`` is counted as ``0.0`` (they are equal;
Spark's Bucketizer would otherwise put ``-0.0`` inside the bucket below 0).

Methods per kind
----------------
* numeric: ``ks_test`` (statistic, asymptotic p-value), ``wasserstein`` (distance divided
  by the reference's population std floored at 0.001, as evidently does, so one threshold
  fits features of any scale), ``psi`` (10 reference-decile bins, plus one bin for the
  values below the reference's minimum and one for those above its maximum, so a shift
  out of the reference's range always shows, even from a constant reference), and also
  ``chi_squared`` and ``jensen_shannon`` on the same bins.
* categorical (string and boolean columns, or any column named in ``categorical=``):
  ``chi_squared`` (test of homogeneity, ``scipy.stats.chi2_contingency`` with
  ``correction=False``: Pearson's statistic, no Yates continuity correction even on a
  2 x 2 table, for numeric bins too), ``psi`` and
  ``jensen_shannon`` on the category counts. ``ks_test`` and ``wasserstein`` need an order
  and are *mapped*: ``ks_test`` -> ``chi_squared`` (the test with a p-value),
  ``wasserstein`` -> ``jensen_shannon`` (the distance); the note says so and a method
  reached twice is computed once.

Thresholds
----------
``config.threshold`` is the one threshold (the documented default 0.05):

* ``ks_test`` and ``chi_squared`` give p-values: drifting when ``p_value < threshold``
  (``score`` is the statistic: KS D, or the chi-squared statistic).
* ``wasserstein`` (normalised), ``psi`` and ``jensen_shannon`` (distance, natural log) are
  distances: drifting when ``score > threshold``.
* A category present in the current window and absent from the reference is drift for
  ``chi_squared`` whatever the p-value (the note lists the new categories).

Nulls (and NaN / infinities in numeric columns) are left out of the statistics and counted
in the distributions (``reference_nulls`` / ``current_nulls``). A feature with no non-null
value on one side gets ``score = nan``, ``p_value = None`` and ``drifting = True`` (a column
that went entirely null is a data problem worth an alert); with none on either side it is
``drifting = False``. An empty reference or current window raises :class:`DriftError`.

``DriftResult.drift_score`` is the share of the compared features with at least one
drifting method (0.0 to 1.0, evidently's "share of drifted columns"), which is what an
``alert_thresholds: {drift_score: 0.1}`` compares against.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from databricks_mlops.config.monitoring import DriftConfig, DriftMethod
from databricks_mlops.monitoring.drift_spark import MAX_CATEGORIES, DriftError, FeatureKind

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray
    from pyspark.sql import DataFrame

    from databricks_mlops.monitoring import statistics as st

__all__ = [
    "DriftError",
    "DriftResult",
    "FeatureDistribution",
    "FeatureDrift",
    "compute_drift",
]

# Equal-width bins of the plotted histogram: a divisor of GRID_BINS, so each plotted edge
# is one of the grid edges and the plot is an exact regrouping of the counts.
PLOT_BINS = 50

P_VALUE_METHODS = frozenset({"ks_test", "chi_squared"})
CATEGORICAL_MAPPING: dict[str, str] = {"ks_test": "chi_squared", "wasserstein": "jensen_shannon"}


class FeatureDrift(BaseModel):
    """One (feature, method) comparison."""

    model_config = ConfigDict(frozen=True)

    feature: str
    kind: FeatureKind
    method: str
    score: float
    p_value: float | None
    threshold: float
    drifting: bool
    statistic_note: str
    # Bound on |score - exact score| from the binning (KS, Wasserstein); None when the
    # method is exact on the histogram (PSI, chi-squared, Jensen-Shannon on their bins).
    error_bound: float | None = None


class FeatureDistribution(BaseModel):
    """What a report plots for one feature, without the rows.

    Numeric: ``PLOT_BINS`` equal-width bins ``[bin_edges[i], bin_edges[i+1])`` (the last
    one closed) between the minimum and the maximum of both sides; categorical: one count
    per category (sorted). Nulls are counted apart.
    """

    model_config = ConfigDict(frozen=True)

    feature: str
    kind: FeatureKind
    bin_edges: list[float] | None
    categories: list[str] | None
    reference_counts: list[int]
    current_counts: list[int]
    reference_nulls: int
    current_nulls: int


class DriftResult(BaseModel):
    """Every comparison of one reference and one current window."""

    model_config = ConfigDict(frozen=True)

    features: list[FeatureDrift]
    distributions: dict[str, FeatureDistribution]
    reference_rows: int
    current_rows: int

    @property
    def drifting_features(self) -> list[str]:
        """Features with at least one drifting method, in the order compared."""
        seen: dict[str, None] = {}
        for row in self.features:
            if row.drifting:
                seen.setdefault(row.feature, None)
        return list(seen)

    @property
    def drift_detected(self) -> bool:
        return any(row.drifting for row in self.features)

    @property
    def drift_score(self) -> float:
        """Share of the compared features that drift (0.0 to 1.0)."""
        compared = {row.feature for row in self.features}
        return len(self.drifting_features) / len(compared) if compared else 0.0


# --------------------------------------------------------------------------- results


def _methods_for(kind: FeatureKind, configured: Sequence[DriftMethod]) -> list[tuple[str, str]]:
    """``(method computed, configured name)`` pairs, each computed method once."""
    out: dict[str, str] = {}
    for method in configured:
        actual = CATEGORICAL_MAPPING.get(method, method) if kind == "categorical" else method
        out.setdefault(actual, method)
    return list(out.items())


def _row(
    feature: str,
    kind: FeatureKind,
    method: str,
    configured: str,
    threshold: float,
    score: float,
    p_value: float | None,
    bound: float | None = None,
    extra: str = "",
    force_drift: bool = False,
) -> FeatureDrift:
    if method in P_VALUE_METHODS:
        crossed = p_value is not None and p_value < threshold
        note = f"p-value {'<' if crossed else '>='} threshold {threshold:g}"
    else:
        crossed = score > threshold
        note = f"score {'>' if crossed else '<='} threshold {threshold:g}"
    if configured != method:
        note += f"; {configured} configured, {method} used for a categorical feature"
    if extra:
        note += f"; {extra}"
    return FeatureDrift(
        feature=feature,
        kind=kind,
        method=method,
        score=score,
        p_value=p_value,
        threshold=threshold,
        drifting=crossed or force_drift,
        statistic_note=note,
        error_bound=bound,
    )


def _missing_rows(
    feature: str,
    kind: FeatureKind,
    methods: list[tuple[str, str]],
    threshold: float,
    n_ref: int,
    n_cur: int,
) -> list[FeatureDrift]:
    empty = [side for side, n in (("reference", n_ref), ("current", n_cur)) if n == 0]
    drifting = len(empty) == 1
    note = f"no non-null value in the {' or '.join(empty)} data: " + (
        "treated as drift" if drifting else "nothing to compare"
    )
    return [
        FeatureDrift(
            feature=feature,
            kind=kind,
            method=method,
            score=math.nan,
            p_value=None,
            threshold=threshold,
            drifting=drifting,
            statistic_note=note,
        )
        for method, _ in methods
    ]


def _numeric_rows(
    feature: str,
    hist: st.NumericHistogram,
    ref_std: float,
    methods: list[tuple[str, str]],
    threshold: float,
) -> list[FeatureDrift]:
    from databricks_mlops.monitoring import statistics as st

    grouped_ref, grouped_cur = st.numeric_psi_groups(hist)
    deciles = "10 reference-decile bins, plus one each below and above the reference range"
    rows: list[FeatureDrift] = []
    for method, configured in methods:
        # Each method gives (score, p-value, error bound, what the score is computed on).
        bound: float | None = None
        p_value: float | None = None
        if method == "ks_test":
            score, p_value, bound = st.ks_test(hist)
            extra = ""
        elif method == "wasserstein":
            score, bound = st.wasserstein_normalized(hist, ref_std)
            extra = f"Wasserstein-1 / reference std ({ref_std:.6g})"
        elif method == "psi":
            score, extra = st.psi(grouped_ref, grouped_cur), deciles
        elif method == "jensen_shannon":
            score, extra = st.jensen_shannon(grouped_ref, grouped_cur), deciles
        else:  # chi_squared
            (score, p_value), extra = st.chi_squared_test(grouped_ref, grouped_cur), deciles
        rows.append(
            _row(feature, "numeric", method, configured, threshold, score, p_value, bound, extra)
        )
    return rows


def _categorical_rows(
    feature: str,
    categories: list[str],
    ref_counts: NDArray[np.int64],
    cur_counts: NDArray[np.int64],
    methods: list[tuple[str, str]],
    threshold: float,
) -> list[FeatureDrift]:
    from databricks_mlops.monitoring import statistics as st

    new = [
        c for c, r, k in zip(categories, ref_counts, cur_counts, strict=True) if r == 0 and k > 0
    ]
    rows: list[FeatureDrift] = []
    for method, configured in methods:
        if method == "chi_squared":
            statistic, p_value = st.chi_squared_test(ref_counts, cur_counts)
            extra = f"new categories: {', '.join(new[:10])}" if new else ""
            rows.append(
                _row(feature, "categorical", method, configured, threshold, statistic, p_value,
                     extra=extra, force_drift=bool(new))
            )  # fmt: skip
        elif method == "psi":
            score = st.psi(ref_counts, cur_counts)
            rows.append(_row(feature, "categorical", method, configured, threshold, score, None))
        else:  # jensen_shannon
            score = st.jensen_shannon(ref_counts, cur_counts)
            rows.append(_row(feature, "categorical", method, configured, threshold, score, None))
    return rows


def _plot_counts(
    edges: NDArray[np.float64], counts: NDArray[np.int64]
) -> tuple[list[float], list[int]]:
    """Regroup fine bucket counts (K+1 buckets) into PLOT_BINS equal-width bins."""
    import numpy as np

    low, high = float(edges[0]), float(edges[-1])
    if high <= low:
        return [low, high], [int(counts.sum())]
    plot_edges = np.linspace(low, high, PLOT_BINS + 1)
    # Fine bucket i starts at edges[i-1]; its plot bin is the one containing that start.
    starts = np.concatenate([[low], edges])
    plot_bin = np.clip(np.searchsorted(plot_edges, starts, side="right") - 1, 0, PLOT_BINS - 1)
    grouped = np.bincount(plot_bin, weights=counts, minlength=PLOT_BINS).astype(np.int64)
    return [float(e) for e in plot_edges], [int(c) for c in grouped]


def compute_drift(
    reference: DataFrame,
    current: DataFrame,
    config: DriftConfig,
    *,
    features: Sequence[str] | None = None,
    categorical: Collection[str] | None = None,
    max_categories: int = MAX_CATEGORIES,
) -> DriftResult:
    """Compare ``current`` with ``reference`` for each feature and configured method.

    ``features`` defaults to ``config.features``; ``categorical`` forces columns to be
    compared as categories (default: string and boolean columns). Two Spark aggregations
    in all (three under ~1e6 rows); see the module documentation for methods, thresholds
    and error bounds.
    """
    import numpy as np

    from databricks_mlops.monitoring import drift_spark as passes
    from databricks_mlops.monitoring import statistics as st

    passes.require_spark_frames(reference, current)
    resolved = passes.resolve_features(reference, current, config, features, categorical)
    frame = passes.union_sides(reference, current, resolved)
    try:
        summary = passes.summarise(frame, resolved)
    except Exception as exc:  # Spark/Py4J errors carry no common base class
        raise DriftError(
            f"Failed to summarise the drift features {[n for n, _ in resolved]}: {exc}"
        ) from exc

    edges: dict[int, NDArray[np.float64]] = {}
    atoms: set[int] = set()
    categories: dict[int, list[str]] = {}
    for index, (name, kind) in enumerate(resolved):
        if kind == "numeric":
            found = passes.edges_from_summary(summary, index)
            if found is not None:
                edges[index] = found
                if passes.has_atoms(summary, index):
                    atoms.add(index)
        else:
            count = int(summary[f"ncats{index}"])
            if count > max_categories:
                raise DriftError(
                    f"Drift feature {name!r} has {count} distinct values, more than "
                    f"max_categories={max_categories}: it looks like an identifier, not a "
                    "category; leave it out of the drift features or bucket it first"
                )
            categories[index] = [str(c) for c in summary[f"cats{index}"]]

    try:
        counts, stride = passes.histogram_counts(frame, resolved, edges, categories, atoms)
    except Exception as exc:  # Spark/Py4J errors carry no common base class
        raise DriftError(f"Failed to count the drift histograms: {exc}") from exc

    def slots(index: int, side: int, size: int) -> NDArray[np.int64]:
        base = (index * 2 + side) * stride
        return np.array([counts.get(base + s, 0) for s in range(size)], dtype=np.int64)

    total = len(resolved)
    reference_rows = counts.get((total * 2) * stride, 0)
    current_rows = counts.get((total * 2 + 1) * stride, 0)
    for side, rows_seen in (("reference", reference_rows), ("current", current_rows)):
        if rows_seen == 0:
            raise DriftError(
                f"The {side} data has no rows: drift needs both windows; check the "
                f"{side} table/filter (e.g. the monitoring window) before comparing"
            )

    threshold = config.threshold
    results: list[FeatureDrift] = []
    distributions: dict[str, FeatureDistribution] = {}
    for index, (name, kind) in enumerate(resolved):
        methods = _methods_for(kind, config.drift_methods)
        if kind == "numeric":
            size = 1 + 2 * (len(edges[index]) + 1) if index in edges else 1
        else:
            size = 1 + len(categories.get(index, []))
        ref, cur = slots(index, 0, size), slots(index, 1, size)
        ref_nulls, cur_nulls = int(ref[0]), int(cur[0])
        n_ref, n_cur = int(ref[1:].sum()), int(cur[1:].sum())
        if kind == "numeric":
            bin_edges: list[float] | None = None
            ref_plot: list[int] = []
            cur_plot: list[int] = []
            hist: st.NumericHistogram | None = None
            if index in edges:
                hist = st.NumericHistogram(
                    edges=edges[index],
                    ref_interior=ref[1::2],
                    ref_atoms=ref[2::2],
                    cur_interior=cur[1::2],
                    cur_atoms=cur[2::2],
                )
                bin_edges, ref_plot = _plot_counts(edges[index], hist.ref_counts)
                _, cur_plot = _plot_counts(edges[index], hist.cur_counts)
            if hist is None or n_ref == 0 or n_cur == 0:
                results += _missing_rows(name, kind, methods, threshold, n_ref, n_cur)
            else:
                std = summary[f"std{index}"]
                results += _numeric_rows(name, hist, float(std or 0.0), methods, threshold)
            distributions[name] = FeatureDistribution(
                feature=name, kind=kind, bin_edges=bin_edges, categories=None,
                reference_counts=ref_plot, current_counts=cur_plot,
                reference_nulls=ref_nulls, current_nulls=cur_nulls,
            )  # fmt: skip
        else:
            names = categories.get(index, [])
            if n_ref == 0 or n_cur == 0:
                results += _missing_rows(name, kind, methods, threshold, n_ref, n_cur)
            else:
                results += _categorical_rows(name, names, ref[1:], cur[1:], methods, threshold)
            distributions[name] = FeatureDistribution(
                feature=name, kind=kind, bin_edges=None, categories=names,
                reference_counts=[int(c) for c in ref[1:]], current_counts=[int(c) for c in cur[1:]],
                reference_nulls=ref_nulls, current_nulls=cur_nulls,
            )  # fmt: skip
    return DriftResult(
        features=results,
        distributions=distributions,
        reference_rows=reference_rows,
        current_rows=current_rows,
    )
