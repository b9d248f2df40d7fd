"""Rendering helpers shared by the template tests."""

from __future__ import annotations

import re
import tempfile
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "template"
VALIDATOR = Path("/work/shared/bundle-schema/validate_bundle.py")
TARGETS = ("dev", "staging", "prod", "test")

# Every option at least once; the second row is the non-default render.
MATRIX: dict[str, dict[str, str]] = {
    "defaults": {},
    "azure-clusters-regression-lean": {
        "cloud": "azure",
        "compute": "job_clusters",
        "model_type": "regression",
        "include_serving_endpoint": "no",
        "include_monitoring": "no",
    },
    "gcp-no-features-no-ci-py311": {
        "project_name": "Demand Forecast",
        "cloud": "gcp",
        "include_feature_table": "no",
        "ci": "none",
        "python_version": "3.11",
        "catalog_dev": "ml_dev",
        "catalog_staging": "ml_staging",
        "catalog_prod": "ml_prod",
        "workspace_host_dev": "https://dev-ws.cloud.databricks.com",
        "workspace_host_staging": "https://staging-ws.cloud.databricks.com",
        "workspace_host_prod": "https://prod-ws.cloud.databricks.com",
    },
    "aws-clusters-everything-off": {
        "compute": "job_clusters",
        "include_feature_table": "no",
        "include_serving_endpoint": "no",
        "include_monitoring": "no",
        "model_type": "regression",
    },
}

# Databricks' run-time references ({{job.run_id}}, {{tasks.x.values.y}}) and GitHub
# expressions (${{ ... }}) are meant to be there; anything else is an unrendered template.
_ALLOWED_BRACES = re.compile(r"\$\{\{.*?\}\}|\{\{(job|tasks|task|run|backfill)\.[^}]*\}\}")
LEFTOVER = re.compile(r"\{\{|\{%|%\}|\}\}")


def leftover_jinja(text: str) -> list[str]:
    return LEFTOVER.findall(_ALLOWED_BRACES.sub("", text))


def scripts(project: Path) -> dict[str, str]:
    return dict(tomllib.loads((project / "pyproject.toml").read_text())["project"]["scripts"])


_BUILT: list[Path] = []


def framework_wheel() -> Path:
    """This checkout's wheel, built once per test process (what `databricks-mlops new`
    vendors from an editable install: `uv build --wheel`, about a second)."""
    if not _BUILT:
        from databricks_mlops.project.framework_wheel import build_from_checkout

        _BUILT.append(build_from_checkout(REPO, Path(tempfile.mkdtemp(prefix="framework-wheel-"))))
    return _BUILT[0]


def render(output: Path, answers: Mapping[str, str] | None = None, **extra: Any) -> Path:
    """The template rendered as `databricks-mlops new` does: by default the framework is
    vendored (this checkout's wheel in vendor/, built once per session)."""
    from databricks_mlops.project import generate_project

    extra.setdefault("framework_wheel", framework_wheel())
    return generate_project(
        dict(answers or {}),
        output,
        no_input=True,
        template=extra.pop("template", TEMPLATE),
        **extra,
    )


def job_graph(jobs: Mapping[str, Mapping[str, Any]], entry_prefix: str) -> dict[str, Any]:
    """Jobs -> task keys -> (depends_on, what the task runs), with the entry point's
    project prefix taken off so the root's `mlops-x` and a project's `<slug>-x` compare."""
    graph: dict[str, Any] = {}
    for key, job in jobs.items():
        tasks: dict[str, Any] = {}
        for task in job["tasks"]:
            depends = sorted(
                (d["task_key"], str(d.get("outcome", ""))) for d in task.get("depends_on", [])
            )
            if "python_wheel_task" in task:
                entry = task["python_wheel_task"]["entry_point"]
                assert entry.startswith(entry_prefix), f"{key}.{task['task_key']}: {entry}"
                runs: Any = ("wheel", entry.removeprefix(entry_prefix))
            elif "run_job_task" in task:
                runs = ("run_job", str(task["run_job_task"]["job_id"]).removeprefix("local-job:"))
            elif "condition_task" in task:
                condition = task["condition_task"]
                runs = ("condition", condition["op"], condition["left"], condition["right"])
            else:
                runs = ("other", sorted(k for k in task if k.endswith("_task")))
            tasks[task["task_key"]] = (depends, runs)
        graph[key] = tasks
    return graph
