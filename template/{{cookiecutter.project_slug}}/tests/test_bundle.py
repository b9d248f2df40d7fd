"""The bundle: every job parses with the official typed model, on every target, and every
python_wheel_task names an entry point this package declares."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path

import pytest
from databricks_mlops.runner import load_bundle

PROJECT = Path(__file__).resolve().parents[1]

TARGETS = ("dev", "staging", "prod", "test")


@pytest.mark.parametrize("target", TARGETS)
def test_every_job_parses_with_the_typed_model(target: str) -> None:
    from databricks.bundles.jobs import Job

    bundle = load_bundle(PROJECT, target, {})
    assert "mlops_workflow" in bundle.jobs
    for key, definition in bundle.jobs.items():
        typed = copy.deepcopy(definition)
        for task in typed["tasks"]:
            if "run_job_task" in task:
                # ${resources.jobs.X.id} is a number only once deployed.
                assert task["run_job_task"]["job_id"].removeprefix("local-job:") in bundle.jobs
                task["run_job_task"]["job_id"] = 0
        assert Job.from_dict(typed).tasks, f"job {key} has no tasks"


@pytest.mark.parametrize("target", TARGETS)
def test_every_entry_point_is_declared(target: str) -> None:
    scripts = tomllib.loads((PROJECT / "pyproject.toml").read_text())["project"]["scripts"]
    bundle = load_bundle(PROJECT, target, {})
    entry_points = {
        task["python_wheel_task"]["entry_point"]
        for job in bundle.jobs.values()
        for task in job["tasks"]
        if "python_wheel_task" in task
    }
    assert entry_points
    assert entry_points <= set(scripts), f"undeclared: {sorted(entry_points - set(scripts))}"
