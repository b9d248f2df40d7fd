"""The model_training tasks through their entry points, on local Delta + MLflow."""

from __future__ import annotations

from pathlib import Path

import pytest
from mlflow import MlflowClient
from pyspark.sql import SparkSession

from databricks_mlops.datasets import generate_churn
from databricks_mlops.feature_engineering.build import build_feature_table
from databricks_mlops.models.features import FeatureConfig
from databricks_mlops.runtime import Runtime
from databricks_mlops.runtime.task_values import get_task_value
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


@pytest.mark.usefixtures("tables")
def test_train_evaluate_register_from_raw_rows(tmp_path: Path) -> None:
    path = config(tmp_path, f"source_table: {SCHEMA}.customers")
    train_main([f"--config={path}"])
    run_id = get_task_value("train", "run_id")
    evaluate_main([f"--config={path}", f"--run_id={run_id}"])
    assert get_task_value("evaluate", "gates_passed") is True
    register_main([f"--config={path}", f"--run_id={run_id}"])
    version = MlflowClient().get_model_version_by_alias(f"{SCHEMA}.model", "challenger")
    assert version.run_id == run_id


@pytest.mark.usefixtures("tables")
def test_train_from_labels_joined_point_in_time(tmp_path: Path) -> None:
    path = config(tmp_path, f"label_table: {SCHEMA}.labels")
    train_main([f"--config={path}"])
    run = MlflowClient().get_run(get_task_value("train", "run_id"))
    assert run.data.metrics["test_roc_auc"] > 0.6


@pytest.mark.usefixtures("tables")
def test_impossible_gate_fails_evaluate_and_registers_nothing(tmp_path: Path) -> None:
    path = config(tmp_path, f"source_table: {SCHEMA}.customers", gate=0.999)
    train_main([f"--config={path}"])
    run_id = get_task_value("train", "run_id")
    client = MlflowClient()
    before = len(client.search_model_versions(f"name='{SCHEMA}.model'"))
    with pytest.raises(SystemExit, match=r"failed its gates: .*roc_auc.*0\.999"):
        evaluate_main([f"--config={path}", f"--run_id={run_id}"])
    with pytest.raises(SystemExit, match="was not registered"):
        register_main([f"--config={path}", f"--run_id={run_id}"])
    assert len(client.search_model_versions(f"name='{SCHEMA}.model'")) == before
