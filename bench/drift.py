"""Drift benchmark: compute_drift on Spark vs evidently's DataDriftPreset vs scipy on numpy.

    uv run python bench/drift.py [--rows 1000000] [--big-rows 10000000] [--repeats 3]

Data: 4 numeric columns (normal, lognormal, integers 0..72, exponential) and 1 categorical
(4 values), reference and current (current shifted on three of them), generated in Spark
with seeded ``rand``/``randn`` and written once as Delta tables under a temp MLOPS_HOME.
Every engine sees the same rows:

* ours: ``compute_drift(spark.read Delta, spark.read Delta, DriftConfig(ks_test,
  wasserstein))`` on the framework's local session (``local[*]``), warm (one untimed run
  first): read from Delta on every run, and again with both sides cached in memory;
* evidently: ``Report([DataDriftPreset()]).run(current, reference)`` on the pandas frames
  (its defaults at this size: normalised Wasserstein for numeric, Jensen-Shannon for
  categorical);
* scipy: per column on numpy, ``ks_2samp`` + ``wasserstein_distance`` (numeric) and
  ``chi2_contingency`` + ``jensenshannon`` on the value counts (categorical): the exact
  single-node answer.

Then ours alone at ``--big-rows`` in a fresh process (fresh JVM) so the peak RSS of the
Python driver and of the JVM (``VmHWM`` in ``/proc``) belong to that run only.
The report goes to stdout and ``bench/results/drift.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

os.environ["MLOPS_HOME"] = os.environ.get("DRIFT_BENCH_HOME") or tempfile.mkdtemp(
    prefix="mlops-drift-bench-"
)
os.environ.setdefault("MLOPS_RUNTIME", "local")
os.environ.setdefault("MLOPS_SPARK_DRIVER_MEMORY", "4g")

RESULTS_FILE = Path(__file__).parent / "results" / "drift.md"
NUMERIC = ["normal", "lognormal", "tenure", "exponential"]
CATEGORICAL = "contract"
FEATURES = [*NUMERIC, CATEGORICAL]
CONTRACTS = ["Month-to-month", "One year", "Two year", "Other"]


def generate(spark: Any, rows: int, seed: int, shifted: bool) -> Any:
    """Seeded columns built by Spark itself (no pandas on the driver at 10M rows)."""
    from pyspark.sql import functions as F

    shift = 1 if shifted else 0
    weights = (0.5, 0.3, 0.15, 0.05) if not shifted else (0.45, 0.32, 0.17, 0.06)
    cut = [sum(weights[: i + 1]) for i in range(len(weights))]
    u = F.rand(seed + 5)
    contract = (
        F.when(u < cut[0], CONTRACTS[0])
        .when(u < cut[1], CONTRACTS[1])
        .when(u < cut[2], CONTRACTS[2])
        .otherwise(CONTRACTS[3])
    )
    return spark.range(rows).select(
        (F.randn(seed + 1) * 1.0 + 0.02 * shift).alias("normal"),
        F.exp(F.randn(seed + 2) * 1.2).alias("lognormal"),
        F.floor(F.rand(seed + 3) * 73).cast("int").alias("tenure"),
        (-F.log1p(-F.rand(seed + 4)) * (1.0 + 0.05 * shift)).alias("exponential"),
        contract.alias(CATEGORICAL),
    )


def write_tables(spark: Any, rows: int, tag: str) -> tuple[str, str]:
    home = Path(os.environ["MLOPS_HOME"])
    paths = (str(home / f"reference_{tag}"), str(home / f"current_{tag}"))
    for path, seed, shifted in ((paths[0], 100, False), (paths[1], 200, True)):
        generate(spark, rows, seed, shifted).write.format("delta").mode("overwrite").save(path)
    return paths


def timed(fn: Callable[[], Any], repeats: int) -> tuple[list[float], Any]:
    fn()  # warm: JIT, Python workers, imports, caches
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return times, result


def peak_rss_mb(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def rss_mb(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def jvm_pid(spark: Any) -> int:
    return int(spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid())


def ours(spark: Any, ref_path: str, cur_path: str, cached: bool) -> Callable[[], Any]:
    from databricks_mlops.config.monitoring import DriftConfig
    from databricks_mlops.monitoring import compute_drift

    reference = spark.read.format("delta").load(ref_path)
    current = spark.read.format("delta").load(cur_path)
    if cached:
        reference, current = reference.cache(), current.cache()
        reference.count(), current.count()
    config = DriftConfig(features=FEATURES, drift_methods=["ks_test", "wasserstein"])
    return lambda: compute_drift(reference, current, config)


def scipy_per_column(ref: Any, cur: Any) -> dict[str, dict[str, float]]:
    import numpy as np
    from scipy import stats
    from scipy.spatial.distance import jensenshannon

    out: dict[str, dict[str, float]] = {}
    for column in NUMERIC:
        a = ref[column].to_numpy(dtype=np.float64)
        b = cur[column].to_numpy(dtype=np.float64)
        a, b = a[~np.isnan(a)], b[~np.isnan(b)]
        ks = stats.ks_2samp(a, b)
        w = stats.wasserstein_distance(a, b) / max(float(np.std(a)), 1e-3)
        out[column] = {"ks": float(ks.statistic), "ks_p": float(ks.pvalue), "wasserstein": w}
    counts = (
        ref[CATEGORICAL].value_counts().to_frame("ref").join(cur[CATEGORICAL].value_counts().to_frame("cur"), how="outer").fillna(0)
    )  # fmt: skip
    chi = stats.chi2_contingency(counts.to_numpy().T, correction=False)
    js = float(
        jensenshannon(counts["ref"] / counts["ref"].sum(), counts["cur"] / counts["cur"].sum())
    )
    out[CATEGORICAL] = {"chi2_p": float(chi.pvalue), "jensen_shannon": js}
    return out


def evidently_preset(ref: Any, cur: Any) -> dict[str, tuple[str, float]]:
    """``{column: (stattest, score)}`` from evidently's DataDriftPreset."""
    from evidently import Report
    from evidently.presets import DataDriftPreset

    snapshot = Report([DataDriftPreset()]).run(current_data=cur, reference_data=ref)
    scores: dict[str, tuple[str, float]] = {}
    for metric in snapshot.dict()["metrics"]:
        name = str(metric.get("metric_name") or metric.get("metric_id") or "")
        config = metric.get("config") or {}
        column = config.get("column")
        if name.startswith("ValueDrift") and column in FEATURES:
            method = str(config.get("method") or name)
            scores[column] = (method, float(metric["value"]))
    return scores


def big_run(rows: int) -> dict[str, Any]:
    """Runs in a fresh process: ours at ``rows`` rows, with peak memory of both processes."""
    from databricks_mlops.runtime import get_runtime

    spark = get_runtime().spark
    start = time.perf_counter()
    ref_path, cur_path = write_tables(spark, rows, "big")
    write_s = time.perf_counter() - start
    base_py, base_jvm = rss_mb(), rss_mb(jvm_pid(spark))
    run = ours(spark, ref_path, cur_path, cached=False)
    start = time.perf_counter()
    result = run()
    first = time.perf_counter() - start
    times, result = timed(run, 1)
    return {
        "rows": rows,
        "write_s": write_s,
        "first_s": first,
        "warm_s": times[0],
        "py_rss_before_mb": base_py,
        "py_peak_mb": peak_rss_mb(),
        "jvm_rss_before_mb": base_jvm,
        "jvm_peak_mb": peak_rss_mb(jvm_pid(spark)),
        "driver_memory": os.environ["MLOPS_SPARK_DRIVER_MEMORY"],
        "drifting": result.drifting_features,
        "ks": {r.feature: r.score for r in result.features if r.method == "ks_test"},
    }


def fmt(times: list[float]) -> tuple[str, str]:
    return f"{min(times):.2f}", f"{statistics.median(times):.2f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--big-rows", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-evidently", action="store_true")
    parser.add_argument("--big-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.big_only:
        print(json.dumps(big_run(args.big_rows)))
        return 0

    import pandas as pd
    import pyspark

    from databricks_mlops.runtime import get_runtime

    spark = get_runtime().spark
    ref_path, cur_path = write_tables(spark, args.rows, "main")
    ref_pd = spark.read.format("delta").load(ref_path).toPandas()
    cur_pd = spark.read.format("delta").load(cur_path).toPandas()

    results: dict[str, tuple[list[float], Any]] = {}
    results["ours (Spark, read from Delta each run)"] = timed(
        ours(spark, ref_path, cur_path, False), args.repeats
    )
    results["ours (Spark, both sides cached)"] = timed(
        ours(spark, ref_path, cur_path, True), args.repeats
    )
    results["scipy per column (numpy)"] = timed(
        lambda: scipy_per_column(ref_pd, cur_pd), args.repeats
    )
    evidently_version = "-"
    if not args.skip_evidently:
        import evidently

        evidently_version = evidently.__version__
        results["evidently DataDriftPreset (pandas)"] = timed(
            lambda: evidently_preset(ref_pd, cur_pd), args.repeats
        )
    spark.catalog.clearCache()

    print(f"running ours at {args.big_rows:,} rows in a fresh process ...", flush=True)
    env = {**os.environ, "DRIFT_BENCH_HOME": tempfile.mkdtemp(prefix="mlops-drift-big-")}
    completed = subprocess.run(
        [sys.executable, __file__, "--big-only", "--big-rows", str(args.big_rows)],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    big = (
        json.loads(completed.stdout.strip().splitlines()[-1]) if completed.returncode == 0 else None
    )
    if big is None:
        print(completed.stderr[-3000:], file=sys.stderr)

    ours_drift = results["ours (Spark, read from Delta each run)"][1]
    ours_cached = results["ours (Spark, both sides cached)"]
    exact = results["scipy per column (numpy)"][1]
    by = {(r.feature, r.method): r for r in ours_drift.features}

    lines = [
        "# Drift benchmark",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; `uv run python bench/drift.py {' '.join(sys.argv[1:])}`; "
        f"{os.cpu_count()} cores, load average at the end {os.getloadavg()[0]:.1f}, Python {platform.python_version()}, "
        f"Spark {pyspark.__version__} (local[*], driver memory {os.environ['MLOPS_SPARK_DRIVER_MEMORY']}), "
        f"pandas {pd.__version__}, evidently {evidently_version}.",
        f"{args.rows:,} reference vs {args.rows:,} current rows; 4 numeric + 1 categorical feature; "
        f"warm times (one untimed run, then best/median of {args.repeats}). "
        "Ours: `compute_drift` with `drift_methods=[ks_test, wasserstein]` (the categorical feature gets chi-squared + Jensen-Shannon).",
        "",
        "| engine | best (s) | median (s) |",
        "|---|---:|---:|",
    ]
    for name, (times, _) in results.items():
        best, median = fmt(times)
        lines.append(f"| {name} | {best} | {median} |")
    delta_median = statistics.median(results["ours (Spark, read from Delta each run)"][0])
    cached_median = statistics.median(ours_cached[0])
    scipy_median = statistics.median(results["scipy per column (numpy)"][0])
    lines += ["", "| ratio (medians) | value | target |", "|---|---:|---|"]
    if "evidently DataDriftPreset (pandas)" in results:
        evidently_median = statistics.median(results["evidently DataDriftPreset (pandas)"][0])
        lines.append(
            f"| evidently / ours (Delta) | {evidently_median / delta_median:.2f}x | >= 4x |"
        )
        lines.append(
            f"| evidently / ours (cached) | {evidently_median / cached_median:.2f}x | >= 4x |"
        )
    lines.append(f"| ours (Delta) / scipy | {delta_median / scipy_median:.2f}x | <= 2x |")
    lines.append(f"| ours (cached) / scipy | {cached_median / scipy_median:.2f}x | <= 2x |")

    lines += ["", "Agreement of scores (ours vs exact scipy vs evidently):", ""]
    lines += [
        "| feature | KS ours | KS scipy | abs diff | W/std ours | W/std scipy | abs diff | evidently (test: score) |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    evidently_scores = results.get("evidently DataDriftPreset (pandas)", ([], {}))[1]
    for column in NUMERIC:
        ks, w = by[(column, "ks_test")], by[(column, "wasserstein")]
        ev = evidently_scores.get(column)
        ev_text = f"{ev[0]}: {ev[1]:.4f}" if ev else "-"
        lines.append(
            f"| {column} | {ks.score:.4f} | {exact[column]['ks']:.4f} | {abs(ks.score - exact[column]['ks']):.4f} "
            f"| {w.score:.4f} | {exact[column]['wasserstein']:.4f} | {abs(w.score - exact[column]['wasserstein']):.4f} | {ev_text} |"
        )
    chi, js = by[(CATEGORICAL, "chi_squared")], by[(CATEGORICAL, "jensen_shannon")]
    ev = evidently_scores.get(CATEGORICAL)
    lines.append(
        f"| {CATEGORICAL} (chi2 p / JS) | p={chi.p_value:.3g} | p={exact[CATEGORICAL]['chi2_p']:.3g} | - "
        f"| JS {js.score:.4f} | JS {exact[CATEGORICAL]['jensen_shannon']:.4f} | {abs(js.score - exact[CATEGORICAL]['jensen_shannon']):.2g} "
        f"| {f'{ev[0]}: {ev[1]:.4f}' if ev else '-'} |"
    )
    lines.append("")
    lines.append(
        f"Drifting (ours, threshold 0.05): {', '.join(ours_drift.drifting_features) or 'none'}."
    )
    lines += ["", f"## Ours at {args.big_rows:,} rows (fresh process, Delta input)", ""]
    if big is None:
        lines.append(f"FAILED (exit {completed.returncode}); see stderr.")
    else:
        lines += [
            "| measure | value |",
            "|---|---:|",
            f"| rows per side | {big['rows']:,} |",
            f"| writing both Delta tables (s) | {big['write_s']:.1f} |",
            f"| compute_drift, first run (s) | {big['first_s']:.1f} |",
            f"| compute_drift, second run (s) | {big['warm_s']:.1f} |",
            f"| Python driver RSS before / peak (MB) | {big['py_rss_before_mb']:.0f} / {big['py_peak_mb']:.0f} |",
            f"| JVM RSS before / peak (MB), heap limit {big['driver_memory']} | {big['jvm_rss_before_mb']:.0f} / {big['jvm_peak_mb']:.0f} |",
            f"| drifting features | {', '.join(big['drifting']) or 'none'} |",
        ]
    report = "\n".join(lines) + "\n"
    print(report)
    RESULTS_FILE.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_FILE.write_text(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
