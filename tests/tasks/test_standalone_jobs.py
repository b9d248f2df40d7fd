"""Each lifecycle job that uses MLflow, run on its own in a fresh process, as a schedule or
a user's ``databricks-mlops run JOB`` runs it: nothing earlier in the process has pointed
MLflow anywhere, so the job has to configure the local home's store itself.

The jobs run one after the other on the same home (training -> promote -> batch scoring ->
monitoring), each in its own Python process with a project directory as the working
directory; the module fixture runs them once and the tests check one job each.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass

import pytest
from mlflow import MlflowClient
from pyspark.sql import SparkSession

from databricks_mlops.datasets import generate_churn
from databricks_mlops.runtime import Runtime
from databricks_mlops.tasks.arguments import run_task

pytestmark = pytest.mark.slow

SCHEMA = "main.standalone_jobs"
MODEL = f"{SCHEMA}.churn_model"
FEATURES = ["tenure", "monthly_charges", "senior_citizen"]

CONFIGS = {
    "training.yml": f"""
        model_type: classification
        target_column: churn
        source_table: {SCHEMA}.customers
        feature_columns: [{", ".join(FEATURES)}]
        hyperparameters: {{n_estimators: 10, max_depth: 4}}
        experiment_name: /tests/standalone_jobs
        registry_model_name: {MODEL}
        gates: [{{metric: roc_auc, threshold: 0.55}}]
        """,
    "deployment.yml": f"""
        model_name: {MODEL}
        model_version: "@champion"
        deployment_type: batch
        """,
    "inference.yml": f"""
        model_name: {MODEL}
        input_table: {SCHEMA}.customers_now
        output_table: {SCHEMA}.inference_log
        key_columns: [customer_id]
        keep_columns: [{", ".join(FEATURES)}, churn]
        """,
    # No absolute thresholds: a performance breach can only come from the comparison
    # with the champion's training run.
    "monitoring.yml": f"""
        model_name: {MODEL}
        metrics: [accuracy, feature_drift]
        inference_table: {SCHEMA}.inference_log
        window: all
        label_column: churn
        data_drift_detection:
          reference_dataset: {SCHEMA}.customers@v0
          features: [tenure, monthly_charges]
        model_performance_tracking:
          baseline_alias: champion
          max_drop: 0.05
        experiment_name: /tests/standalone_jobs_monitoring
        retrain_on_drift: false
        report_dir: /Volumes/main/standalone_jobs/raw/reports
        alert_state_dir: /Volumes/main/standalone_jobs/raw/alerts
        """,
}

# One process per job; its tasks run in order in that process, as the local runner does.
JOBS = {
    "model_training": """
        from databricks_mlops.tasks.training import evaluate_main, register_main, train_main
        # As the job passes it: evaluate and register find train's run by this id.
        args = ["--config=configs/training.yml", "--job_run_id=standalone-run-1"]
        train_main(args)
        evaluate_main(args)
        register_main(args)
        """,
    "model_deployment": """
        from databricks_mlops.tasks.deployment import promote_main
        promote_main(["--config=configs/deployment.yml"])
        """,
    "batch_inference": """
        from databricks_mlops.tasks.deployment import score_main
        score_main(["--config=configs/inference.yml"])
        """,
    "model_monitoring": """
        from databricks_mlops.tasks.monitoring import monitor_main
        monitor_main(["--config=configs/monitoring.yml"])
        """,
}


@dataclass(frozen=True)
class JobRun:
    returncode: int
    stdout: str
    stderr: str
    stray: list[str]  # MLflow stores that appeared in the working directory


@pytest.fixture(scope="module")
def runs(
    spark: SparkSession, runtime: Runtime, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, JobRun]:
    """The churn rows to train on, and today's rows whose labels came out the opposite of
    what the model learnt (the same inputs, so no drift; only the champion comparison can
    see that the model got worse). Then every job, each in a fresh process."""
    frame = generate_churn(rows=800, seed=5).drop_duplicates("customer_id")
    frame = frame[["customer_id", *FEATURES, "churn"]].astype({"senior_citizen": "int64"})
    runtime.save_table(
        spark.createDataFrame(frame).write.format("delta").mode("overwrite"),
        f"{SCHEMA}.customers",
    )
    flipped = frame.assign(churn=1 - frame["churn"])
    runtime.save_table(
        spark.createDataFrame(flipped).write.format("delta").mode("overwrite"),
        f"{SCHEMA}.customers_now",
    )
    project = tmp_path_factory.mktemp("standalone_project")
    (project / "configs").mkdir()
    for name, text in CONFIGS.items():
        (project / "configs" / name).write_text(textwrap.dedent(text))
    env = {**os.environ, "MLOPS_HOME": str(runtime.home), "MLOPS_RUNTIME": "local"}
    for key in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI"):
        env.pop(key, None)  # a fresh shell: nothing points MLflow anywhere yet
    results: dict[str, JobRun] = {}
    for job, script in JOBS.items():
        done = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(script)],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        stray = sorted(p.name for p in project.iterdir() if p.name in ("mlflow.db", "mlruns"))
        results[job] = JobRun(done.returncode, done.stdout, done.stderr, stray)
        if done.returncode != 0:
            break  # the later jobs need this one's model
    return results


def finished(runs: dict[str, JobRun], job: str) -> JobRun:
    assert job in runs, f"an earlier job failed: {[(k, v.stderr[-2000:]) for k, v in runs.items()]}"
    run = runs[job]
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stray == [], f"{job} wrote MLflow state into the working directory"
    return run


def test_training_on_its_own_uses_the_homes_store(
    runs: dict[str, JobRun], runtime: Runtime
) -> None:
    finished(runs, "model_training")
    runtime.configure_mlflow()
    challenger = MlflowClient().get_model_version_by_alias(MODEL, "challenger")
    assert str(challenger.version) == "1"


def test_deployment_on_its_own_promotes_in_the_homes_registry(
    runs: dict[str, JobRun], runtime: Runtime
) -> None:
    finished(runs, "model_deployment")
    runtime.configure_mlflow()
    assert str(MlflowClient().get_model_version_by_alias(MODEL, "champion").version) == "1"


def test_batch_inference_on_its_own_scores_with_the_champion(
    runs: dict[str, JobRun], spark: SparkSession, runtime: Runtime
) -> None:
    finished(runs, "batch_inference")
    log = runtime.read_delta(f"{SCHEMA}.inference_log")
    versions = {row["model_version"] for row in log.select("model_version").distinct().collect()}
    assert versions == {"1"}


def test_monitoring_on_its_own_compares_with_the_champion(
    runs: dict[str, JobRun], runtime: Runtime
) -> None:
    out = finished(runs, "model_monitoring").stdout
    assert "baseline comparison skipped" not in out, out
    # The inputs did not move, the labels did: accuracy fell from the champion's test
    # accuracy to about its complement, and only the baseline comparison can say so.
    assert "no drift: drift score 0.0000; 1 breach(es)" in out, out
    runtime.configure_mlflow()
    experiment = MlflowClient().get_experiment_by_name("/tests/standalone_jobs_monitoring")
    assert experiment is not None, "the monitoring run is not in the home's tracking store"


def test_every_task_points_mlflow_at_the_homes_store_first(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("MLFLOW_REGISTRY_URI", raising=False)
    seen: list[tuple[str | None, str | None]] = []
    run_task(
        lambda: seen.append(
            (os.environ.get("MLFLOW_TRACKING_URI"), os.environ.get("MLFLOW_REGISTRY_URI"))
        )
    )
    uri = f"sqlite:///{runtime.home / 'mlflow.db'}"
    assert seen == [(uri, uri)]
