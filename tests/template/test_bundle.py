"""The generated bundle: schema-valid for every target, typed jobs, the root's job graph."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest
from tests.template.helpers import MATRIX, REPO, TARGETS, VALIDATOR, job_graph

RENDERS = sorted(MATRIX)


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
    assert all(t["libraries"] == [{"whl": "./dist/*.whl"}] for t in jobs["model_training"]["tasks"])


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
