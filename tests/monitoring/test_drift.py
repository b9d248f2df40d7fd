"""compute_drift on the local Spark session: accuracy against scipy, calibration, errors."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.spatial.distance import jensenshannon
from tests.spark_jobs import counting_jobs

from databricks_mlops.config.monitoring import DriftConfig
from databricks_mlops.monitoring import (
    DriftError,
    DriftResult,
    FeatureDrift,
    compute_drift,
    drift_spark,
)

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

ALL_METHODS = ["ks_test", "wasserstein", "psi", "chi_squared", "jensen_shannon"]


def frame(spark: SparkSession, data: dict[str, Any]) -> DataFrame:
    return spark.createDataFrame(pd.DataFrame(data))


def row(result: DriftResult, feature: str, method: str) -> FeatureDrift:
    matches = [r for r in result.features if r.feature == feature and r.method == method]
    assert len(matches) == 1, f"{feature}/{method}: {result.features}"
    return matches[0]


# --------------------------------------------------------------- accuracy vs scipy

N_ACCURACY = 100_000


def _accuracy_samples() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(7)
    n = N_ACCURACY
    with_nulls_ref = rng.normal(0, 1, n)
    with_nulls_cur = rng.normal(0.03, 1.1, n)
    with_nulls_ref[rng.random(n) < 0.1] = np.nan
    with_nulls_cur[rng.random(n) < 0.3] = np.nan
    return {
        "normal_shift": (rng.normal(0, 1, n), rng.normal(0.05, 1, n)),
        "normal_same": (rng.normal(10, 3, n), rng.normal(10, 3, n)),
        "lognormal_skewed": (rng.lognormal(0, 1.5, n), rng.lognormal(0.1, 1.5, n)),
        "exponential_scale": (rng.exponential(1.0, n), rng.exponential(1.2, n)),
        "poisson_ints": (rng.poisson(3, n), rng.poisson(3.2, n)),
        "wide_ints": (rng.integers(0, 100_000, n), rng.integers(0, 110_000, n)),
        "bimodal_vs_normal": (
            np.concatenate([rng.normal(-2, 1, n // 2), rng.normal(2, 1, n - n // 2)]),
            rng.normal(0, 2.2, n),
        ),
        "with_nulls": (with_nulls_ref, with_nulls_cur),
    }


@pytest.fixture(scope="module", params=["quantiles of all rows", "quantiles of a 10% sample"])
def accuracy(
    spark: SparkSession, request: pytest.FixtureRequest
) -> Iterator[tuple[DriftResult, dict[str, tuple[np.ndarray, np.ndarray]]]]:
    """At this size pass 1 takes the quantiles again over all rows (a 10% sample would be
    under MIN_QUANTILE_SAMPLE); the second case lowers that minimum, so the edges come
    from the sample, as they do from 1,000,000 rows on."""
    samples = _accuracy_samples()

    def column(values: np.ndarray) -> Any:
        if values.dtype.kind == "f":
            # Real SQL nulls (not NaN) for the missing values.
            return pd.array(np.where(np.isnan(values), None, values), dtype="Float64")
        return values

    reference = frame(spark, {name: column(ref) for name, (ref, _) in samples.items()})
    current = frame(spark, {name: column(cur) for name, (_, cur) in samples.items()})
    config = DriftConfig(features=list(samples), drift_methods=["ks_test", "wasserstein"])
    with pytest.MonkeyPatch.context() as patch:
        if request.param == "quantiles of a 10% sample":
            patch.setattr(drift_spark, "MIN_QUANTILE_SAMPLE", 1_000)
        yield compute_drift(reference, current, config), samples


@pytest.mark.parametrize("feature", list(_accuracy_samples()))
def test_ks_and_wasserstein_match_scipy_within_0_01(
    accuracy: tuple[DriftResult, dict[str, tuple[np.ndarray, np.ndarray]]], feature: str
) -> None:
    result, samples = accuracy
    ref, cur = (values[~np.isnan(values)] for values in (s.astype(float) for s in samples[feature]))
    exact = stats.ks_2samp(ref, cur)
    ks = row(result, feature, "ks_test")
    assert abs(ks.score - exact.statistic) <= 0.01
    # The binned statistic never exceeds the exact one, and the stated bound holds.
    assert ks.score <= exact.statistic + 1e-12
    assert ks.error_bound is not None
    assert exact.statistic - ks.score <= ks.error_bound + 1e-12
    # scipy's finite-n p-value for the same statistic; ours is the limiting distribution
    # at this size (statistics.KSTWO_MAX_N), within 1.5% of it.
    finite_n = stats.kstwo.sf(ks.score, round(len(ref) * len(cur) / (len(ref) + len(cur))))
    assert ks.p_value is not None
    if finite_n > 1e-14:
        assert ks.p_value == pytest.approx(finite_n, rel=0.015)
    else:
        assert ks.p_value < 1e-13

    exact_w = stats.wasserstein_distance(ref, cur) / max(float(np.std(ref)), 1e-3)
    wasserstein = row(result, feature, "wasserstein")
    assert abs(wasserstein.score - exact_w) <= 0.01
    assert wasserstein.error_bound is not None
    assert abs(wasserstein.score - exact_w) <= wasserstein.error_bound + 1e-9


def test_nulls_are_counted_apart(
    accuracy: tuple[DriftResult, dict[str, tuple[np.ndarray, np.ndarray]]],
) -> None:
    result, samples = accuracy
    ref, cur = samples["with_nulls"]
    distribution = result.distributions["with_nulls"]
    assert distribution.reference_nulls == int(np.isnan(ref).sum())
    assert distribution.current_nulls == int(np.isnan(cur).sum())
    assert sum(distribution.reference_counts) == int((~np.isnan(ref)).sum())
    assert sum(distribution.current_counts) == int((~np.isnan(cur)).sum())
    assert distribution.bin_edges is not None
    assert len(distribution.bin_edges) == len(distribution.reference_counts) + 1
    assert distribution.bin_edges[0] == pytest.approx(float(np.nanmin(np.concatenate([ref, cur]))))
    assert result.reference_rows == result.current_rows == N_ACCURACY


def test_discrete_integers_are_exact(
    accuracy: tuple[DriftResult, dict[str, tuple[np.ndarray, np.ndarray]]],
) -> None:
    # Every integer of a range of at most 1,000 is an edge: the histogram holds the exact CDFs.
    result, samples = accuracy
    ref, cur = samples["poisson_ints"]
    ks = row(result, "poisson_ints", "ks_test")
    assert ks.score == pytest.approx(stats.ks_2samp(ref, cur).statistic, abs=1e-12)
    assert ks.error_bound == 0.0


def test_edge_rows_are_split_out_only_for_discrete_features() -> None:
    def summary(low: float, high: float, integral: bool, quantiles: list[float]) -> dict[str, Any]:
        return {"min0": low, "max0": high, "integral0": integral, "q0": quantiles}

    spread = [float(q) for q in np.linspace(-3.0, 3.0, 1001)]
    # Continuous: rows on an edge stay inside their bucket (the error bounds cover them).
    assert not drift_spark.has_atoms(summary(-3.0, 3.0, False, spread), 0)
    # Integers over at most GRID_BINS values: every value is an edge, counted apart.
    assert drift_spark.has_atoms(summary(0.0, 72.0, True, [float(q // 1) for q in spread]), 0)
    # Wide integers with no repeated quantile: like continuous data.
    assert not drift_spark.has_atoms(summary(0.0, 1e6, True, spread), 0)
    # A value holding >= ~0.1% of the rows repeats among the quantiles (zero-inflated).
    assert drift_spark.has_atoms(summary(0.0, 9.5, False, [0.0] * 300 + spread[300:]), 0)
    # No value at all.
    assert not drift_spark.has_atoms(summary(None, None, None, None), 0)  # type: ignore[arg-type]


# ------------------------------------------------------------- calibration and power


def test_same_distribution_false_alarm_rate_is_at_most_the_level(spark: SparkSession) -> None:
    # 20 seeded trials of 5,000 rows each, run as 20 independent features of one call.
    trials, n = 20, 5_000
    rng = np.random.default_rng(2024)
    reference = frame(spark, {f"trial_{i}": rng.gamma(2.0, 3.0, n) for i in range(trials)})
    current = frame(spark, {f"trial_{i}": rng.gamma(2.0, 3.0, n) for i in range(trials)})
    config = DriftConfig(
        features=[f"trial_{i}" for i in range(trials)],
        drift_methods=["ks_test", "wasserstein", "psi", "jensen_shannon"],
        threshold=0.05,
    )

    result = compute_drift(reference, current, config)

    ks_alarms = [r.feature for r in result.features if r.method == "ks_test" and r.drifting]
    assert len(ks_alarms) / trials <= config.threshold, ks_alarms
    distance_alarms = [r for r in result.features if r.method != "ks_test" and r.drifting]
    assert distance_alarms == []
    assert result.drift_score <= config.threshold


def test_shifted_mean_is_flagged_and_stable_feature_is_not(spark: SparkSession) -> None:
    # A fixed seed whose "stable" pair is not one of the 5% chance alarms (seed 5 is).
    rng = np.random.default_rng(7)
    n = 5_000
    reference = frame(spark, {"stable": rng.normal(0, 1, n), "shifted": rng.normal(50, 5, n)})
    current = frame(spark, {"stable": rng.normal(0, 1, n), "shifted": rng.normal(51.5, 5, n)})
    config = DriftConfig(features=["stable", "shifted"], drift_methods=["ks_test", "wasserstein"])

    result = compute_drift(reference, current, config)

    assert result.drifting_features == ["shifted"]
    assert result.drift_detected
    assert result.drift_score == 0.5
    shifted_ks = row(result, "shifted", "ks_test")
    assert shifted_ks.p_value is not None and shifted_ks.p_value < 1e-10
    assert shifted_ks.statistic_note.startswith("p-value < threshold")
    # A 0.3 std shift is a normalised Wasserstein distance of about 0.3.
    assert row(result, "shifted", "wasserstein").score == pytest.approx(0.3, abs=0.05)
    assert row(result, "stable", "wasserstein").statistic_note.startswith("score <= threshold")


def test_new_category_is_flagged(spark: SparkSession) -> None:
    rng = np.random.default_rng(3)
    n = 20_000
    plans = ["basic", "plus", "pro"]
    reference = frame(spark, {"plan": rng.choice(plans, n)})
    current_values = rng.choice(plans, n).astype(object)
    current_values[:40] = "enterprise"  # 0.2% of the rows: too few for the p-value alone
    current = frame(spark, {"plan": current_values})
    config = DriftConfig(features=["plan"], drift_methods=["chi_squared", "psi"])

    result = compute_drift(reference, current, config)

    chi = row(result, "plan", "chi_squared")
    assert chi.kind == "categorical"
    assert chi.drifting
    assert "new categories: enterprise" in chi.statistic_note
    assert result.drifting_features == ["plan"]
    distribution = result.distributions["plan"]
    assert distribution.categories == ["basic", "enterprise", "plus", "pro"]
    assert distribution.reference_counts[1] == 0
    assert distribution.current_counts[1] == 40


def test_same_categories_not_flagged_and_ks_maps_to_chi_squared(spark: SparkSession) -> None:
    rng = np.random.default_rng(4)
    n = 10_000
    reference = frame(
        spark, {"contract": rng.choice(["m", "y1", "y2"], n), "flag": rng.random(n) < 0.3}
    )
    current = frame(
        spark, {"contract": rng.choice(["m", "y1", "y2"], n), "flag": rng.random(n) < 0.3}
    )
    config = DriftConfig(features=["contract", "flag"], drift_methods=["ks_test", "wasserstein"])

    result = compute_drift(reference, current, config)

    assert {(r.feature, r.method) for r in result.features} == {
        ("contract", "chi_squared"),
        ("contract", "jensen_shannon"),
        ("flag", "chi_squared"),
        ("flag", "jensen_shannon"),
    }
    assert all(r.kind == "categorical" for r in result.features)
    assert (
        "ks_test configured, chi_squared used"
        in row(result, "contract", "chi_squared").statistic_note
    )
    assert not result.drift_detected
    assert result.distributions["flag"].categories == ["false", "true"]


# ---------------------------------------------------------------- PSI / JS by hand


def test_categorical_psi_and_jensen_shannon_match_hand_computed(spark: SparkSession) -> None:
    reference = frame(spark, {"c": ["a"] * 50 + ["b"] * 30 + ["c"] * 20})
    current = frame(spark, {"c": ["a"] * 30 + ["b"] * 30 + ["c"] * 40})
    config = DriftConfig(features=["c"], drift_methods=["psi", "jensen_shannon"], threshold=0.2)

    result = compute_drift(reference, current, config)

    expected_psi = (0.3 - 0.5) * math.log(0.3 / 0.5) + (0.4 - 0.2) * math.log(0.4 / 0.2)
    assert row(result, "c", "psi").score == pytest.approx(expected_psi, rel=1e-12)
    assert row(result, "c", "psi").drifting  # 0.2408 > 0.2
    expected_js = float(jensenshannon([0.5, 0.3, 0.2], [0.3, 0.3, 0.4]))
    mid = [0.4, 0.3, 0.3]
    by_hand = math.sqrt(
        0.5 * sum(p * math.log(p / q) for p, q in zip([0.5, 0.3, 0.2], mid, strict=True))
        + 0.5 * sum(p * math.log(p / q) for p, q in zip([0.3, 0.3, 0.4], mid, strict=True))
    )
    assert by_hand == pytest.approx(expected_js, rel=1e-12)
    assert row(result, "c", "jensen_shannon").score == pytest.approx(by_hand, rel=1e-9)
    assert not row(result, "c", "jensen_shannon").drifting  # 0.1721 <= 0.2


def test_numeric_psi_uses_reference_deciles(spark: SparkSession) -> None:
    # Reference: 0..999 once each, so its deciles are exactly [0,100), [100,200), ...
    # Current: everything in the first decile. PSI = 0.9 ln 10 + 9 (1e-4 - 0.1) ln(1e-3).
    reference = frame(spark, {"x": np.arange(1000)})
    current = frame(spark, {"x": np.arange(1000) % 100})
    config = DriftConfig(features=["x"], drift_methods=["psi", "jensen_shannon", "chi_squared"])

    result = compute_drift(reference, current, config)

    expected = 0.9 * math.log(1 / 0.1) + 9 * (1e-4 - 0.1) * math.log(1e-4 / 0.1)
    assert row(result, "x", "psi").score == pytest.approx(expected, rel=1e-9)
    js = float(jensenshannon([0.1] * 10, [1.0] + [0.0] * 9))
    assert row(result, "x", "jensen_shannon").score == pytest.approx(js, rel=1e-9)
    assert row(result, "x", "chi_squared").p_value == pytest.approx(0.0, abs=1e-100)
    assert result.drifting_features == ["x"]


# ----------------------------------------------------------------------- Spark jobs


def test_number_of_spark_jobs_does_not_grow_with_features(spark: SparkSession) -> None:
    rng = np.random.default_rng(9)
    n = 2_000

    def data() -> dict[str, Any]:
        columns: dict[str, Any] = {f"x{i}": rng.normal(0, 1, n) for i in range(10)}
        columns.update({f"c{i}": rng.choice(["a", "b"], n) for i in range(4)})
        return columns

    reference, current = frame(spark, data()), frame(spark, data())
    config = DriftConfig(drift_methods=ALL_METHODS)

    with counting_jobs() as few:
        compute_drift(reference, current, config, features=["x0", "c0"])
    with counting_jobs() as many:
        result = compute_drift(reference, current, config, features=reference.columns)

    # Three aggregations at this size (pass 1, the quantiles again over all rows, pass 2);
    # adaptive execution runs each as 2 jobs.
    assert 1 <= few.jobs <= 6
    assert many.jobs == few.jobs
    assert len({r.feature for r in result.features}) == 14

    # From MIN_QUANTILE_SAMPLE sampled values on (1e6 rows by default), pass 1's sample
    # is enough: two aggregations.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(drift_spark, "MIN_QUANTILE_SAMPLE", 100)
        with counting_jobs() as sampled:
            compute_drift(reference, current, config, features=reference.columns)
    assert 1 <= sampled.jobs <= 4
    assert sampled.jobs < many.jobs


# --------------------------------------------------------------------- edge cases


def test_empty_current_window_is_a_typed_error(spark: SparkSession) -> None:
    reference = frame(spark, {"x": [1.0, 2.0, 3.0], "c": ["a", "b", "a"]})
    current = reference.limit(0)

    with pytest.raises(DriftError, match=r"The current data has no rows"):
        compute_drift(reference, current, DriftConfig(features=["x", "c"]))


def test_all_null_feature_in_current_is_drift_with_nan_score(spark: SparkSession) -> None:
    reference = frame(
        spark, {"x": pd.array([1.0, 2.0, None], dtype="Float64"), "c": ["a", "b", None]}
    )
    current = frame(spark, {"x": pd.array([None, None], dtype="Float64"), "c": [None, None]})
    config = DriftConfig(features=["x", "c"], drift_methods=["ks_test", "psi"])

    result = compute_drift(reference, current, config)

    assert result.drifting_features == ["x", "c"]
    ks = row(result, "x", "ks_test")
    assert math.isnan(ks.score)
    assert ks.p_value is None
    assert "no non-null value in the current data" in ks.statistic_note
    assert result.distributions["x"].current_nulls == 2
    assert result.distributions["c"].reference_counts == [1, 1]


def test_feature_null_on_both_sides_is_not_drift(spark: SparkSession) -> None:
    from pyspark.sql import functions as F

    base = frame(spark, {"k": [1, 2, 3]}).withColumn("x", F.lit(None).cast("double"))
    result = compute_drift(base, base, DriftConfig(features=["x"]))

    assert not result.drift_detected
    assert "nothing to compare" in result.features[0].statistic_note
    assert result.distributions["x"].reference_nulls == 3


def test_constant_feature_does_not_crash(spark: SparkSession) -> None:
    reference = frame(spark, {"x": [5.0] * 100})
    current = frame(spark, {"x": [5.0] * 60 + [6.0] * 40})
    result = compute_drift(
        reference, current, DriftConfig(features=["x"], drift_methods=ALL_METHODS)
    )

    assert row(result, "x", "ks_test").score == pytest.approx(0.4)
    # The reference std is 0: the distance is divided by evidently's floor of 0.001.
    assert row(result, "x", "wasserstein").score == pytest.approx(0.4 / 1e-3)
    assert result.drifting_features == ["x"]


def test_unknown_feature_names_the_closest_column(spark: SparkSession) -> None:
    reference = frame(spark, {"tenure": [1, 2], "monthly_charges": [3.0, 4.0]})

    with pytest.raises(
        DriftError,
        match=r"'tenur' is not a column of the reference data \(did you mean 'tenure'\?\)",
    ):
        compute_drift(reference, reference, DriftConfig(features=["tenur"]))


def test_no_features_is_a_typed_error(spark: SparkSession) -> None:
    reference = frame(spark, {"x": [1.0]})

    with pytest.raises(DriftError, match=r"No features to compare"):
        compute_drift(reference, reference, DriftConfig())


def test_type_mismatch_and_unsupported_types_are_typed_errors(spark: SparkSession) -> None:
    from pyspark.sql import functions as F

    numbers = frame(spark, {"x": [1.0, 2.0]})
    strings = frame(spark, {"x": ["1", "2"]})
    with pytest.raises(
        DriftError, match=r"'x' is double in the reference but string in the current"
    ):
        compute_drift(numbers, strings, DriftConfig(features=["x"]))

    dates = numbers.withColumn("d", F.current_date())
    with pytest.raises(DriftError, match=r"'d' has type date.*categorical="):
        compute_drift(dates, dates, DriftConfig(features=["d"]))
    # ...and forcing it to be categorical works.
    result = compute_drift(dates, dates, DriftConfig(features=["d"]), categorical=["d"])
    assert result.features[0].kind == "categorical"


def test_identifier_like_column_is_refused_as_category(spark: SparkSession) -> None:
    reference = frame(spark, {"id": [f"user-{i}" for i in range(30)]})

    with pytest.raises(
        DriftError, match=r"'id' has 30 distinct values, more than max_categories=20"
    ):
        compute_drift(reference, reference, DriftConfig(features=["id"]), max_categories=20)


def test_odd_column_names_work(spark: SparkSession) -> None:
    reference = frame(spark, {"monthly charges.usd": [1.0, 2.0, 3.0, 4.0]})
    current = frame(spark, {"monthly charges.usd": [1.0, 2.0, 3.0, 40.0]})

    result = compute_drift(reference, current, DriftConfig(features=["monthly charges.usd"]))

    assert row(result, "monthly charges.usd", "ks_test").score == pytest.approx(0.25)


def test_drift_score_is_the_share_of_drifting_features() -> None:
    def drift(feature: str, method: str, drifting: bool) -> FeatureDrift:
        return FeatureDrift(
            feature=feature, kind="numeric", method=method, score=0.0, p_value=None,
            threshold=0.05, drifting=drifting, statistic_note="",
        )  # fmt: skip

    result = DriftResult(
        features=[
            drift("a", "ks_test", True),
            drift("a", "wasserstein", True),
            drift("b", "ks_test", False),
            drift("c", "ks_test", False),
            drift("c", "psi", True),
            drift("d", "psi", False),
        ],
        distributions={},
        reference_rows=1,
        current_rows=1,
    )
    assert result.drifting_features == ["a", "c"]
    assert result.drift_score == 0.5
    assert result.drift_detected
    empty = DriftResult(features=[], distributions={}, reference_rows=0, current_rows=0)
    assert empty.drift_score == 0.0
    assert not empty.drift_detected


def test_categories_with_quotes_and_backslashes(spark: SparkSession) -> None:
    odd = ["it's", "back\\slash", 'say "hi"', "new\nline"]
    reference = frame(spark, {"c": odd * 5})
    current = frame(spark, {"c": odd * 4 + ["it's"] * 4})

    result = compute_drift(reference, current, DriftConfig(features=["c"], drift_methods=["psi"]))

    distribution = result.distributions["c"]
    assert distribution.categories == sorted(odd)
    assert distribution.reference_counts == [5, 5, 5, 5]
    assert dict(zip(distribution.categories, distribution.current_counts, strict=True)) == {
        "it's": 8,
        "back\\slash": 4,
        'say "hi"': 4,
        "new\nline": 4,
    }


def test_negative_zero_in_whole_numbers_keeps_the_statistics_exact(spark: SparkSession) -> None:
    # -0.0 == 0.0, but Spark's Bucketizer orders -0.0 below the edge 0.0: without
    # normalising it, those rows fell inside the bucket before 0 and the KS error bound
    # became their share (0.1) instead of 0.
    rng = np.random.default_rng(11)
    ref = rng.integers(-5, 6, 2_000).astype(float)
    cur = rng.integers(-4, 7, 2_000).astype(float)
    ref[:200] = -0.0
    cur[:100] = -0.0
    config = DriftConfig(features=["x"], drift_methods=["ks_test", "wasserstein"])

    result = compute_drift(frame(spark, {"x": ref}), frame(spark, {"x": cur}), config)

    ks = row(result, "x", "ks_test")
    assert ks.error_bound == 0.0
    assert ks.score == pytest.approx(stats.ks_2samp(ref, cur).statistic, abs=1e-12)
    wasserstein = row(result, "x", "wasserstein")
    assert wasserstein.error_bound == 0.0
    exact_w = stats.wasserstein_distance(ref, cur) / float(np.std(ref))
    assert wasserstein.score == pytest.approx(exact_w, rel=1e-9)
    assert result.distributions["x"].bin_edges is not None
    assert math.copysign(1.0, result.distributions["x"].bin_edges[0]) == -1.0  # min is -5


@pytest.mark.parametrize("current_value", [4.0, 6.0], ids=["shift down", "shift up"])
def test_constant_reference_shift_is_drift_for_every_method(
    spark: SparkSession, current_value: float
) -> None:
    # Values outside the reference's range get their own bins (below its minimum, above
    # its maximum): a downward shift used to share the first decile bin with the constant.
    reference = frame(spark, {"x": [5.0] * 500})
    current = frame(spark, {"x": [current_value] * 500})
    config = DriftConfig(features=["x"], drift_methods=ALL_METHODS)

    result = compute_drift(reference, current, config)

    assert row(result, "x", "ks_test").score == 1.0
    # All current mass in a bin the reference leaves empty (floored at 1e-4) and vice versa.
    expected_psi = 2 * (1 - 1e-4) * math.log(1 / 1e-4)
    assert row(result, "x", "psi").score == pytest.approx(expected_psi, rel=1e-9)
    assert row(result, "x", "jensen_shannon").score == pytest.approx(math.sqrt(math.log(2)))
    chi = row(result, "x", "chi_squared")
    assert chi.score == pytest.approx(1000.0)  # Pearson, no continuity correction
    assert chi.p_value is not None and chi.p_value < 1e-100
    assert {r.method for r in result.features if r.drifting} == set(ALL_METHODS)


def test_numeric_bins_outside_the_reference_range_are_their_own() -> None:
    from databricks_mlops.monitoring import statistics as st

    # Buckets 0..6: the reference occupies 2..4; 0-1 lie below it, 5-6 above.
    groups = st.reference_decile_groups([0, 0, 10, 80, 10, 0, 0])
    assert groups.tolist() == [0, 0, 1, 2, 10, 11, 11]


def test_pandas_dataframe_is_refused_with_how_to_convert(spark: SparkSession) -> None:
    pdf = pd.DataFrame({"x": [1.0, 2.0, 3.0]})
    config = DriftConfig(features=["x"])

    with pytest.raises(
        DriftError,
        match=r"compute_drift takes Spark DataFrames: the reference is a pandas DataFrame; "
        r"convert it with spark\.createDataFrame\(",
    ):
        compute_drift(pdf, frame(spark, {"x": [1.0]}), config)  # type: ignore[arg-type]
    with pytest.raises(DriftError, match=r"the current is a pandas DataFrame"):
        compute_drift(frame(spark, {"x": [1.0]}), pdf, config)  # type: ignore[arg-type]
