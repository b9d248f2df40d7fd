"""MLOpsWorkflow on the local backends, from the reference bundle's own configs."""

from __future__ import annotations

from pathlib import Path

import pytest
from mlflow import MlflowClient

from databricks_mlops.config.kinds import DataConfig, FeatureConfig, TrainingConfig
from databricks_mlops.datasets import generate_churn, write_dataset
from databricks_mlops.pipelines import MLOpsWorkflow, WorkflowError
from databricks_mlops.runtime import Runtime
from databricks_mlops.utils.auth import WorkspaceConfig

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def configs(schema: str) -> tuple[DataConfig, FeatureConfig, TrainingConfig]:
    variables = {"catalog": "main", "schema": schema, "experiment_name": f"/tests/{schema}"}
    return (
        DataConfig.from_yaml(CONFIGS / "data.yml", variables),
        FeatureConfig.from_yaml(CONFIGS / "features.yml", variables),
        TrainingConfig.from_yaml(CONFIGS / "training.yml", variables),
    )


def test_runs_every_stage_and_returns_a_registered_version(runtime: Runtime) -> None:
    write_dataset(
        generate_churn(800, 3), Path(runtime.path("/Volumes/main/workflow/raw/customers.csv"))
    )
    data, features, training = configs("workflow")
    workflow = MLOpsWorkflow(
        workspace=WorkspaceConfig(),  # no host: the local backends
        data_config=data,
        feature_config=features,
        training_config=training,
    )
    result = workflow.run()

    assert [(stage.name, stage.status) for stage in result.stages] == [
        ("ingestion", "succeeded"),
        ("validation", "succeeded"),
        ("features", "succeeded"),
        ("training", "succeeded"),
        ("evaluation", "succeeded"),
        ("registration", "succeeded"),
        ("promotion", "skipped"),
        ("deployment", "skipped"),
    ]
    assert result.succeeded
    version = MlflowClient().get_model_version(result.model_name, result.version)
    assert version.run_id == result.run_id
    assert result.model_id is not None
    assert MlflowClient().get_logged_model(result.model_id).model_id == result.model_id
    assert 0.5 < result.metrics["roc_auc"] <= 1.0
    assert "rows ->" in result.stages[0].detail


def test_a_failed_stage_names_itself_and_keeps_the_stages_before(runtime: Runtime) -> None:
    data, features, training = configs("workflow_missing")  # no source file written
    workflow = MLOpsWorkflow(data_config=data, feature_config=features, training_config=training)
    with pytest.raises(WorkflowError, match="the ingestion stage failed") as raised:
        workflow.run()
    assert [(s.name, s.status) for s in raised.value.result.stages] == [("ingestion", "failed")]


def test_a_batch_failing_an_error_rule_is_never_published(runtime: Runtime) -> None:
    frame = generate_churn(300, 5)
    frame.loc[frame.index[:3], "monthly_charges"] = -1.0  # positive_monthly_charges: ERROR
    write_dataset(frame, Path(runtime.path("/Volumes/main/workflow_rejected/raw/customers.csv")))
    data, features, training = configs("workflow_rejected")
    workflow = MLOpsWorkflow(data_config=data, feature_config=features, training_config=training)
    with pytest.raises(
        WorkflowError,
        match=r"the validation stage failed: .*positive_monthly_charges; nothing was published: "
        r"main\.workflow_rejected\.customers_bronze was not created",
    ) as raised:
        workflow.run()
    assert [(s.name, s.status) for s in raised.value.result.stages] == [
        ("ingestion", "succeeded"),
        ("validation", "failed"),
    ]
    assert (
        "staged for main.workflow_rejected.customers_bronze" in raised.value.result.stages[0].detail
    )
    assert not runtime.delta_exists("main.workflow_rejected.customers_bronze")
    assert runtime.delta_exists("main.workflow_rejected.customers_bronze_staging")
