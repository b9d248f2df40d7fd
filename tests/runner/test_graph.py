"""build_task_graph: dependency checks and a stable topological order."""

from __future__ import annotations

from typing import Any

import pytest

from databricks_mlops.errors import RunnerError
from databricks_mlops.runner.graph import Dependency, build_task_graph


def task(key: str, *depends: str) -> dict[str, Any]:
    return {"task_key": key, "depends_on": [{"task_key": d} for d in depends]}


def test_order_is_topological_and_stable_by_declaration() -> None:
    tasks = [
        task("report", "train", "validate"),
        task("ingest"),
        task("validate", "ingest"),
        task("train", "ingest"),
        task("docs"),
    ]
    graph = build_task_graph("job", tasks)
    assert graph.order == ("ingest", "validate", "train", "report", "docs")
    assert graph.downstream_of("ingest") == ["validate", "train"]


def test_outcome_is_kept_on_the_edge() -> None:
    edge = {"task_key": "check", "outcome": True}  # YAML `true` unquoted
    tasks = [task("check"), {"task_key": "go", "depends_on": [edge]}]
    graph = build_task_graph("job", tasks)
    assert graph.nodes["go"].depends_on == (Dependency("check", "true"),)


def test_unknown_dependency_suggests_a_task() -> None:
    with pytest.raises(RunnerError, match=r"unknown task 'ingset' \(did you mean 'ingest'"):
        build_task_graph("job", [task("ingest"), task("train", "ingset")])


def test_cycle_is_reported_with_its_path() -> None:
    with pytest.raises(RunnerError, match=r"job 'job' has a dependency cycle: a -> b -> a"):
        build_task_graph("job", [task("a", "b"), task("b", "a"), task("c", "a")])


def test_self_dependency() -> None:
    with pytest.raises(RunnerError, match="task 'a' depends on itself"):
        build_task_graph("job", [task("a", "a")])


def test_duplicate_and_missing_keys() -> None:
    with pytest.raises(RunnerError, match="declares task 'a' twice"):
        build_task_graph("job", [task("a"), task("a")])
    with pytest.raises(RunnerError, match=r"tasks\[0\] has no task_key"):
        build_task_graph("job", [{"python_wheel_task": {}}])
    with pytest.raises(RunnerError, match="job 'empty' has no tasks"):
        build_task_graph("empty", [])
