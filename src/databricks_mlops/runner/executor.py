"""Run one bundle job locally: tasks in dependency order.

By default each python_wheel_task runs in a process of its own Python environment, built
from what the bundle declares for it (:mod:`.task_environment`, :mod:`.task_process`), so an
undeclared dependency fails locally as it would on Databricks. ``--in-process``
(``MLOPS_TASK_ISOLATION=in-process``) runs them in this interpreter instead, sharing one
SparkSession and one MLflow setup: fast, for tests whose subject is not isolation. Either
way each task sees what a Databricks task would: ``sys.argv`` built from its parameters,
dynamic value references resolved (in process, task values readable through
:mod:`databricks_mlops.runtime.task_values`).

A run holds one of its job's ``max_concurrent_runs`` slots (:mod:`.job_lock`) from start to
end, as Databricks counts active runs. A failed attempt is retried up to ``max_retries``
unless its error is deterministic (``MLOpsError.deterministic``: a bad config, a missing
entry point), which a retry would only repeat.
"""

from __future__ import annotations

import os
import secrets
import sys
import time
import traceback
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from databricks_mlops.errors import MLOpsError, RunnerError, did_you_mean
from databricks_mlops.runner.bundle import Bundle
from databricks_mlops.runner.dynamic_values import RunState, TaskScope, resolve_dynamic_values
from databricks_mlops.runner.graph import TaskNode, build_task_graph
from databricks_mlops.runner.job_lock import job_run_slot, max_concurrent_runs
from databricks_mlops.runner.results import JobRunResult, TaskResult, TaskStatus
from databricks_mlops.runner.run_conditions import decide
from databricks_mlops.runner.run_summary import print_job_start, print_summary, print_task_line
from databricks_mlops.runner.task_environment import (
    TaskEnvironment,
    build_artifacts,
    declared_dependencies,
    ensure_environment,
    find_uv,
    isolation_requested,
    resolve_wheels,
)
from databricks_mlops.runner.task_kinds import (
    RUNNABLE_TASK_TYPES,
    evaluate_condition,
    exit_failure,
    not_runnable_message,
    resolve_entry_point,
    task_type_of,
    wheel_arguments,
)
from databricks_mlops.runtime import mlops_home
from databricks_mlops.runtime.task_values import TaskValueStore, bind_task_values

LOCAL_JOB_ID_PREFIX = "local-job:"
# Locally a retry only needs to show the task is retried, not to wait out a flaky
# service, so the pause between attempts is capped.
MAX_LOCAL_RETRY_PAUSE_SECONDS = 2.0
# Databricks reads max_retries: -1 as "retry forever"; a local run must end.
MAX_LOCAL_RETRIES_WHEN_UNLIMITED = 3


@dataclass
class _Attempt:
    """What one try of a task produced."""

    error: str | None = None
    traceback: str | None = None
    outcome: str | None = None
    nested: JobRunResult | None = None
    not_retried: str | None = None
    """Why a retry would fail the same way, when it would."""
    environment: str | None = None
    """Where an isolated wheel task ran (``isolated env <hash> (cached)``)."""


@dataclass(frozen=True)
class _JobRun:
    state: RunState
    results: dict[str, TaskResult]
    """The same mapping as ``state.results``, writable: filled in as tasks finish."""


def new_run_id(started_at: datetime) -> str:
    return f"local-{started_at:%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"


def job_parameter_values(
    job_key: str, job: Mapping[str, Any], overrides: Mapping[str, str]
) -> dict[str, str]:
    """The job's ``parameters`` defaults, overridden by the run's ``job_parameters``."""
    values: dict[str, str] = {}
    for declared in job.get("parameters") or []:
        if not isinstance(declared, dict) or "name" not in declared:
            raise RunnerError(f"job '{job_key}': each parameter needs a name, got {declared!r}")
        default = declared.get("default", "")
        values[str(declared["name"])] = default if isinstance(default, str) else str(default)
    for name, value in overrides.items():
        if name not in values:
            raise RunnerError(
                f"job '{job_key}' has no parameter '{name}'{did_you_mean(name, values)}; "
                f"declared parameters: {', '.join(values) or 'none'}"
            )
        values[name] = str(value)
    return values


@contextmanager
def _task_process_state(argv: list[str] | None, env: Mapping[str, str]) -> Iterator[None]:
    """Set ``sys.argv`` and env vars for one task, and put them back afterwards."""
    saved_argv = sys.argv
    saved_env = {name: os.environ.get(name) for name in env}
    if argv is not None:
        sys.argv = argv
    os.environ.update(env)
    try:
        yield
    finally:
        sys.argv = saved_argv
        for name, value in saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _not_retried_reason(exc: BaseException) -> str | None:
    """Why retrying would not help: ``exc`` is (or wraps) a deterministic MLOpsError.

    Task entry points end a framework error as ``SystemExit("error: ...") from None``, which
    hides the error from the traceback but keeps it as ``__context__``: look there too."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, MLOpsError):  # the outermost framework error decides
            if not current.deterministic:
                return None
            return f"{type(current).__name__} fails the same way on every attempt"
        current = current.__cause__ or current.__context__
    return None


def _user_traceback(exc: BaseException) -> str:
    """The traceback from the task's own code down, without the runner's frames."""
    frames = exc.__traceback__
    while frames is not None and frames.tb_frame.f_code.co_filename == __file__:
        frames = frames.tb_next
    return "".join(traceback.format_exception(type(exc), exc, frames))


class LocalJobRunner:
    """Runs the jobs of one bundle; a run_job_task re-enters it for the child job."""

    def __init__(
        self,
        bundle: Bundle,
        console: Console,
        home: Path | None = None,
        isolated: bool | None = None,
    ) -> None:
        self.bundle = bundle
        self.console = console
        self.home = home if home is not None else mlops_home()
        """Where the run slots of ``max_concurrent_runs`` and task environments are kept."""
        self.isolated = isolation_requested() if isolated is None else isolated
        """Wheel tasks in their own environments (default; ``MLOPS_TASK_ISOLATION``)."""
        self._active_jobs: list[str] = []
        self._artifacts_built = False
        self._environments: dict[tuple[str, str], TaskEnvironment] = {}

    def run(
        self,
        job_key: str,
        job_parameters: Mapping[str, str] | None = None,
        depth: int = 0,
        trigger_type: str = "ONE_TIME",
    ) -> JobRunResult:
        job = self._job(job_key)
        graph = build_task_graph(job_key, job.get("tasks"))
        started_at = datetime.now(UTC)
        results: dict[str, TaskResult] = {}
        run = _JobRun(
            RunState(
                job_key=job_key,
                job_name=str(job.get("name") or job_key),
                run_id=new_run_id(started_at),
                started_at=started_at,
                parameters=job_parameter_values(job_key, job, job_parameters or {}),
                task_keys=tuple(graph.order),
                values=TaskValueStore(),
                results=results,
                trigger_type=trigger_type,
            ),
            results,
        )
        slot = job_run_slot(
            self.home,
            self.bundle.name,
            self.bundle.target,
            job_key,
            max_concurrent_runs(job_key, job),
            run.state.run_id,
        )
        clock = time.monotonic()
        with slot:
            print_job_start(self.console, job_key, run.state.run_id, depth)
            self._active_jobs.append(job_key)
            try:
                for task_key in graph.order:
                    result = self._visit(graph.nodes[task_key], run, depth)
                    run.results[task_key] = result
                    print_task_line(self.console, result, depth)
            finally:
                self._active_jobs.pop()
        outcome = JobRunResult(
            job_key=job_key,
            run_id=run.state.run_id,
            started_at=started_at,
            duration_seconds=time.monotonic() - clock,
            tasks=tuple(run.results[key] for key in graph.order),
            notes=tuple(run.state.values.notes),
        )
        print_summary(self.console, outcome)
        return outcome

    def _job(self, job_key: str) -> Mapping[str, Any]:
        if job_key not in self.bundle.jobs:
            known = ", ".join(sorted(self.bundle.jobs)) or "none"
            raise RunnerError(
                f"No job '{job_key}' in bundle '{self.bundle.name}' (target "
                f"'{self.bundle.target}'){did_you_mean(job_key, self.bundle.jobs)}; "
                f"jobs: {known}"
            )
        return self.bundle.jobs[job_key]

    def _visit(self, node: TaskNode, run: _JobRun, depth: int) -> TaskResult:
        task_type = task_type_of(node.spec)
        try:
            gate = decide(node, run.results)
        except RunnerError as exc:
            return TaskResult(node.key, task_type, TaskStatus.FAILED, error=str(exc), attempts=0)
        if gate.status is not None:
            return TaskResult(node.key, task_type, gate.status, reason=gate.reason)
        return self._run_with_retries(node, task_type, run, depth)

    def _run_with_retries(
        self, node: TaskNode, task_type: str, run: _JobRun, depth: int
    ) -> TaskResult:
        retries = int(node.spec.get("max_retries") or 0)
        if retries < 0:
            retries = MAX_LOCAL_RETRIES_WHEN_UNLIMITED
        pause = min(
            float(node.spec.get("min_retry_interval_millis") or 0) / 1000,
            MAX_LOCAL_RETRY_PAUSE_SECONDS,
        )
        task_run_id = f"{run.state.run_id}-{node.key}"
        clock = time.monotonic()
        attempt_number = 0
        while True:
            attempt_number += 1
            scope = TaskScope(node.key, task_run_id, attempt_number)
            # One live spinner at a time: a child job prints its own lines instead.
            showing = (
                self.console.status(f"Running {node.key} ({task_type})...")
                if depth == 0 and self.console.is_terminal and task_type != "run_job_task"
                else nullcontext()
            )
            with showing:
                attempt = self._attempt(node, task_type, run, scope, depth)
            if attempt.error is None or attempt_number > retries:
                break
            if attempt.not_retried is not None:
                self.console.print(
                    f"{'  ' * depth}  {node.key}: [yellow]not retried:[/] {attempt.not_retried}",
                    highlight=False,
                )
                break
            self.console.print(
                f"{'  ' * depth}  [yellow]retrying[/] {node.key} "
                f"(attempt {attempt_number + 1} of {retries + 1})",
                highlight=False,
            )
            time.sleep(pause)
        return TaskResult(
            task_key=node.key,
            task_type=task_type,
            status=TaskStatus.FAILED if attempt.error is not None else TaskStatus.SUCCESS,
            duration_seconds=time.monotonic() - clock,
            error=attempt.error,
            traceback=attempt.traceback,
            outcome=attempt.outcome,
            attempts=attempt_number,
            run_id=task_run_id,
            nested=attempt.nested,
            not_retried=attempt.not_retried if attempt_number <= retries else None,
            environment=attempt.environment,
        )

    def _attempt(
        self, node: TaskNode, task_type: str, run: _JobRun, scope: TaskScope, depth: int
    ) -> _Attempt:
        attempt = _Attempt()
        if task_type not in RUNNABLE_TASK_TYPES:
            attempt.error = not_runnable_message(task_type)
            attempt.not_retried = f"a {task_type} cannot run locally on any attempt"
            return attempt
        env = {
            "MLOPS_JOB_KEY": run.state.job_key,
            "MLOPS_TASK_KEY": node.key,
            "MLOPS_RUN_ID": run.state.run_id,
        }
        settings = node.spec[task_type] or {}
        try:
            if not isinstance(settings, dict):
                raise RunnerError(f"{task_type} of task '{node.key}' must be a mapping")
            if task_type == "condition_task":
                operands = resolve_dynamic_values(settings, run.state, scope)
                outcome = evaluate_condition(
                    operands.get("op"), operands.get("left"), operands.get("right")
                )
                attempt.outcome = "true" if outcome else "false"
            elif task_type == "run_job_task":
                with _task_process_state(None, env):
                    self._run_child_job(settings, run, scope, depth, attempt)
            elif task_type == "notebook_task":
                from databricks_mlops.runner.notebook_task import run_notebook_task

                with _task_process_state(None, env):
                    run_notebook_task(settings, self.bundle, run.state, scope)
            else:
                from databricks_mlops.runtime.task_values import spooled_task_values

                # An isolated task sets task values in its own process: collect them, so
                # the summary can say Databricks drops them (they stay invisible).
                with spooled_task_values(run.state.values, node.key, env):
                    self._run_wheel_task(node, settings, run, scope, env, attempt, depth)
        except SystemExit as exc:
            attempt.error = exit_failure(exc)
            attempt.not_retried = _not_retried_reason(exc)
        except MLOpsError as exc:
            attempt.error = str(exc)
            attempt.not_retried = _not_retried_reason(exc)
        except Exception as exc:
            attempt.error = f"{type(exc).__name__}: {exc}"
            attempt.traceback = _user_traceback(exc)
        return attempt

    def _run_wheel_task(
        self,
        node: TaskNode,
        settings: Mapping[str, Any],
        run: _JobRun,
        scope: TaskScope,
        env: dict[str, str],
        attempt: _Attempt,
        depth: int,
    ) -> None:
        package, entry_point = settings.get("package_name"), settings.get("entry_point")
        if not isinstance(package, str) or not isinstance(entry_point, str):
            raise RunnerError("python_wheel_task needs package_name and entry_point")
        resolved = resolve_dynamic_values(dict(settings), run.state, scope)
        if "named_parameters" in resolved and run.state.parameters:
            # Databricks pushes job parameters down into keyword-argument wheel tasks,
            # and a job parameter wins over a task parameter of the same name.
            resolved["named_parameters"] = {
                **(resolved["named_parameters"] or {}),
                **run.state.parameters,
            }
        argv = wheel_arguments(entry_point, resolved)
        if self.isolated:
            self._run_isolated(node, run, (package, entry_point, argv), env, attempt, depth)
            return
        with _task_process_state(argv, env), bind_task_values(run.state.values, scope.task_key):
            function = resolve_entry_point(package, entry_point)
            function()  # the return value is ignored, as on Databricks

    def _run_isolated(
        self,
        node: TaskNode,
        run: _JobRun,
        call: tuple[str, str, list[str]],
        env: dict[str, str],
        attempt: _Attempt,
        depth: int,
    ) -> None:
        """Run the wheel task in its own environment (built on first use, then cached)."""
        from databricks_mlops.runner.task_process import run_task_process

        environment = self._task_environment(run.state.job_key, node, depth)
        attempt.environment = environment.describe()
        self.console.print(
            f"{'  ' * depth}  [dim]{node.key}: {attempt.environment}[/]", highlight=False
        )
        timeout = float(node.spec.get("timeout_seconds") or 0) or None
        package, entry_point, argv = call
        # Serverless compute is Spark Connect: the task's local session is one too, so code
        # reaching for _jdf, sparkContext, RDDs or the JVM fails here as it would there.
        env = {**env, "MLOPS_SPARK_CONNECT": "1" if environment.serverless else "0"}
        outcome = run_task_process(
            environment.python, environment.path, package, entry_point, argv, env, timeout
        )
        attempt.error, attempt.traceback = outcome.error, outcome.traceback
        attempt.not_retried = outcome.not_retried
        if outcome.timed_out and node.spec.get("retry_on_timeout") is not True:
            attempt.not_retried = "a timed-out task is retried only with retry_on_timeout: true"

    def _task_environment(self, job_key: str, node: TaskNode, depth: int) -> TaskEnvironment:
        cached = self._environments.get((job_key, node.key))
        if cached is not None:  # a retry, or the task again in a child run: reuse, as built
            return replace(cached, cached=True, seconds=0.0)
        declaration = declared_dependencies(self._job(job_key), node.spec)
        if not self._artifacts_built:
            # As `bundle deploy` does: build the artifacts once, before any task needs them.
            find_uv()  # say so first when uv is missing, not through a failed build command
            built = build_artifacts(self.bundle)  # a failed build is tried again by the next task
            self._artifacts_built = True
            if built:
                self.console.print(
                    f"{'  ' * depth}  [dim]built artifacts: {', '.join(built)}[/]", highlight=False
                )
        wheels = resolve_wheels(declaration, self.bundle, self.home, job_key)
        environment = ensure_environment(declaration, wheels, self.home, self.bundle.root)
        self._environments[(job_key, node.key)] = environment
        return environment

    def _run_child_job(
        self,
        settings: Mapping[str, Any],
        run: _JobRun,
        scope: TaskScope,
        depth: int,
        attempt: _Attempt,
    ) -> None:
        job_id = str(settings.get("job_id", ""))
        if not job_id.startswith(LOCAL_JOB_ID_PREFIX):
            raise RunnerError(
                f"run_job_task job_id {job_id!r} does not name a job of this bundle; "
                "locally only `job_id: ${resources.jobs.<job_key>.id}` can be run"
            )
        child_key = job_id.removeprefix(LOCAL_JOB_ID_PREFIX)
        if child_key in self._active_jobs:
            chain = " -> ".join([*self._active_jobs, child_key])
            raise RunnerError(f"run_job_task would run a job inside itself: {chain}")
        parameters = resolve_dynamic_values(
            dict(settings.get("job_parameters") or {}), run.state, scope
        )
        attempt.nested = self.run(child_key, parameters, depth + 1, trigger_type="RUN_JOB_TASK")
        if not attempt.nested.succeeded:
            failed = ", ".join(task.task_key for task in attempt.nested.failed_tasks)
            raise RunnerError(
                f"job '{child_key}' (run {attempt.nested.run_id}) failed; failed tasks: {failed}"
            )


def run_job(
    bundle: Bundle,
    job_key: str,
    job_parameters: Mapping[str, str] | None = None,
    console: Console | None = None,
    isolated: bool | None = None,
) -> JobRunResult:
    """Run job ``job_key`` of ``bundle`` locally and report on ``console`` (stderr).

    ``isolated``: each wheel task in its own environment (the default unless
    ``MLOPS_TASK_ISOLATION=in-process``), or all in this process (False)."""
    runner = LocalJobRunner(
        bundle, console if console is not None else Console(stderr=True), isolated=isolated
    )
    return runner.run(job_key, job_parameters)
