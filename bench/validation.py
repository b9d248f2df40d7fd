"""Validation benchmark: the native validator vs Great Expectations vs a bare aggregation.

    uv run python bench/validation.py [--rows 1000000] [--pandas-rows N] [--repeats 3]

On one cached Spark DataFrame of generated customers (``generate_churn``) it times, warm
(one untimed run of each first, then best and median of ``--repeats`` rounds, each round
running every engine once):

* (a) ``DataValidator(rules, sample_failures=0).validate(df)``: the one-pass validator;
* (b) ``validate_with_gx(df, rules)``: Great Expectations 1.x through our GX engine;
* (c) a hand-written ``df.agg(F.sum(F.when(cond, 0).otherwise(1)), ...)``: the limit.

and on the same rules in pandas: the native pandas backend; GX through
``validate_with_gx`` (whose time includes our pandas evaluation of each rule into a
boolean column: GX has no query expectation for pandas); the same rules written by hand
as GX's own expectations (``row_condition`` for the implications), so GX evaluates them
itself; and a hand-written vectorised count. Then ours, GX and the bare count again on the
same rows in Arrow-backed dtypes (``convert_dtypes(dtype_backend="pyarrow")``, what
``read_parquet(dtype_backend="pyarrow")`` gives). All engines must agree on
every failure count or the script exits non-zero. The report goes to stdout and to
``bench/results/validation.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# The runtime reads these when the session starts: a throwaway home, and enough driver
# memory to convert a million pandas rows through Arrow.
os.environ["MLOPS_HOME"] = tempfile.mkdtemp(prefix="mlops-bench-")
os.environ.setdefault("MLOPS_RUNTIME", "local")
os.environ.setdefault("MLOPS_SPARK_DRIVER_MEMORY", "4g")

import pandas as pd

from databricks_mlops.datasets import generate_churn
from databricks_mlops.config.validation import Severity, ValidationRule

CONTRACTS = ("Month-to-month", "One year", "Two year")
RULES = [
    ValidationRule(name="valid_email", condition="email.str.contains('@') or email is null", severity=Severity.WARNING),
    ValidationRule(name="adult_customers", condition="age >= 18 or guardian_email is not null"),
    ValidationRule(name="customer_id_present", condition="customer_id is not null"),
    ValidationRule(name="two_year_contracts_for_adults", condition="(age >= 18) or (contract_type != 'Two year')"),
    ValidationRule(name="charges_add_up", condition="total_charges >= monthly_charges or tenure <= 1"),
    ValidationRule(name="known_contract", condition=f"contract_type in {list(CONTRACTS)!r}"),
]  # fmt: skip
RESULTS_FILE = Path(__file__).parent / "results" / "validation.md"


def spark_conditions() -> list[Any]:
    """The same six rules written by hand in PySpark (TRUE = the row passes)."""
    from pyspark.sql import functions as F

    return [
        F.col("email").contains("@") | F.col("email").isNull(),
        (F.col("age") >= 18) | F.col("guardian_email").isNotNull(),
        F.col("customer_id").isNotNull(),
        (F.col("age") >= 18) | (F.col("contract_type") != "Two year"),
        (F.col("total_charges") >= F.col("monthly_charges")) | (F.col("tenure") <= 1),
        F.col("contract_type").isin(*CONTRACTS),
    ]


def bare_spark(df: Any) -> list[int]:
    """One aggregation, one sum per rule: what any one-pass validator is bounded by."""
    from pyspark.sql import functions as F

    row = df.agg(*[F.sum(F.when(cond, 0).otherwise(1)) for cond in spark_conditions()]).first()
    return [int(value or 0) for value in row]


def bare_pandas(df: pd.DataFrame) -> list[int]:
    """The rules vectorised by hand, NULL (NaN/None) comparisons counting as failures."""
    passes = [
        df.email.isna() | df.email.fillna("").str.contains("@", regex=False),
        (df.age >= 18) | df.guardian_email.notna(),
        df.customer_id.notna(),
        (df.age >= 18) | (df.contract_type != "Two year"),
        (df.total_charges >= df.monthly_charges) | (df.tenure <= 1),
        df.contract_type.isin(CONTRACTS),
    ]
    return [int((~ok).sum()) for ok in passes]


def native(df: Any) -> list[int]:
    from databricks_mlops.utils.data_validation import DataValidator

    result = DataValidator(RULES, sample_failures=0).validate(df)
    return [r.failed_count for r in result.rule_results]


def great_expectations(df: Any) -> list[int]:
    from databricks_mlops.validation.gx_engine import validate_with_gx

    return [r.failed_count for r in validate_with_gx(df, RULES).result.rule_results]


def great_expectations_by_hand(df: pd.DataFrame) -> list[int]:
    """The rules as a GX user would write them for pandas: GX's own expectations,
    ``row_condition`` for the implications; GX evaluates everything itself."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        progress_bars=ProgressBarsConfig(globally=False),
        analytics_enabled=False,
    )
    context = gx.get_context(mode="ephemeral", project_config=config)
    source = context.data_sources.add_pandas(name="bench")
    batch = source.add_dataframe_asset(name="customers").add_batch_definition_whole_dataframe("all")
    expect = gx.expectations
    pandas_condition = {"condition_parser": "pandas"}
    expectations = [
        expect.ExpectColumnValuesToMatchRegex(column="email", regex="@"),  # nulls pass in GX
        expect.ExpectColumnValuesToNotBeNull(column="guardian_email", row_condition="age < 18", **pandas_condition),
        expect.ExpectColumnValuesToNotBeNull(column="customer_id"),
        expect.ExpectColumnValuesToBeBetween(column="age", min_value=18, row_condition='contract_type == "Two year"', **pandas_condition),
        expect.ExpectColumnPairValuesAToBeGreaterThanB(column_A="total_charges", column_B="monthly_charges", or_equal=True, row_condition="tenure > 1", **pandas_condition),
        expect.ExpectColumnValuesToBeInSet(column="contract_type", value_set=list(CONTRACTS)),
    ]  # fmt: skip
    for index, expectation in enumerate(expectations):
        expectation.meta = {"rule": index}
    suite = context.suites.add(gx.ExpectationSuite(name="bench", expectations=expectations))
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name="bench", data=batch, suite=suite)
    )
    run = definition.run(batch_parameters={"dataframe": df}, result_format="BASIC")
    found: dict[int, int] = {}
    for result in run.results:
        if result.exception_info.get("raised_exception"):
            sys.exit(
                f"GX could not evaluate {result.expectation_config.type}: {result.exception_info}"
            )
        found[result.expectation_config.meta["rule"]] = int(result.result["unexpected_count"])
    return [found[index] for index in range(len(expectations))]


@dataclass
class Timing:
    engine: str
    backend: str
    rows: int
    seconds: list[float]
    counts: list[int]
    spark_jobs: int | None = None
    spark_stages: int | None = None

    @property
    def best(self) -> float:
        return min(self.seconds)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def measure(
    backend: str,
    rows: int,
    engines: Sequence[tuple[str, Callable[[], list[int]]]],
    repeats: int,
    spark: Any = None,
) -> list[Timing]:
    """Time the engines round-robin: each repeat runs every engine once, so a slow spell
    of the machine (or the JVM still compiling hot code in the background) falls on all
    of them alike rather than on whichever ran first."""
    timings = [Timing(engine, backend, rows, [], run()) for engine, run in engines]  # warm-up
    for attempt in range(repeats):
        for timing, (engine, run) in zip(timings, engines, strict=True):
            group = f"bench-{engine}-{attempt}"
            if spark is not None:
                spark.sparkContext.setJobGroup(group, group)
            started = time.perf_counter()
            again = run()
            timing.seconds.append(time.perf_counter() - started)
            if again != timing.counts:
                sys.exit(
                    f"{engine} on {backend} gave different counts on a repeat: "
                    f"{timing.counts} vs {again}"
                )
            if spark is not None:
                tracker = spark.sparkContext.statusTracker()
                job_ids = tracker.getJobIdsForGroup(group)
                timing.spark_jobs = len(job_ids)
                timing.spark_stages = sum(
                    len(info.stageIds) for info in map(tracker.getJobInfo, job_ids) if info
                )
    if spark is not None:
        spark.sparkContext.setJobGroup("bench-idle", "bench-idle")
    for timing in timings:
        print(
            f"  {timing.engine:<28} best {timing.best:7.3f} s  median {timing.median:7.3f} s",
            flush=True,
        )
    return timings


def spark_frame(pdf: pd.DataFrame) -> Any:
    from databricks_mlops.runtime import get_runtime

    spark = get_runtime().spark
    # Without Arrow, createDataFrame pickles a million rows one by one (minutes).
    spark.conf.set("spark.sql.execution.arrow.pyspark.enabled", "true")
    df = spark.createDataFrame(pdf).cache()
    df.count()  # materialise the cache before anything is timed
    return spark, df


def agreement_table(timings: Sequence[Timing]) -> list[str]:
    lines = ["| rule | " + " | ".join(f"{t.engine} ({t.backend})" for t in timings) + " |"]
    lines.append("|---" * (len(timings) + 1) + "|")
    for index, rule in enumerate(RULES):
        lines.append(
            f"| {rule.name} | " + " | ".join(f"{t.counts[index]:,}" for t in timings) + " |"
        )
    return lines


def timing_table(timings: Sequence[Timing]) -> list[str]:
    lines = [
        "| backend | engine | rows | best (s) | median (s) | Spark jobs / stages per run |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for t in timings:
        spark = f"{t.spark_jobs} / {t.spark_stages}" if t.spark_jobs is not None else "-"
        lines.append(
            f"| {t.backend} | {t.engine} | {t.rows:,} | {t.best:.3f} | {t.median:.3f} | {spark} |"
        )
    return lines


def ratio_lines(label: str, numerator: Timing, denominator: Timing, target: str) -> str:
    return (
        f"| {label} | {numerator.median / denominator.median:.2f} "
        f"| {numerator.best / denominator.best:.2f} | {target} |"
    )


def report(
    args: argparse.Namespace,
    spark_timings: list[Timing],
    pandas_timings: list[Timing],
    spark_version: str,
) -> str:
    import great_expectations as gx

    ours, gx_spark, bare = spark_timings
    ours_pd, gx_pd, gx_hand_pd, bare_pd, ours_arrow, gx_arrow, bare_arrow = pandas_timings
    lines = [
        "# Validation benchmark",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; `uv run python bench/validation.py --rows {args.rows} "
        f"--pandas-rows {args.pandas_rows} --repeats {args.repeats}`; {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, Spark {spark_version} (local, cached DataFrame), "
        f"pandas {pd.__version__}, great-expectations {gx.__version__}.",
        f"{len(RULES)} row-level rules on `generate_churn` customers; warm times "
        f"(one untimed run each, then best/median of {args.repeats} rounds; a round runs every "
        "engine once).",
        "",
        *timing_table([*spark_timings, *pandas_timings]),
        "",
        "| ratio | median | best | target |",
        "|---|---:|---:|---|",
        ratio_lines("Spark: ours / bare aggregation (a/c)", ours, bare, "<= 1.3"),
        ratio_lines("Spark: ours / GX (a/b)", ours, gx_spark, "<= 0.4 (GX >= 2.5x slower)"),
        ratio_lines(
            "pandas: ours / GX via validate_with_gx", ours_pd, gx_pd, "<= 0.1 (GX >= 10x slower)"
        ),
        ratio_lines(
            "pandas: ours / GX expectations by hand",
            ours_pd,
            gx_hand_pd,
            "<= 0.1 (GX >= 10x slower)",
        ),
        ratio_lines("pandas: ours / bare vectorised", ours_pd, bare_pd, "-"),
        ratio_lines(
            "pandas, Arrow dtypes: ours / GX via validate_with_gx",
            ours_arrow,
            gx_arrow,
            "<= 0.1 (GX >= 10x slower)",
        ),
        ratio_lines("pandas, Arrow dtypes: ours / bare vectorised", ours_arrow, bare_arrow, "-"),
        "",
        "Failure counts (every engine must agree):",
        "",
        *agreement_table([*spark_timings, *pandas_timings]),
        "",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="Spark rows (default 1e6)")
    parser.add_argument(
        "--pandas-rows", type=int, default=None, help="pandas rows (default: --rows)"
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--output", type=Path, default=RESULTS_FILE)
    args = parser.parse_args(argv)
    args.pandas_rows = args.pandas_rows or args.rows

    print(f"generating {args.rows:,} customers", flush=True)
    pdf = generate_churn(rows=args.rows, seed=7)
    spark, sdf = spark_frame(pdf)
    print(f"Spark, {args.rows:,} cached rows", flush=True)
    spark_timings = measure("spark", args.rows, [
        ("DataValidator", lambda: native(sdf)),
        ("Great Expectations", lambda: great_expectations(sdf)),
        ("bare df.agg", lambda: bare_spark(sdf)),
    ], args.repeats, spark)  # fmt: skip
    sdf.unpersist()

    small = pdf if args.pandas_rows == args.rows else generate_churn(rows=args.pandas_rows, seed=7)
    print(f"pandas, {args.pandas_rows:,} rows", flush=True)
    pandas_timings = measure("pandas", args.pandas_rows, [
        ("DataValidator", lambda: native(small)),
        ("Great Expectations", lambda: great_expectations(small)),
        ("GX expectations by hand", lambda: great_expectations_by_hand(small)),
        ("bare vectorised", lambda: bare_pandas(small)),
    ], args.repeats)  # fmt: skip
    # The same rows in Arrow-backed dtypes (read_parquet(dtype_backend="pyarrow")).
    arrow = small.convert_dtypes(dtype_backend="pyarrow")
    print(f"pandas with Arrow dtypes, {args.pandas_rows:,} rows", flush=True)
    pandas_timings += measure("pandas (Arrow dtypes)", args.pandas_rows, [
        ("DataValidator", lambda: native(arrow)),
        ("Great Expectations", lambda: great_expectations(arrow)),
        ("bare vectorised", lambda: bare_pandas(arrow)),
    ], args.repeats)  # fmt: skip

    text = report(args, spark_timings, pandas_timings, spark.version)
    print()
    print(text)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(f"written to {args.output}")
    for group in (spark_timings, pandas_timings):
        if len({tuple(t.counts) for t in group}) != 1:
            sys.exit("engines disagree on failure counts (see the table above)")
    if args.rows == args.pandas_rows and spark_timings[0].counts != pandas_timings[0].counts:
        sys.exit("the Spark and pandas backends disagree on the same rows")


if __name__ == "__main__":
    main()
