"""The CLI end to end, in process (so the suite's SparkSession is reused)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pyspark.sql import SparkSession
from typer.testing import CliRunner

from databricks_mlops.cli.app import app
from databricks_mlops.runtime import Runtime

REPO = Path(__file__).resolve().parents[2]
runner = CliRunner()


def test_root_bundle_data_ingestion_job_runs_locally_and_is_idempotent(
    spark: SparkSession, runtime: Runtime
) -> None:
    made = runner.invoke(
        app,
        [
            "sample-data",
            "churn",
            "--rows",
            "600",
            "--out",
            "/Volumes/main/churn_dev/raw/customers.csv",
        ],
    )
    assert made.exit_code == 0, made.output
    counts = []
    for _ in range(2):
        result = runner.invoke(app, ["run", "data_ingestion", "-C", str(REPO)])
        assert result.exit_code == 0, result.output
        counts.append(spark.table(runtime.table("main.churn_dev.customers_bronze")).count())
    assert counts[0] == counts[1] > 0
    # validate ran after ingest each time: impossible ages held back (not duplicated on re-run),
    # one history row per rule per run.
    quarantine = spark.table(runtime.table("main.churn_dev.customers_bronze_quarantine"))
    assert quarantine.count() > 0
    assert quarantine.where("age >= 0 AND age <= 120").count() == 0
    runs = spark.table(runtime.table("main.churn_dev.validation_runs"))
    assert runs.select("run_id").distinct().count() == 2
    assert runs.count() == 2 * 10
    # The feature job on the validated table: twice gives the same table, content included.
    snapshots = []
    for _ in range(2):
        result = runner.invoke(app, ["run", "feature_engineering", "-C", str(REPO)])
        assert result.exit_code == 0, result.output
        snapshot = spark.table(runtime.table("main.churn_dev.customer_features")).cache()
        snapshot.count()  # materialise now, before the next run rewrites anything
        snapshots.append(snapshot)
    assert snapshots[0].count() == snapshots[1].count() == counts[1]
    assert snapshots[0].exceptAll(snapshots[1]).count() == 0
    # Training on the feature table's stored state: registered as @challenger.
    trained = runner.invoke(app, ["run", "model_training", "-C", str(REPO)])
    assert trained.exit_code == 0, trained.output
    from mlflow import MlflowClient

    runtime.configure_mlflow()
    version = MlflowClient().get_model_version_by_alias("main.churn_dev.churn_model", "challenger")
    assert version.tags["gate.verdict"] == "passed"
    promoted = runner.invoke(app, ["run", "model_deployment", "-C", str(REPO)])
    assert promoted.exit_code == 0, promoted.output
    champion = MlflowClient().get_model_version_by_alias("main.churn_dev.churn_model", "champion")
    assert champion.version == version.version
    # deploy started the champion behind the local endpoint; smoke_test queried it by name.
    assert "smoke_test: 3 rows answered by version" in promoted.output
    from databricks_mlops.model_serving import ModelClient
    from databricks_mlops.models.serving import ClientConfig

    client_config = ClientConfig.model_validate(
        {"workspace_url": "http://127.0.0.1", "auth": {"auth_type": "none"}}
    )
    sample = spark.table(runtime.table("main.churn_dev.customers_bronze")).limit(3).toPandas()
    with ModelClient(client_config) as client:
        answer = client.predict("churn-predictor", sample)
    assert answer.metadata.model_version == str(champion.version)
    assert all(0 <= p <= 1 for p in answer.predictions["probability"])
    # Batch inference with @champion, twice: the log is not duplicated, and its predictions
    # are what the registered model returns for the same raw rows.
    for _ in range(2):
        scored = runner.invoke(app, ["run", "batch_inference", "-C", str(REPO)])
        assert scored.exit_code == 0, scored.output
    log = spark.table(runtime.table("main.churn_dev.churn_inference_log"))
    assert log.count() == counts[1]
    import mlflow

    sample = spark.table(runtime.table("main.churn_dev.customers_bronze")).limit(25).toPandas()
    direct = mlflow.pyfunc.load_model("models:/main.churn_dev.churn_model@champion").predict(sample)
    logged = log.where(log.customer_id.isin(list(sample.customer_id))).toPandas()
    by_id = dict(zip(logged.customer_id, logged.probability, strict=True))
    assert [by_id[c] for c in sample.customer_id] == pytest.approx(list(direct["probability"]))
    shown = runner.invoke(app, ["table", "main.churn_dev.customers_bronze"])
    assert shown.exit_code == 0, shown.output
    assert f"main.churn_dev.customers_bronze: {counts[0]} rows" in shown.output


def test_target_variables_reach_the_task(spark: SparkSession, runtime: Runtime) -> None:
    made = runner.invoke(
        app,
        [
            "sample-data",
            "churn",
            "--rows",
            "100",
            "--out",
            "/Volumes/main/churn_staging/raw/customers.csv",
        ],
    )
    assert made.exit_code == 0, made.output
    result = runner.invoke(app, ["run", "data_ingestion", "-C", str(REPO), "--target", "staging"])
    assert result.exit_code == 0, result.output
    assert spark.table(runtime.table("main.churn_staging.customers_bronze")).count() > 0


FAILING_BUNDLE = """\
bundle: {name: failing}
resources:
  jobs:
    three_steps:
      name: three_steps
      tasks:
        - task_key: first
          python_wheel_task: {package_name: cli_fixture_tasks, entry_point: ok}
        - task_key: middle
          depends_on: [{task_key: first}]
          python_wheel_task: {package_name: cli_fixture_tasks, entry_point: boom}
        - task_key: last
          depends_on: [{task_key: middle}]
          python_wheel_task: {package_name: cli_fixture_tasks, entry_point: ok}
"""


def test_failing_middle_task_fails_the_run_and_skips_downstream(tmp_path: Path) -> None:
    (tmp_path / "databricks.yml").write_text(FAILING_BUNDLE)
    (tmp_path / "cli_fixture_tasks.py").write_text(
        "def ok():\n    print('ok ran')\n\ndef boom():\n    raise RuntimeError('middle exploded')\n"
    )
    # A real process: exit code and output as a user sees them.
    completed = subprocess.run(
        [sys.executable, "-m", "databricks_mlops.cli", "run", "three_steps", "-C", str(tmp_path)],
        capture_output=True, text=True, cwd=tmp_path, env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin",
                                                          "COLUMNS": "200", "MLOPS_RUNTIME": "local"},
    )  # fmt: skip
    assert completed.returncode == 1
    report = completed.stdout + completed.stderr
    assert "middle exploded" in report
    lines = {
        line.split()[1]: line
        for line in report.splitlines()
        if line.strip().startswith("│") and len(line.split()) > 3
    }
    assert "SUCCESS" in lines["first"]
    assert "FAILED" in lines["middle"]
    assert "SKIPPED" in lines["last"]


def test_unknown_job_key_lists_jobs_with_a_suggestion() -> None:
    result = runner.invoke(app, ["run", "data_ingest", "-C", str(REPO)])
    assert result.exit_code != 0
    assert "did you mean 'data_ingestion'?" in str(result.exception) + result.output


def test_validate_config_error_is_one_line_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "training.yml"
    bad.write_text(
        "model_type: classification\ntarget_column: y\nfeature_columns: [a]\nregistry_model_name: m\nsplit_ratio: [1]\n"
    )
    completed = subprocess.run(
        [sys.executable, "-m", "databricks_mlops.cli", "validate-config", str(bad)],
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 1
    assert "Traceback" not in completed.stderr
    assert f"{bad}:5: split_ratio: unknown field (did you mean 'split_ratios'?)" in " ".join(
        completed.stderr.split()
    )


def test_validate_config_accepts_the_reference_config() -> None:
    result = runner.invoke(
        app,
        [
            "validate-config",
            str(REPO / "configs/data.yml"),
            "--var",
            "catalog=main",
            "--var",
            "schema=s",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "is a valid data config" in result.output


def test_sample_data_rejects_unknown_dataset(tmp_path: Path) -> None:
    result = runner.invoke(app, ["sample-data", "chrun", "--out", str(tmp_path / "x.csv")])
    assert result.exit_code != 0
    assert "did you mean 'churn'?" in str(result.exception)


def test_version() -> None:
    result = runner.invoke(app, ["version"])
    assert result.exit_code == 0
    assert result.output.startswith("databricks-mlops ")
