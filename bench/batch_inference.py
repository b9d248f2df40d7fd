"""Batch inference at scale: 1,000,000 rows scored through ``mlflow.pyfunc.spark_udf``
into the inference log (MERGE), on local Spark; then the same rows again (a re-run must
not duplicate the log).

    uv run python bench/batch_inference.py [--rows 1000000]

Prints rows, seconds, rows/s for the first scoring and the re-run, and the log's count;
the same as a table in bench/results/batch_inference.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

os.environ["MLOPS_HOME"] = tempfile.mkdtemp(prefix="mlops-bench-batch-")
os.environ.setdefault("MLOPS_RUNTIME", "local")
os.environ.setdefault("MLOPS_SPARK_DRIVER_MEMORY", "4g")

MODEL = "main.bench.churn_model"
RESULTS_FILE = Path(__file__).parent / "results" / "batch_inference.md"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()

    from databricks_mlops.datasets import generate_churn
    from databricks_mlops.deployment.batch import score_table
    from databricks_mlops.deployment.promotion import promote_challenger
    from databricks_mlops.model_training import train_sample_churn_model
    from databricks_mlops.config.deployment import BatchInferenceConfig
    from databricks_mlops.runtime import get_runtime

    runtime = get_runtime()
    runtime.configure_mlflow()
    train_sample_churn_model(MODEL)
    promote_challenger(MODEL)
    # The sample re-sends some customers (the ingestion job deduplicates them): one row
    # per customer here, so the log's row count must equal the input's.
    # ~1 % are re-sends: generate 2 % more and keep exactly --rows distinct customers.
    sample = generate_churn(args.rows + args.rows // 50, 5).drop_duplicates("customer_id")
    frame = runtime.spark.createDataFrame(sample.head(args.rows))
    runtime.save_table(frame.write.format("delta").mode("overwrite"), "main.bench.customers")
    config = BatchInferenceConfig(
        model_name=MODEL,
        input_table="main.bench.customers",
        output_table="main.bench.inference_log",
        key_columns=["customer_id"],
        timestamp_column="event_date",
        keep_columns=["tenure", "monthly_charges", "contract_type", "churn"],
    )
    lines = [
        "# Batch inference benchmark",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; `uv run python bench/batch_inference.py "
        f"--rows {args.rows}`; {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"local Spark. `score_table`: `mlflow.pyfunc.spark_udf` on `models:/NAME@champion`, "
        "MERGE into the inference log keyed on (customer_id, event_date).",
        "",
        "| run | rows | seconds | rows/s | log version |",
        "|---|---:|---:|---:|---:|",
    ]
    for attempt in ("first scoring", "re-run (same rows)"):
        started = time.perf_counter()
        scoring = score_table(runtime, config)
        seconds = time.perf_counter() - started
        print(
            f"{attempt}: {scoring.rows_scored:,} rows in {seconds:.1f} s "
            f"({scoring.rows_scored / seconds:,.0f} rows/s), log version {scoring.log_version}"
        )
        lines.append(
            f"| {attempt} | {scoring.rows_scored:,} | {seconds:.1f} | "
            f"{scoring.rows_scored / seconds:,.0f} | {scoring.log_version} |"
        )
    inputs = runtime.read_delta(config.input_table).count()
    logged = runtime.read_delta(config.output_table).count()
    print(f"inference log: {logged:,} rows for {inputs:,} input rows")
    lines += ["", f"Inference log after both runs: {logged:,} rows for {inputs:,} input rows."]
    RESULTS_FILE.write_text("\n".join(lines) + "\n")
    return 0 if logged == inputs else 1


if __name__ == "__main__":
    sys.exit(main())
