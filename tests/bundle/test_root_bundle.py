"""The reference bundle at the repository root: typed job models and real entry points."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path

import pytest
from databricks.bundles.jobs import Job

from databricks_mlops.runner import load_bundle

REPO = Path(__file__).resolve().parents[2]
TARGETS = ("dev", "staging", "prod")


def declared_scripts() -> dict[str, str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return dict(project["scripts"])


@pytest.mark.parametrize("target", TARGETS)
def test_every_job_parses_with_the_official_typed_model(target: str) -> None:
    bundle = load_bundle(REPO, target, {})
    assert bundle.jobs, "the root bundle defines no jobs"
    for key, definition in bundle.jobs.items():
        typed = copy.deepcopy(definition)
        for task in typed["tasks"]:
            if "run_job_task" in task:
                # ${resources.jobs.X.id} is a number only once deployed; locally a reference.
                assert task["run_job_task"]["job_id"].removeprefix("local-job:") in bundle.jobs
                task["run_job_task"]["job_id"] = 0
        job = Job.from_dict(typed)  # raises on unknown or mistyped fields
        assert job.tasks, f"job {key} has no tasks"


@pytest.mark.parametrize("target", TARGETS)
def test_every_wheel_entry_point_is_declared_by_the_wheel(target: str) -> None:
    scripts = declared_scripts()
    bundle = load_bundle(REPO, target, {})
    wheel_tasks = [
        task["python_wheel_task"]
        for job in bundle.jobs.values()
        for task in job["tasks"]
        if "python_wheel_task" in task
    ]
    assert wheel_tasks
    for task in wheel_tasks:
        assert task["package_name"].replace("_", "-") == "databricks-mlops"
        assert task["entry_point"] in scripts, f"{task['entry_point']} is not in [project.scripts]"
        # Prefixed, so installing the wheel cannot shadow another tool's command.
        assert task["entry_point"].startswith("mlops-")


def test_targets_point_tasks_at_their_own_schema() -> None:
    schemas = {}
    for target in TARGETS:
        task = load_bundle(REPO, target, {}).jobs["data_ingestion"]["tasks"][0]
        schemas[target] = task["python_wheel_task"]["named_parameters"]["schema"]
        assert task["python_wheel_task"]["named_parameters"]["config"] == f"{REPO}/configs/data.yml"
    assert schemas == {"dev": "churn_dev", "staging": "churn_staging", "prod": "churn_prod"}


@pytest.mark.parametrize("path", sorted((REPO / "configs").glob("*.yml")), ids=lambda p: p.name)
def test_every_reference_config_loads_with_its_schema(path: Path) -> None:
    from databricks_mlops.config.kinds import CONFIG_KINDS

    kind = next(k for k in CONFIG_KINDS if path.stem.startswith(k))
    variables = {"catalog": "main", "schema": "churn_dev", "experiment_name": "/Shared/x"}
    config = CONFIG_KINDS[kind].from_yaml(path, variables)
    assert "${" not in config.model_dump_json()  # every variable was resolved


@pytest.mark.parametrize("target", TARGETS)
def test_deploy_creates_what_the_jobs_read_and_write(target: str) -> None:
    """A fresh workspace has no schema, no raw volume and no experiment folder: the bundle
    must declare each one a task names, or the first run fails (RESOURCE_DOES_NOT_EXIST)."""
    from databricks_mlops.config.kinds import DataConfig

    bundle = load_bundle(REPO, target, {})
    resources = bundle.config["resources"]
    schemas = {(s["catalog_name"], s["name"]) for s in resources.get("schemas", {}).values()}
    volumes = {
        (v["catalog_name"], v["schema_name"], v["name"])
        for v in resources.get("volumes", {}).values()
    }
    experiments = {e["name"] for e in resources.get("experiments", {}).values()}

    for job in bundle.jobs.values():
        for task in job["tasks"]:
            parameters = task.get("python_wheel_task", {}).get("named_parameters", {})
            if "schema" in parameters:
                assert (parameters["catalog"], parameters["schema"]) in schemas, task["task_key"]
            if "experiment_name" in parameters:
                assert parameters["experiment_name"] in experiments, task["task_key"]

    ingest = bundle.jobs["data_ingestion"]["tasks"][0]["python_wheel_task"]["named_parameters"]
    config = DataConfig.from_yaml(REPO / "configs" / "data.yml", ingest)
    _, kind, catalog, schema, volume, *_ = config.source_path.split("/")
    assert kind == "Volumes"
    assert (catalog, schema, volume) in volumes
    assert (catalog, schema) in schemas


@pytest.mark.parametrize("target", TARGETS)
def test_serverless_tasks_run_the_local_spark_version(target: str) -> None:
    """Green locally means the same Spark on Databricks: environment 3 is Spark 3.5 (no
    pyspark.ml on serverless either), while the local engine is PySpark 4.0."""
    from databricks_mlops.runner.databricks_versions import compute_spark_mismatches

    assert compute_spark_mismatches(dict(load_bundle(REPO, target, {}).jobs)) == []


def test_deploy_task_outlasts_the_rollout_it_waits_for() -> None:
    """The deploy task waits for the endpoint's creation, then for each traffic step, each
    up to wait_timeout_seconds: a task timeout below that kills a rollout that would
    have succeeded, halfway through its traffic shift."""
    from databricks_mlops.config.kinds import DeploymentConfig

    bundle = load_bundle(REPO, "dev", {})
    deploy = next(t for t in bundle.jobs["model_deployment"]["tasks"] if t["task_key"] == "deploy")
    config = DeploymentConfig.from_yaml(
        REPO / "configs" / "deployment.yml", deploy["python_wheel_task"]["named_parameters"]
    )
    assert config.serving is not None
    rollout = config.serving.rollout
    worst_case = (len(rollout.traffic_steps) + 1) * rollout.wait_timeout_seconds
    assert deploy["timeout_seconds"] >= worst_case
