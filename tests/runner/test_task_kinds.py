"""Entry point lookup through real distribution metadata, argv conversion, conditions."""

from __future__ import annotations

import importlib.metadata
from types import ModuleType

import _pytest.config
import pytest

from databricks_mlops.errors import RunnerError
from databricks_mlops.runner.task_kinds import (
    evaluate_condition,
    exit_failure,
    find_entry_point,
    resolve_entry_point,
    task_type_of,
    wheel_arguments,
)


def test_entry_point_is_found_in_distribution_metadata() -> None:
    # The `pytest` distribution declares console script `pytest`; found, not run.
    assert resolve_entry_point("pytest", "pytest") is _pytest.config._console_main


def test_project_task_entry_point_is_declared_in_its_metadata() -> None:
    # Looked up without loading it, so this holds whatever state the task module is in.
    # The reference bundle spells it `databricks_mlops`; metadata lookup normalises names.
    distribution = importlib.metadata.distribution("databricks_mlops")
    point = find_entry_point(distribution, "mlops-ingest")
    assert point is not None
    assert point.group == "console_scripts"
    assert point.value == "databricks_mlops.tasks.ingest:main"


def test_fallback_imports_package_and_calls_attribute(tasks_module: ModuleType) -> None:
    assert resolve_entry_point("runner-fake-tasks", "record") is tasks_module.record


def test_missing_entry_point_suggests_a_declared_one() -> None:
    with pytest.raises(
        RunnerError,
        match=r"distribution 'pytest' has no entry point 'pytset' \(did you mean 'pytest'\?\), "
        r"and module 'pytest' has no function 'pytset'.*uv sync",
    ):
        resolve_entry_point("pytest", "pytset")


def test_missing_package() -> None:
    with pytest.raises(RunnerError, match=r"'nope-pkg' is not installed .*pip install -e \."):
        resolve_entry_point("nope-pkg", "main")


def test_named_parameters_become_dash_dash_key_equals_value() -> None:
    settings = {"named_parameters": {"config": "configs/a.yml", "env": "dev", "n": 3}}
    assert wheel_arguments("main", settings) == [
        "main",
        "--config=configs/a.yml",
        "--env=dev",
        "--n=3",
    ]
    assert wheel_arguments("main", {"parameters": ["--x", 1]}) == ["main", "--x", "1"]
    assert wheel_arguments("main", {}) == ["main"]
    with pytest.raises(RunnerError, match="sets both parameters and named_parameters"):
        wheel_arguments("main", {"parameters": [], "named_parameters": {}})


def test_exit_codes() -> None:
    assert exit_failure(SystemExit(0)) is None
    assert exit_failure(SystemExit(None)) is None
    assert exit_failure(SystemExit(2)) == "exited with code 2"
    assert exit_failure(SystemExit("validation failed")) == "validation failed"


def test_conditions_compare_like_databricks() -> None:
    assert evaluate_condition("GREATER_THAN", "10", "9.5")
    assert not evaluate_condition("EQUAL_TO", "12.0", "12")
    assert evaluate_condition("LESS_THAN", "apple", "banana")
    assert evaluate_condition("EQUAL_TO", True, "true")
    with pytest.raises(RunnerError, match="has no 'right' operand"):
        evaluate_condition("EQUAL_TO", "a", None)


def test_task_type_of() -> None:
    assert task_type_of({"task_key": "a", "depends_on": [], "sql_task": {}}) == "sql_task"
    assert task_type_of({"task_key": "a"}) == "unknown"
