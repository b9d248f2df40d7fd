"""notebook_task in the local runner: source-format .py notebooks with widgets and task values."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from rich.console import Console

from databricks_mlops.runner import JobRunResult, TaskStatus, load_bundle, run_job
from databricks_mlops.runner.notebook_task import NotebookNotRunnableError, notebook_cells

BundleWriter = Callable[[dict[str, str]], Path]

# Writes what it saw to the file named by the widget `out`, sets two task values.
NOTEBOOK = """\
# Databricks notebook source
# MAGIC %md
# MAGIC # A job notebook

# COMMAND ----------

import json

dbutils.widgets.text("threshold", "0.5")
dbutils.widgets.text("unused", "default-kept")
seen = {name: dbutils.widgets.get(name) for name in ("run", "threshold", "unused", "mode")}

# COMMAND ----------

dbutils.jobs.taskValues.set(key="drift_detected", value="true")
dbutils.jobs.taskValues.set("score", 0.75)
with open(dbutils.widgets.get("out"), "w", encoding="utf-8") as handle:
    json.dump(seen, handle)
dbutils.notebook.exit("done")
raise AssertionError("exit ends the notebook")
"""


def wheel(task_key: str, function: str, *depends: str, **extra: Any) -> dict[str, Any]:
    settings = {"package_name": "runner_fake_tasks", "entry_point": function, **extra}
    return {
        "task_key": task_key,
        "python_wheel_task": settings,
        "depends_on": [{"task_key": key} for key in depends],
    }


def notebook_job(out: Path, notebook_path: str = "../notebooks/gate.py") -> dict[str, Any]:
    return {
        "name": "gate",
        "parameters": [{"name": "mode", "default": "strict"}],
        "tasks": [
            {
                "task_key": "state",
                "notebook_task": {
                    "notebook_path": notebook_path,
                    "base_parameters": {
                        "run": "{{job.run_id}}",
                        "out": str(out),
                        "mode": "from-base",  # the job parameter of the same name wins
                    },
                },
            },
            {
                "task_key": "gate",
                "depends_on": [{"task_key": "state"}],
                "condition_task": {
                    "op": "EQUAL_TO",
                    "left": "{{tasks.state.values.drift_detected}}",
                    "right": "true",
                },
            },
            wheel(
                "consumer",
                "record",
                "state",
                parameters=["{{tasks.state.values.score}}"],
            ),
        ],
    }


def run_bundle(
    write_bundle: BundleWriter, job: dict[str, Any], notebook: str = NOTEBOOK, name: str = "gate.py"
) -> JobRunResult:
    # The job lives in resources/, so a relative notebook_path is relative to that file.
    root = write_bundle(
        {
            "databricks.yml": "bundle: {name: nb}\ninclude: [resources/*.yml]\n",
            "resources/gate.job.yml": yaml.safe_dump({"resources": {"jobs": {"gate": job}}}),
            f"notebooks/{name}": notebook,
        }
    )
    bundle = load_bundle(root, None, {}, environ={})
    return run_job(bundle, "gate", console=Console(record=True, width=200, color_system=None))


def test_a_notebook_task_runs_with_widgets_and_its_task_values_are_visible(
    write_bundle: BundleWriter, tasks_module: ModuleType, tmp_path: Path
) -> None:
    out = tmp_path / "seen.json"
    result = run_bundle(write_bundle, notebook_job(out))
    assert result.succeeded, result.task("state").error
    assert result.statuses["state"] is TaskStatus.SUCCESS
    assert yaml.safe_load(out.read_text()) == {
        "run": result.run_id,  # {{job.run_id}} in base_parameters, resolved
        "threshold": "0.5",  # widget default
        "unused": "default-kept",
        "mode": "strict",
    }
    assert result.task("gate").outcome == "true"
    assert tasks_module.CALLS[0]["argv"] == ["record", "0.75"]
    assert result.notes == ()


def test_notebook_path_without_the_extension_is_found(
    write_bundle: BundleWriter, tasks_module: ModuleType, tmp_path: Path
) -> None:
    result = run_bundle(write_bundle, notebook_job(tmp_path / "o.json", "../notebooks/gate"))
    assert result.task("state").status is TaskStatus.SUCCESS


def test_a_missing_widget_fails_the_task_clearly(
    write_bundle: BundleWriter, tasks_module: ModuleType, tmp_path: Path
) -> None:
    job = notebook_job(tmp_path / "o.json")
    del job["tasks"][0]["notebook_task"]["base_parameters"]["run"]
    result = run_bundle(write_bundle, job)
    assert result.task("state").status is TaskStatus.FAILED
    assert result.task("state").error == (
        "notebooks/gate.py: no input widget named 'run' is defined (Databricks raises "
        "InputWidgetNotDefined); widgets: mode, out, threshold, unused; pass it in the task's "
        "base_parameters or declare it with dbutils.widgets.text"
    )


def test_a_notebook_that_is_not_source_format_python_is_not_runnable(
    write_bundle: BundleWriter, tasks_module: ModuleType, tmp_path: Path
) -> None:
    job = notebook_job(tmp_path / "o.json", "../notebooks/gate.ipynb")
    result = run_bundle(write_bundle, job, notebook='{"cells": []}', name="gate.ipynb")
    assert result.task("state").status is TaskStatus.FAILED
    assert result.task("state").error == (
        "not runnable locally: notebook gate.ipynb is not a Python notebook in Databricks "
        "source format (a .py file whose first line is '# Databricks notebook source'); "
        "other notebooks (.ipynb, SQL, Scala, R) run on Databricks only"
    )
    assert result.task("state").attempts == 1


def test_magic_commands_other_than_markdown_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "nb.py"
    path.write_text(
        "# Databricks notebook source\nx = 1\n\n# COMMAND ----------\n\n# MAGIC %sql\n"
        "# MAGIC SELECT 1\n"
    )
    with pytest.raises(NotebookNotRunnableError, match=r"cell 2 of notebook nb\.py uses %sql"):
        notebook_cells(path)


def test_a_workspace_path_outside_the_bundle_is_not_runnable(
    write_bundle: BundleWriter, tasks_module: ModuleType, tmp_path: Path
) -> None:
    job = notebook_job(tmp_path / "o.json", "/Workspace/Shared/gate")
    result = run_bundle(write_bundle, job)
    assert result.task("state").error == (
        "notebook /Workspace/Shared/gate is a workspace path outside the bundle; locally only "
        "notebooks in the bundle run (give notebook_path relative to the job's YAML file, "
        "e.g. ../notebooks/drift_gate.py)"
    )
