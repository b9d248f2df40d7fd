"""The model_training tasks through their entry points, on local Delta + MLflow."""

from __future__ import annotations

from pathlib import Path

import pytest
from mlflow import MlflowClient
from pyspark.sql import SparkSession

from databricks_mlops.config.features import FeatureConfig
from databricks_mlops.datasets import generate_churn
from databricks_mlops.feature_engineering.build import build_feature_table
from databricks_mlops.model_training.run_lookup import TAG_JOB_RUN_ID, TAG_SUPERSEDED_BY
from databricks_mlops.runtime import Runtime
from databricks_mlops.tasks.training import evaluate_main, register_main, train_main

SCHEMA = "main.training_tasks"


@pytest.fixture(scope="module")
def tables(spark: SparkSession, runtime: Runtime) -> None:
    raw = generate_churn(rows=900, seed=3).drop_duplicates("customer_id")
    raw["senior_citizen"] = raw["senior_citizen"].astype("int64")
    frame = spark.createDataFrame(raw)
    runtime.save_table(frame.write.format("delta").mode("overwrite"), f"{SCHEMA}.customers")
    labels = frame.select("customer_id", "event_date", "churn")
    runtime.save_table(labels.write.format("delta").mode("overwrite"), f"{SCHEMA}.labels")
    config = FeatureConfig.model_validate(
        {
            "source_table": f"{SCHEMA}.customers",
            "feature_table_name": f"{SCHEMA}.features",
            "primary_keys": ["customer_id"],
            "timestamp_column": "event_date",
            "features": ["tenure", "monthly_charges", "senior_citizen"],
            "feature_transformations": {
                "contract": {"type": "one_hot_encode", "source_column": "contract_type",
                             "categories": ["Month-to-month", "One year", "Two year"],
                             "output_columns": ["contract_monthly", "contract_one_year", "contract_two_year"]},
            },
        }
    )  # fmt: skip
    build_feature_table(runtime, config)


def config(tmp_path: Path, source: str, gate: float = 0.6) -> Path:
    path = tmp_path / "training.yml"
    path.write_text(
        f"model_type: classification\ntarget_column: churn\n{source}\n"
        f"feature_table: {SCHEMA}.features\n"
        "feature_columns: [tenure, monthly_charges, senior_citizen, contract_monthly, contract_one_year, contract_two_year]\n"
        "hyperparameters: {n_estimators: 20, max_depth: 4}\n"
        f"experiment_name: training_tasks\nregistry_model_name: {SCHEMA}.model\n"
        f"gates:\n  - {{metric: roc_auc, threshold: {gate}}}\n"
    )
    return path


def _tagged_run(job_run_id: str) -> str:
    runs = MlflowClient().search_runs(
        [MlflowClient().get_experiment_by_name("training_tasks").experiment_id],
        filter_string=f"tags.`{TAG_JOB_RUN_ID}` = '{job_run_id}'",
    )
    assert len(runs) == 1
    return str(runs[0].info.run_id)


@pytest.mark.usefixtures("tables")
def test_evaluate_and_register_find_the_run_train_tagged_with_the_job_run_id(
    tmp_path: Path,
) -> None:
    # The job's wiring: every task gets --job_run_id={{job.run_id}}, none gets --run_id.
    path = config(tmp_path, f"source_table: {SCHEMA}.customers")
    job = [f"--config={path}", "--job_run_id=job-run-raw-rows"]
    train_main(job)
    run_id = _tagged_run("job-run-raw-rows")
    evaluate_main(job)
    register_main(job)
    version = MlflowClient().get_model_version_by_alias(f"{SCHEMA}.model", "challenger")
    assert version.run_id == run_id


@pytest.mark.usefixtures("tables")
def test_a_repaired_train_supersedes_the_run_of_the_same_job_run(tmp_path: Path) -> None:
    # A repair keeps {{job.run_id}}: the re-run train's run is the one evaluate finds.
    path = config(tmp_path, f"source_table: {SCHEMA}.customers")
    job = [f"--config={path}", "--job_run_id=job-run-repaired"]
    train_main(job)
    first = _tagged_run("job-run-repaired")
    train_main(job)
    client = MlflowClient()
    assert client.get_run(first).data.tags[TAG_SUPERSEDED_BY] != first
    register_main(job)
    version = client.get_model_version_by_alias(f"{SCHEMA}.model", "challenger")
    assert version.run_id == client.get_run(first).data.tags[TAG_SUPERSEDED_BY]


@pytest.mark.usefixtures("tables")
@pytest.mark.usefixtures("tables")
def test_evaluate_of_a_job_run_whose_train_logged_nothing_fails_clearly(tmp_path: Path) -> None:
    path = config(tmp_path, f"source_table: {SCHEMA}.customers")
    train_main([f"--config={path}"])  # the experiment exists, but no run has this job run id
    with pytest.raises(
        SystemExit,
        match=r"no MLflow run in experiment 'training_tasks' is tagged "
        r"mlops\.job_run_id=job-run-never-trained: the train task of job run",
    ):
        evaluate_main([f"--config={path}", "--job_run_id=job-run-never-trained"])


def test_a_literal_task_value_reference_as_run_id_fails_clearly(tmp_path: Path) -> None:
    # What Databricks passes when a wheel task "set" the run id as a task value.
    path = config(tmp_path, f"source_table: {SCHEMA}.customers")
    with pytest.raises(SystemExit, match=r"unresolved dynamic value reference: Databricks"):
        evaluate_main([f"--config={path}", "--run_id={{tasks.train.values.run_id}}"])


def test_evaluate_without_a_run_or_job_run_id_says_what_to_pass(tmp_path: Path) -> None:
    path = config(tmp_path, f"source_table: {SCHEMA}.customers")
    with pytest.raises(SystemExit, match=r"no training run: pass --job_run_id=\{\{job\.run_id"):
        register_main([f"--config={path}"])


@pytest.mark.usefixtures("tables")
def test_an_explicit_run_id_still_works_for_a_run_by_hand(tmp_path: Path) -> None:
    path = config(tmp_path, f"source_table: {SCHEMA}.customers")
    train_main([f"--config={path}", "--job_run_id=job-run-by-hand"])
    run_id = _tagged_run("job-run-by-hand")
    evaluate_main([f"--config={path}", f"--run_id={run_id}"])
    register_main([f"--config={path}", f"--run_id={run_id}"])
    version = MlflowClient().get_model_version_by_alias(f"{SCHEMA}.model", "challenger")
    assert version.run_id == run_id


@pytest.mark.usefixtures("tables")
def test_train_from_labels_joined_point_in_time(tmp_path: Path) -> None:
    path = config(tmp_path, f"label_table: {SCHEMA}.labels")
    train_main([f"--config={path}", "--job_run_id=job-run-labels"])
    run = MlflowClient().get_run(_tagged_run("job-run-labels"))
    assert run.data.metrics["test_roc_auc"] > 0.6


@pytest.mark.usefixtures("tables")
def test_impossible_gate_fails_evaluate_and_registers_nothing(tmp_path: Path) -> None:
    path = config(tmp_path, f"source_table: {SCHEMA}.customers", gate=0.999)
    job = [f"--config={path}", "--job_run_id=job-run-gated"]
    train_main(job)
    client = MlflowClient()
    before = len(client.search_model_versions(f"name='{SCHEMA}.model'"))
    with pytest.raises(SystemExit, match=r"failed its gates: .*roc_auc.*0\.999"):
        evaluate_main(job)
    with pytest.raises(SystemExit, match="was not registered"):
        register_main(job)
    assert len(client.search_model_versions(f"name='{SCHEMA}.model'")) == before
