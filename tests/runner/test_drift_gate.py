"""The retraining loop of model_monitoring, end to end in the local runner, on a small bundle:
check_drift (wheel) records its outcome by job run id -> drift_state (the real drift_gate.py
notebook the bundles ship) sets the task value -> drift_gate (condition) -> retrain (run_job_task).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest
from rich.console import Console

from databricks_mlops.runner import JobRunResult, TaskStatus, load_bundle, run_job
from databricks_mlops.runtime import Runtime

BundleWriter = Callable[[dict[str, str]], Path]
REPO = Path(__file__).resolve().parents[2]
STATE_TABLE = "main.drift_gate_test.mlops_run_state"
DRIFT_STATE_NOTEBOOK = "src/databricks_mlops/monitoring/notebooks/drift_gate.py"

MONITORING_JOB = """\
variables:
  drift:
    default: "false"
resources:
  jobs:
    monitoring:
      name: monitoring
      tasks:
        - task_key: check_drift
          python_wheel_task:
            package_name: runner_fake_tasks
            entry_point: record_drift
            named_parameters:
              job_run_id: "{{job.run_id}}"
              run_state_table: __TABLE__
              drift: ${var.drift}
        - task_key: drift_state
          depends_on: [ { task_key: check_drift } ]
          notebook_task:
            notebook_path: ../notebooks/drift_gate.py
            base_parameters:
              job_run_id: "{{job.run_id}}"
              run_state_table: __TABLE__
        - task_key: drift_gate
          depends_on: [ { task_key: drift_state } ]
          condition_task:
            op: EQUAL_TO
            left: "{{tasks.drift_state.values.drift_detected}}"
            right: "true"
        - task_key: retrain
          depends_on: [ { task_key: drift_gate, outcome: "true" } ]
          run_job_task:
            job_id: ${resources.jobs.training.id}
    training:
      name: training
      tasks:
        - task_key: train
          python_wheel_task:
            package_name: runner_fake_tasks
            entry_point: record
            named_parameters:
              job_run_id: "{{job.run_id}}"
""".replace("__TABLE__", STATE_TABLE)


def run_monitoring(write_bundle: BundleWriter, drift: str) -> JobRunResult:
    notebook = (REPO / DRIFT_STATE_NOTEBOOK).read_text(encoding="utf-8")
    root = write_bundle(
        {
            "databricks.yml": "bundle: {name: gate}\ninclude: [resources/*.yml]\n",
            "resources/monitoring.job.yml": MONITORING_JOB,
            "notebooks/drift_gate.py": notebook,
        }
    )
    bundle = load_bundle(root, None, {"drift": drift}, environ={})
    console = Console(record=True, width=200, color_system=None)
    result = run_job(bundle, "monitoring", console=console)
    assert result.succeeded, console.export_text()
    return result


@pytest.mark.usefixtures("runtime")
def test_drift_runs_the_retraining_job(
    write_bundle: BundleWriter, tasks_module: ModuleType
) -> None:
    result = run_monitoring(write_bundle, "true")
    assert result.statuses == {
        "check_drift": TaskStatus.SUCCESS,
        "drift_state": TaskStatus.SUCCESS,
        "drift_gate": TaskStatus.SUCCESS,
        "retrain": TaskStatus.SUCCESS,
    }
    assert result.task("drift_gate").outcome == "true"
    check, train = tasks_module.CALLS
    assert check["job_run_id"] == result.run_id
    child = result.task("retrain").nested
    assert child is not None and child.statuses == {"train": TaskStatus.SUCCESS}
    # The child job run has its own job run id, as on Databricks.
    assert train["argv"] == ["record", f"--job_run_id={child.run_id}"]
    assert child.run_id != result.run_id
    assert result.notes == ()


@pytest.mark.usefixtures("runtime")
def test_no_drift_leaves_the_retraining_job_alone(
    write_bundle: BundleWriter, tasks_module: ModuleType
) -> None:
    result = run_monitoring(write_bundle, "false")
    assert result.task("drift_gate").outcome == "false"
    assert result.statuses["retrain"] is TaskStatus.EXCLUDED
    assert [call["task"] for call in tasks_module.CALLS] == ["check_drift"]


@pytest.mark.usefixtures("runtime")
def test_the_gate_notebook_fails_clearly_when_check_drift_recorded_nothing(
    write_bundle: BundleWriter, tasks_module: ModuleType, runtime: Runtime
) -> None:
    run_monitoring(write_bundle, "true")  # the table exists, with another run's row
    job = MONITORING_JOB.replace("entry_point: record_drift", "entry_point: record")
    root = write_bundle({"resources/monitoring.job.yml": job})
    result = run_job(
        load_bundle(root, None, {"drift": "true"}, environ={}),
        "monitoring",
        console=Console(record=True, width=200, color_system=None),
    )
    assert result.task("drift_state").status is TaskStatus.FAILED
    assert (
        f"ValueError: no drift_detected recorded for job run {result.run_id} in {STATE_TABLE}: "
        "check_drift records it"
    ) in (result.task("drift_state").error or "")
    assert result.statuses["retrain"] is TaskStatus.SKIPPED


def test_every_shipped_drift_state_notebook_is_the_one_tested_here() -> None:
    """The root bundle and setup_monitoring use the wheel's notebook; a generated project
    ships its own copy (its bundle cannot reach the vendored wheel's files): the same."""
    tested = (REPO / DRIFT_STATE_NOTEBOOK).read_bytes()
    template_copy = REPO / "template/{{cookiecutter.project_slug}}/notebooks/drift_gate.py"
    assert template_copy.read_bytes() == tested
    root_job = (REPO / "resources/model_monitoring.job.yml").read_text()
    assert f"notebook_path: ../{DRIFT_STATE_NOTEBOOK}" in root_job
