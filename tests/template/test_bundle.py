"""The generated bundle: schema-valid for every target, typed jobs, the root's job graph."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from tests.template.helpers import MATRIX, REPO, TARGETS, VALIDATOR, framework_wheel, job_graph

RENDERS = sorted(MATRIX)
TASK_VALUE_REFERENCE = re.compile(r"\{\{\s*tasks\.([A-Za-z0-9_-]+)\.values\.")


@pytest.mark.parametrize("name", ["root-bundle", *RENDERS])
def test_task_values_come_only_from_notebook_tasks_and_wheel_tasks_get_the_job_run_id(
    rendered: dict[str, Path], name: str
) -> None:
    """Databricks drops task values set from a python_wheel_task (a reference to one stays
    literal text): only a notebook task may be the source of a ``{{tasks.X.values.Y}}``, and
    wheel tasks key what they hand on by ``{{job.run_id}}``."""
    from databricks_mlops.runner import load_bundle
    from databricks_mlops.runner.task_kinds import task_type_of

    project = REPO if name == "root-bundle" else rendered[name]
    notebooks = 0
    for key, job in load_bundle(project, "dev", {}).jobs.items():
        kinds = {task["task_key"]: task_type_of(task) for task in job["tasks"]}
        for task in job["tasks"]:
            for producer in TASK_VALUE_REFERENCE.findall(json.dumps(task)):
                assert kinds[producer] == "notebook_task", (
                    f"{name}: {key}.{task['task_key']} reads a task value of "
                    f"{producer}, a {kinds[producer]}"
                )
            if "python_wheel_task" in task:
                named = task["python_wheel_task"]["named_parameters"]
                assert named["job_run_id"] == "{{job.run_id}}", f"{name}: {key}.{task['task_key']}"
            if "notebook_task" in task:
                notebooks += 1
                # Relative to the job's YAML file in resources/, as the CLI resolves it.
                path = project / "resources" / task["notebook_task"]["notebook_path"]
                assert path.read_text().startswith("# Databricks notebook source"), path
    monitoring = name == "root-bundle" or MATRIX[name].get("include_monitoring") != "no"
    assert notebooks == (1 if monitoring else 0)


@pytest.mark.parametrize("name", RENDERS)
def test_bundle_passes_the_cli_schema_for_every_target(
    rendered: dict[str, Path], name: str
) -> None:
    if not VALIDATOR.is_file():
        pytest.skip(f"bundle schema validator not found at {VALIDATOR}")
    # The validator checks each file, the merged bundle and every target's merge.
    done = subprocess.run(
        [sys.executable, str(VALIDATOR), "databricks.yml"],
        cwd=rendered[name],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == "OK"


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("name", RENDERS)
def test_every_job_parses_with_databricks_bundles(
    rendered: dict[str, Path], name: str, target: str
) -> None:
    from databricks.bundles.jobs import Job

    from databricks_mlops.runner import load_bundle

    bundle = load_bundle(rendered[name], target, {})
    assert bundle.target == target
    for key, definition in bundle.jobs.items():
        typed = copy.deepcopy(definition)
        for task in typed["tasks"]:
            if "run_job_task" in task:
                assert task["run_job_task"]["job_id"].removeprefix("local-job:") in bundle.jobs
                task["run_job_task"]["job_id"] = 0  # a number once deployed
        job = Job.from_dict(typed)
        assert job.tasks, f"{name}: job {key} has no tasks"


def test_the_default_render_has_the_root_bundles_job_graph(rendered: dict[str, Path]) -> None:
    from databricks_mlops.runner import load_bundle

    root = job_graph(load_bundle(REPO, "dev", {}).jobs, "mlops-")
    generated = job_graph(load_bundle(rendered["defaults"], "dev", {}).jobs, "churn-mlops-")
    assert sorted(generated) == sorted(root)
    for job in root:
        assert generated[job] == root[job], f"job {job} differs from the root bundle"


def test_non_default_render_drops_stages_from_the_workflow(rendered: dict[str, Path]) -> None:
    from databricks_mlops.runner import load_bundle

    jobs = load_bundle(rendered["azure-clusters-regression-lean"], "prod", {}).jobs
    assert sorted(jobs) == [
        "batch_inference",
        "data_ingestion",
        "feature_engineering",
        "mlops_workflow",
        "model_deployment",
        "model_training",
    ]
    assert [t["task_key"] for t in jobs["model_deployment"]["tasks"]] == ["promote"]
    assert [t["task_key"] for t in jobs["mlops_workflow"]["tasks"]][-1] == "batch_inference"
    # Job clusters on Azure node types, the wheel attached as a library to each task.
    cluster = jobs["model_training"]["job_clusters"][0]["new_cluster"]
    assert cluster["node_type_id"] == "Standard_D4ds_v5"
    libraries = [{"whl": f"../vendor/{framework_wheel().name}"}, {"whl": "../dist/*.whl"}]
    assert all(t["libraries"] == libraries for t in jobs["model_training"]["tasks"])


def test_prod_runs_as_the_service_principal_with_team_permissions(
    rendered: dict[str, Path],
) -> None:
    import yaml

    from databricks_mlops.runner import load_bundle

    targets = yaml.safe_load((rendered["defaults"] / "databricks.yml").read_text())["targets"]
    assert targets["prod"]["mode"] == "production"
    assert targets["prod"]["run_as"] == {"service_principal_name": "${var.service_principal_id}"}
    # One anchored block, so staging and prod cannot drift apart.
    assert targets["prod"]["permissions"] == targets["staging"]["permissions"]
    # The deploying principal's home: /Workspace/Shared would be writable by every user.
    for target in ("staging", "prod", "test"):
        root_path = targets[target]["workspace"]["root_path"]
        assert root_path.startswith("/Workspace/Users/${workspace.current_user.userName}/")
    assert load_bundle(rendered["defaults"], "dev", {}).mode == "development"
    assert load_bundle(rendered["defaults"], "prod", {}).variables["service_principal_id"]


# The dataset's names: bundle variables, given to the tasks as named parameters.
DATASET_NAMES = {
    "source_file": "patients.parquet",
    "bronze_table": "patients_bronze",
    "feature_table": "patient_features",
    "key_column": "patient_id",
    "target_column": "outcome",
}
KIND_OF_CONFIG = {
    "data": "data",
    "features": "feature",
    "training": "training",
    "deployment": "deployment",
    "inference": "inference",
    "monitoring": "monitoring",
}


def task_configs(project: Path, target: str, variables: dict[str, str]) -> dict[str, Any]:
    """Every python_wheel_task's config, loaded with the named parameters the bundle passes
    that task (Databricks' run-time values stood in for): a ``${name}`` a task is not given
    fails here, as it would on the cluster."""
    from databricks_mlops.config.kinds import CONFIG_KINDS
    from databricks_mlops.runner import load_bundle

    loaded: dict[str, Any] = {}
    for job in load_bundle(project, target, variables).jobs.values():
        for task in job["tasks"]:
            named = dict(task.get("python_wheel_task", {}).get("named_parameters") or {})
            if not named:
                continue
            path = Path(named.pop("config"))
            parameters = {k: "1" if "{{" in str(v) else str(v) for k, v in named.items()}
            loaded[path.stem] = CONFIG_KINDS[KIND_OF_CONFIG[path.stem]].from_yaml(path, parameters)
    return loaded


@pytest.mark.parametrize("name", RENDERS)
def test_the_dataset_is_named_once_in_the_bundle_variables(
    rendered: dict[str, Path], name: str
) -> None:
    """Renaming the dataset's file, tables, key and label is an edit of databricks.yml's
    variables: every stage's config follows, none keeps a name of its own."""
    from databricks_mlops.runner import load_bundle

    project = rendered[name]
    declared = load_bundle(project, "dev", {}).variables
    chosen = {k: v for k, v in DATASET_NAMES.items() if k in declared}
    assert set(DATASET_NAMES) - set(chosen) <= {"feature_table"}, sorted(declared)
    configs = task_configs(project, "dev", chosen)
    where = f"{declared['catalog']}.{declared['schema']}"
    data = configs["data"]
    assert data.source_path.endswith("/raw/patients.parquet")
    assert data.destination_path == f"{where}.patients_bronze"
    assert data.transformation_steps[0].keys == ["patient_id"]
    training = configs["training"]
    assert (training.source_table, training.target_column) == (
        f"{where}.patients_bronze",
        "outcome",
    )
    inference = configs["inference"]
    assert inference.input_table == f"{where}.patients_bronze"
    assert inference.key_columns == ["patient_id"] and "outcome" in inference.keep_columns
    if "features" in configs:
        features = configs["features"]
        assert features.source_table == f"{where}.patients_bronze"
        assert features.feature_table_name == f"{where}.patient_features"
        assert features.primary_keys == ["patient_id"]
        assert training.feature_table == f"{where}.patient_features"
    if "monitoring" in configs:
        monitoring = configs["monitoring"]
        assert monitoring.label_column == "outcome"
        assert monitoring.data_drift_detection.reference_dataset.startswith(
            f"{where}.patients_bronze@"
        )
    for config in configs.values():
        dumped = config.model_dump_json()
        for old in ("customers.csv", "customers_bronze", "customer_features"):
            assert old not in dumped, f"{type(config).__name__} still names {old}"


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("name", RENDERS)
def test_every_compute_runs_the_local_spark_version(
    rendered: dict[str, Path], name: str, target: str
) -> None:
    """Job clusters and serverless environments run the local engine's Spark (4.0), for
    every answer: DBR 15.4/16.4 and serverless 2/3 are Spark 3.5, which no local run checks."""
    from databricks_mlops.runner import load_bundle
    from databricks_mlops.runner.databricks_versions import compute_spark_mismatches

    jobs = dict(load_bundle(rendered[name], target, {}).jobs)
    assert any(job.get("environments") or job.get("job_clusters") for job in jobs.values())
    assert compute_spark_mismatches(jobs) == []


def test_a_spark_3_5_runtime_is_reported() -> None:
    from databricks_mlops.runner.databricks_versions import compute_spark_mismatches

    jobs = {
        "a": {"job_clusters": [{"new_cluster": {"spark_version": "16.4.x-scala2.12"}}]},
        "b": {"environments": [{"spec": {"environment_version": "3"}}]},
    }
    assert compute_spark_mismatches(jobs) == [
        "job a: cluster 16.4.x-scala2.12 runs Spark 3.5, the local engine 4.0",
        "job b: serverless environment 3 runs Spark 3.5, the local engine 4.0",
    ]


@pytest.mark.parametrize("target", ["dev", "test"])
@pytest.mark.parametrize("name", RENDERS)
def test_dev_and_test_schedules_are_left_to_the_pausing_presets(
    rendered: dict[str, Path], name: str, target: str
) -> None:
    """Development mode and the test target's presets pause schedules only where a job
    sets no pause_status (the CLI's apply_presets): an explicit UNPAUSED would make every
    developer's copy and CD's disposable copy retrain, score and alert on a timer."""
    from databricks_mlops.runner import load_bundle

    bundle = load_bundle(rendered[name], target, {})
    presets = bundle.config.get("presets") or {}
    assert bundle.mode == "development" or presets.get("trigger_pause_status") == "PAUSED"
    for key, job in bundle.jobs.items():
        for trigger in ("schedule", "trigger", "continuous"):
            assert (job.get(trigger) or {}).get("pause_status") in (None, "PAUSED"), key


@pytest.mark.parametrize(
    "name", [n for n in RENDERS if MATRIX[n].get("include_serving_endpoint") != "no"]
)
def test_deploy_names_its_endpoint_per_target_and_per_developer_and_outlasts_the_rollout(
    rendered: dict[str, Path], name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Development mode does not prefix a name only a config holds: the endpoint name comes
    from a bundle variable that adds the developer in dev. The deploy task's timeout
    covers creation plus every traffic step's wait."""
    from databricks_mlops.config.kinds import DeploymentConfig
    from databricks_mlops.runner import load_bundle

    names = {}
    for target, user in (
        ("dev", "ada@example.com"),
        ("dev", "bob@example.com"),
        ("staging", "ada@example.com"),
    ):
        monkeypatch.setenv("MLOPS_LOCAL_USER", user)
        bundle = load_bundle(rendered[name], target, {})
        tasks = {t["task_key"]: t for t in bundle.jobs["model_deployment"]["tasks"]}
        parameters = tasks["deploy"]["python_wheel_task"]["named_parameters"]
        config = DeploymentConfig.from_yaml(
            rendered[name] / "configs" / "deployment.yml", parameters
        )
        assert config.serving is not None
        names[(target, user)] = config.serving.endpoint_name
        rollout = config.serving.rollout
        worst_case = (len(rollout.traffic_steps) + 1) * rollout.wait_timeout_seconds
        assert tasks["deploy"]["timeout_seconds"] >= worst_case
        assert bundle.jobs["model_deployment"]["timeout_seconds"] >= sum(
            t["timeout_seconds"] * (1 + t.get("max_retries", 0)) for t in tasks.values()
        )
    assert len(set(names.values())) == 3, names
