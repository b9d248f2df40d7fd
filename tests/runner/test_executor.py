"""run_job: task order, statuses, run_if, conditions, nested jobs, task values, retries."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from rich.console import Console

from databricks_mlops.errors import RunnerError
from databricks_mlops.runner import JobRunResult, TaskStatus, load_bundle, run_job

BundleWriter = Callable[[dict[str, str]], Path]
SUCCESS, FAILED, SKIPPED, EXCLUDED = (
    TaskStatus.SUCCESS,
    TaskStatus.FAILED,
    TaskStatus.SKIPPED,
    TaskStatus.EXCLUDED,
)


def wheel(task_key: str, function: str, *depends: str, **extra: Any) -> dict[str, Any]:
    """A python_wheel_task calling ``runner_fake_tasks.<function>``."""
    settings: dict[str, Any] = {"package_name": "runner_fake_tasks", "entry_point": function}
    for key in ("parameters", "named_parameters"):
        if key in extra:
            settings[key] = extra.pop(key)
    task: dict[str, Any] = {"task_key": task_key, "python_wheel_task": settings, **extra}
    if depends:
        task["depends_on"] = [{"task_key": key} for key in depends]
    return task


def run(
    write_bundle: BundleWriter,
    jobs: dict[str, list[dict[str, Any]] | dict[str, Any]],
    job_key: str = "job",
    job_parameters: dict[str, str] | None = None,
    console: Console | None = None,
) -> JobRunResult:
    resources = {
        key: spec if isinstance(spec, dict) else {"name": key, "tasks": spec}
        for key, spec in jobs.items()
    }
    document = {"bundle": {"name": "test"}, "resources": {"jobs": resources}}
    root = write_bundle({"databricks.yml": yaml.safe_dump(document, sort_keys=False)})
    bundle = load_bundle(root, None, {}, environ={})
    shown = console or Console(record=True, width=200, color_system=None)
    return run_job(bundle, job_key, job_parameters, console=shown)


def test_tasks_run_in_dependency_order_with_argv_and_env(
    write_bundle: BundleWriter, tasks_module: ModuleType
) -> None:
    tasks = [
        wheel("b", "record", "a", parameters=["--x", "1"]),
        wheel("a", "record", named_parameters={"catalog": "main", "table": "t"}),
        wheel("c", "exit_zero", "a", "b"),
    ]
    result = run(write_bundle, {"job": tasks})
    assert result.succeeded
    assert result.statuses == {"a": SUCCESS, "b": SUCCESS, "c": SUCCESS}
    calls = tasks_module.CALLS
    assert [call["task"] for call in calls] == ["a", "b", "c"]
    assert calls[0]["argv"] == ["record", "--catalog=main", "--table=t"]
    assert calls[1]["argv"] == ["record", "--x", "1"]
    assert {call["job"] for call in calls} == {"job"}
    assert {call["run_id"] for call in calls} == {result.run_id}


def test_argv_and_env_are_restored(write_bundle: BundleWriter, tasks_module: ModuleType) -> None:
    argv_before = list(sys.argv)
    run(write_bundle, {"job": [wheel("a", "record", parameters=["p"])]})
    assert sys.argv == argv_before
    assert "MLOPS_TASK_KEY" not in os.environ


def test_failing_middle_task_skips_downstream(
    write_bundle: BundleWriter, tasks_module: ModuleType
) -> None:
    console = Console(record=True, width=200, color_system=None)
    tasks = [
        wheel("ingest", "record"),
        wheel("validate", "exit_nonzero", "ingest"),
        wheel("train", "record", "validate"),
        wheel("report", "record", "train"),
    ]
    result = run(write_bundle, {"job": tasks}, console=console)
    assert not result.succeeded
    assert result.statuses == {
        "ingest": SUCCESS,
        "validate": FAILED,
        "train": SKIPPED,
        "report": SKIPPED,
    }
    assert result.task("validate").error == "exited with code 3"
    assert result.task("train").reason == "upstream failed"
    assert [call["task"] for call in tasks_module.CALLS] == ["ingest", "validate"]
    output = console.export_text()
    assert "Job job FAILED" in output
    assert "exited with code 3" in output


def test_unexpected_exception_keeps_traceback(
    write_bundle: BundleWriter, tasks_module: ModuleType
) -> None:
    console = Console(record=True, width=200, color_system=None)
    result = run(write_bundle, {"job": [wheel("a", "raise_unexpected")]}, console=console)
    failed = result.task("a")
    assert failed.error == "ValueError: boom in task code"
    assert failed.traceback is not None
    assert "raise ValueError" in failed.traceback
    assert "Traceback of task a" in console.export_text()


def test_mlops_error_is_reported_without_traceback(
    write_bundle: BundleWriter, tasks_module: ModuleType
) -> None:
    result = run(write_bundle, {"job": [wheel("a", "raise_config_error")]})
    assert result.task("a").error == "configs/bad.yml:3: field 'x' is required"
    assert result.task("a").traceback is None


@pytest.mark.parametrize(
    ("run_if", "expected"),
    [
        ("ALL_DONE", SUCCESS),
        ("AT_LEAST_ONE_FAILED", SUCCESS),
        ("ALL_FAILED", EXCLUDED),  # a failure handler that was not needed
        ("NONE_FAILED", SKIPPED),
        ("AT_LEAST_ONE_SUCCESS", SUCCESS),
        ("ALL_SUCCESS", SKIPPED),
    ],
)
def test_run_if_after_a_failure(
    write_bundle: BundleWriter, tasks_module: ModuleType, run_if: str, expected: TaskStatus
) -> None:
    tasks = [
        wheel("ok", "record"),
        wheel("bad", "exit_nonzero"),
        wheel("after", "record", "ok", "bad", run_if=run_if),
    ]
    result = run(write_bundle, {"job": tasks})
    assert result.task("after").status is expected
    assert not result.succeeded


def test_failure_handler_is_excluded_when_nothing_failed(
    write_bundle: BundleWriter, tasks_module: ModuleType
) -> None:
    tasks = [wheel("a", "record"), wheel("on_error", "record", "a", run_if="AT_LEAST_ONE_FAILED")]
    result = run(write_bundle, {"job": tasks})
    assert result.statuses == {"a": SUCCESS, "on_error": EXCLUDED}
    assert result.succeeded


def _condition_job(left: str, op: str, right: str) -> list[dict[str, Any]]:
    return [
        {"task_key": "check", "condition_task": {"op": op, "left": left, "right": right}},
        wheel("on_true", "record", depends_on=[{"task_key": "check", "outcome": "true"}]),
        wheel("on_false", "record", depends_on=[{"task_key": "check", "outcome": "false"}]),
        wheel("after_true", "record", "on_true"),
        wheel("join", "record", "on_true", "on_false"),
    ]


@pytest.mark.parametrize(
    ("left", "op", "right", "outcome"),
    [
        ("0.31", "GREATER_THAN", "0.2", "true"),
        ("10", "GREATER_THAN", "9", "true"),  # numeric, not string order
        ("0.1", "GREATER_THAN_OR_EQUAL", "0.2", "false"),
        ("abc", "EQUAL_TO", "abc", "true"),
        ("12.0", "EQUAL_TO", "12", "false"),  # Databricks compares == as strings
        ("a", "NOT_EQUAL", "b", "true"),
        ("b", "LESS_THAN", "a", "false"),
        ("3", "LESS_THAN_OR_EQUAL", "3", "true"),
    ],
)
def test_condition_branches(
    write_bundle: BundleWriter,
    tasks_module: ModuleType,
    left: str,
    op: str,
    right: str,
    outcome: str,
) -> None:
    result = run(write_bundle, {"job": _condition_job(left, op, right)})
    assert result.succeeded
    assert result.task("check").outcome == outcome
    taken, other = ("on_true", "on_false") if outcome == "true" else ("on_false", "on_true")
    assert result.task(taken).status is SUCCESS
    assert result.task(other).status is EXCLUDED
    # Tasks only downstream of an excluded task are excluded too; a join runs.
    assert result.task("after_true").status is (SUCCESS if outcome == "true" else EXCLUDED)
    assert result.task("join").status is SUCCESS


def test_condition_with_unknown_operator_fails(
    write_bundle: BundleWriter, tasks_module: ModuleType
) -> None:
    result = run(write_bundle, {"job": _condition_job("1", "GREATER_THEN", "2")})
    assert result.task("check").status is FAILED
    assert "did you mean 'GREATER_THAN'" in (result.task("check").error or "")
    assert result.task("on_true").status is SKIPPED


def test_run_job_task_runs_the_child_job(
    write_bundle: BundleWriter, tasks_module: ModuleType
) -> None:
    jobs: dict[str, Any] = {
        "parent": [
            wheel("prepare", "record"),
            {
                "task_key": "retrain",
                "depends_on": [{"task_key": "prepare"}],
                "run_job_task": {
                    "job_id": "${resources.jobs.child.id}",
                    "job_parameters": {"reason": "{{job.name}}-drift"},
                },
            },
        ],
        "child": {
            "name": "child",
            "parameters": [{"name": "reason", "default": "manual"}],
            "tasks": [wheel("train", "record", parameters=["{{job.parameters.reason}}"])],
        },
    }
    result = run(write_bundle, jobs, job_key="parent")
    assert result.succeeded
    nested = result.task("retrain").nested
    assert nested is not None
    assert nested.job_key == "child"
    assert nested.statuses == {"train": SUCCESS}
    assert tasks_module.CALLS[-1]["argv"] == ["record", "parent-drift"]
    assert tasks_module.CALLS[-1]["job"] == "child"


def test_failing_child_job_fails_the_run_job_task(
    write_bundle: BundleWriter, tasks_module: ModuleType
) -> None:
    jobs: dict[str, Any] = {
        "parent": [{"task_key": "go", "run_job_task": {"job_id": "${resources.jobs.child.id}"}}],
        "child": [wheel("boom", "exit_nonzero")],
    }
    result = run(write_bundle, jobs, job_key="parent")
    assert result.task("go").status is FAILED
    assert "job 'child'" in (result.task("go").error or "")
    assert "failed tasks: boom" in (result.task("go").error or "")


def test_a_wheel_tasks_values_are_not_visible_downstream(
    write_bundle: BundleWriter, tasks_module: ModuleType
) -> None:
    # Databricks: dbutils.jobs.taskValues.set works in notebook tasks only; from a wheel
    # task nothing arrives, and a reference to the value stays literal text.
    tasks = [
        wheel("producer", "produce_values"),
        wheel("consumer", "consume_values", "producer"),
        wheel(
            "by_reference",
            "record",
            "producer",
            parameters=["{{tasks.producer.values.rows}}", "{{ tasks.producer.values.summary }}"],
        ),
        {
            "task_key": "has_rows",
            "depends_on": [{"task_key": "producer"}],
            "condition_task": {
                "op": "EQUAL_TO",
                "left": "{{tasks.producer.values.rows}}",
                "right": "42",
            },
        },
    ]
    console = Console(record=True, width=400, color_system=None)
    result = run(write_bundle, {"job": tasks}, console=console)
    assert result.succeeded
    consumer = tasks_module.CALLS[1]
    assert consumer["rows"] is None
    assert consumer["summary"] is None
    assert consumer["missing"] == "fallback"
    assert tasks_module.CALLS[2]["argv"] == [
        "record",
        "{{tasks.producer.values.rows}}",
        "{{ tasks.producer.values.summary }}",
    ]
    assert result.task("has_rows").outcome == "false"
    assert (
        "producer set task value rows from a python_wheel_task: not visible downstream on "
        "Databricks (dbutils.jobs.taskValues works in notebook tasks only); pass state keyed "
        "by {{job.run_id}} or set the value from a notebook task"
    ) in result.notes
    assert (
        "by_reference: {{tasks.producer.values.rows}} stays literal text, as on Databricks: "
        "'producer' set it from a python_wheel_task, where Databricks drops task values"
    ) in result.notes
    shown = console.export_text()
    assert "note: producer set task value rows from a python_wheel_task" in shown
    assert "note: consumer read task value producer.rows from a python_wheel_task" in shown


def test_unserialisable_task_value_fails_the_task(
    write_bundle: BundleWriter, tasks_module: ModuleType
) -> None:
    result = run(write_bundle, {"job": [wheel("a", "set_unserialisable")]})
    assert result.task("a").status is FAILED
    assert "must be JSON-serialisable" in (result.task("a").error or "")


def test_a_reference_to_a_task_value_never_set_stays_literal_text(
    write_bundle: BundleWriter, tasks_module: ModuleType
) -> None:
    # Documented: a reference to a value that does not exist is left as the literal string.
    tasks = [
        wheel("producer", "record"),
        wheel("b", "record", "producer", parameters=["--run_id={{tasks.producer.values.row}}"]),
    ]
    result = run(write_bundle, {"job": tasks})
    assert result.task("b").status is SUCCESS
    assert tasks_module.CALLS[1]["argv"] == ["record", "--run_id={{tasks.producer.values.row}}"]
    assert result.notes == (
        "b: {{tasks.producer.values.row}} stays literal text, as on Databricks: 'producer' "
        "did not set it (values it set: none)",
    )


def test_dynamic_value_references(write_bundle: BundleWriter, tasks_module: ModuleType) -> None:
    job = {
        "name": "nightly",
        "parameters": [{"name": "run_date", "default": "2024-01-01"}, {"name": "n", "default": 3}],
        "tasks": [
            wheel(
                "a",
                "record",
                parameters=[
                    "{{job.parameters.run_date}}",
                    "{{ job.parameters.n }}",
                    "{{job.id}}",
                    "{{job.name}}",
                    "{{job.run_id}}",
                    "{{task.name}}",
                    "{{task.run_id}}",
                    "{{job.start_time.iso_date}}",
                ],
            )
        ],
    }
    result = run(write_bundle, {"job": job}, job_parameters={"run_date": "2025-06-30"})
    argv = tasks_module.CALLS[0]["argv"]
    assert argv[1:7] == [
        "2025-06-30",
        "3",
        "local-job:job",
        "nightly",
        result.run_id,
        "a",
    ]
    assert argv[7] == result.task("a").run_id
    assert argv[8] == result.started_at.date().isoformat()


def test_job_parameters_push_down_into_named_parameters(
    write_bundle: BundleWriter, tasks_module: ModuleType
) -> None:
    job = {
        "parameters": [{"name": "catalog", "default": "dev"}],
        "tasks": [wheel("a", "record", named_parameters={"catalog": "task", "table": "t"})],
    }
    run(write_bundle, {"job": job}, job_parameters={"catalog": "prod"})
    assert tasks_module.CALLS[0]["argv"] == ["record", "--catalog=prod", "--table=t"]


def test_unknown_dynamic_reference_fails_the_task(
    write_bundle: BundleWriter, tasks_module: ModuleType
) -> None:
    tasks = [wheel("a", "record", parameters=["{{job.parameters.run_dat}}"])]
    job = {"parameters": [{"name": "run_date", "default": "x"}], "tasks": tasks}
    result = run(write_bundle, {"job": job})
    assert result.task("a").status is FAILED
    assert "job parameter 'run_dat' is not defined" in (result.task("a").error or "")
    assert "did you mean 'run_date'" in (result.task("a").error or "")
    other = run(write_bundle, {"job": [wheel("b", "record", parameters=["{{jobs.id}}"])]})
    assert "unknown dynamic value reference {{jobs.id}}" in (other.task("b").error or "")


def test_unknown_job_parameter_is_rejected(
    write_bundle: BundleWriter, tasks_module: ModuleType
) -> None:
    job = {"parameters": [{"name": "run_date", "default": "x"}], "tasks": [wheel("a", "record")]}
    with pytest.raises(RunnerError, match=r"no parameter 'rundate' \(did you mean 'run_date'\?\)"):
        run(write_bundle, {"job": job}, job_parameters={"rundate": "y"})


def test_retries_until_success(write_bundle: BundleWriter, tasks_module: ModuleType) -> None:
    tasks = [wheel("a", "flaky", max_retries=3, min_retry_interval_millis=1)]
    result = run(write_bundle, {"job": tasks})
    assert result.task("a").status is SUCCESS
    assert result.task("a").attempts == 3


def test_retries_exhausted(write_bundle: BundleWriter, tasks_module: ModuleType) -> None:
    result = run(write_bundle, {"job": [wheel("a", "flaky", max_retries=1)]})
    assert result.task("a").status is FAILED
    assert result.task("a").attempts == 2
    assert result.task("a").error == "RuntimeError: transient failure 2"


def test_sql_task_is_not_runnable_locally(
    write_bundle: BundleWriter, tasks_module: ModuleType
) -> None:
    tasks = [{"task_key": "q", "sql_task": {"query": {"query_id": "1"}}}]
    result = run(write_bundle, {"job": tasks})
    assert result.task("q").status is FAILED
    assert result.task("q").error == (
        "not runnable locally: sql_task (only python_wheel_task, condition_task, "
        "run_job_task and notebook_task with a .py source notebook run in the local runner)"
    )


def test_missing_package_says_how_to_install(
    write_bundle: BundleWriter, tasks_module: ModuleType
) -> None:
    tasks = [
        {"task_key": "a", "python_wheel_task": {"package_name": "no-such-pkg", "entry_point": "m"}}
    ]
    error = run(write_bundle, {"job": tasks}).task("a").error or ""
    assert "package 'no-such-pkg' is not installed" in error
    assert "uv sync" in error


def test_unknown_job_key_suggests(write_bundle: BundleWriter, tasks_module: ModuleType) -> None:
    with pytest.raises(RunnerError, match=r"No job 'jbo' .*\(did you mean 'job'\?\); jobs: job"):
        run(write_bundle, {"job": [wheel("a", "record")]}, job_key="jbo")


def test_dependency_cycle_is_rejected(write_bundle: BundleWriter, tasks_module: ModuleType) -> None:
    tasks = [wheel("a", "record", "c"), wheel("b", "record", "a"), wheel("c", "record", "b")]
    with pytest.raises(RunnerError, match=r"dependency cycle: a -> c -> b -> a"):
        run(write_bundle, {"job": tasks})


def test_run_job_task_into_itself_fails(
    write_bundle: BundleWriter, tasks_module: ModuleType
) -> None:
    tasks = [{"task_key": "again", "run_job_task": {"job_id": "${resources.jobs.job.id}"}}]
    result = run(write_bundle, {"job": tasks})
    assert "would run a job inside itself: job -> job" in (result.task("again").error or "")


def test_run_job_task_outside_the_bundle_is_explained(
    write_bundle: BundleWriter, tasks_module: ModuleType
) -> None:
    tasks = [{"task_key": "remote", "run_job_task": {"job_id": 123456}}]
    error = run(write_bundle, {"job": tasks}).task("remote").error or ""
    assert "job_id '123456' does not name a job of this bundle" in error


@pytest.mark.parametrize("function", ["raise_config_error", "config_error_through_run_task"])
def test_deterministic_error_is_not_retried(
    write_bundle: BundleWriter, tasks_module: ModuleType, function: str
) -> None:
    console = Console(record=True, width=200, color_system=None)
    tasks = [wheel("a", function, max_retries=3, min_retry_interval_millis=1)]
    result = run(write_bundle, {"job": tasks}, console=console)
    failed = result.task("a")
    assert (failed.status, failed.attempts, len(tasks_module.CALLS)) == (FAILED, 1, 1)
    assert failed.not_retried == "ConfigError fails the same way on every attempt"
    assert "a: not retried: ConfigError fails the same way on every attempt" in (
        console.export_text()
    )


def test_missing_entry_point_is_not_retried_and_lists_the_available_ones(
    write_bundle: BundleWriter, tasks_module: ModuleType
) -> None:
    console = Console(record=True, width=300, color_system=None)
    result = run(write_bundle, {"job": [wheel("a", "recrod", max_retries=2)]}, console=console)
    failed = result.task("a")
    assert (failed.status, failed.attempts) == (FAILED, 1)
    assert failed.error is not None
    assert (
        "module 'runner_fake_tasks' has no function 'recrod' (did you mean 'record'?)"
        in failed.error
    )
    assert "conflict_once, consume_values, exit_nonzero" in failed.error
    assert "record" in failed.error.split("entry points of 'runner_fake_tasks': ")[1]
    assert "not retried: EntryPointNotFoundError fails the same way" in console.export_text()


def test_concurrent_write_error_is_retried(
    write_bundle: BundleWriter, tasks_module: ModuleType
) -> None:
    tasks = [wheel("a", "conflict_once", max_retries=1, min_retry_interval_millis=1)]
    result = run(write_bundle, {"job": tasks})
    assert (result.task("a").status, result.task("a").attempts) == (SUCCESS, 2)
    assert result.task("a").not_retried is None
