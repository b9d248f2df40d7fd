"""max_concurrent_runs enforced locally: real processes, a lock under the local home."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from rich.console import Console

from databricks_mlops.errors import RunnerError
from databricks_mlops.runner import TaskStatus, load_bundle, run_job
from databricks_mlops.runner.job_lock import job_run_slot, max_concurrent_runs
from databricks_mlops.runtime import mlops_home

BundleWriter = Callable[[dict[str, str]], Path]


def _bundle(write_bundle: BundleWriter, started: Path, release: Path) -> Path:
    hold = {
        "task_key": "ingest",
        "python_wheel_task": {
            "package_name": "runner_fake_tasks",
            "entry_point": "hold",
            "parameters": [str(started), str(release)],
        },
    }
    jobs: dict[str, Any] = {
        "data_ingestion": {"name": "ingestion", "max_concurrent_runs": 1, "tasks": [hold]},
        "workflow": {
            "name": "workflow",
            "tasks": [
                {
                    "task_key": "run_ingestion",
                    "run_job_task": {"job_id": "${resources.jobs.data_ingestion.id}"},
                }
            ],
        },
    }
    document = {"bundle": {"name": "locks"}, "resources": {"jobs": jobs}}
    return write_bundle({"databricks.yml": yaml.safe_dump(document, sort_keys=False)})


def _cli(root: Path, job: str) -> list[str]:
    return [sys.executable, "-m", "databricks_mlops.cli", "run", job, "-C", str(root)]


@pytest.fixture
def holder_env(tasks_module: ModuleType) -> dict[str, str]:
    """The environment of a second process: same home, the fake task module importable."""
    site = str(Path(tasks_module.__file__ or "").parent)
    return {**os.environ, "PYTHONPATH": site, "COLUMNS": "300", "MLOPS_RUNTIME": "local"}


@pytest.fixture
def holder(
    write_bundle: BundleWriter, holder_env: dict[str, str], tmp_path: Path
) -> Iterator[tuple[subprocess.Popen[str], Path, Path]]:
    """A real `databricks-mlops run data_ingestion` process whose task is still running."""
    started, release = tmp_path / "started", tmp_path / "release"
    root = _bundle(write_bundle, started, release)
    process = subprocess.Popen(
        _cli(root, "data_ingestion"),
        env=holder_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not started.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                output = process.communicate()[0] if process.poll() is not None else ""
                pytest.fail(f"the holding run did not start its task: {output}")
            time.sleep(0.05)
        yield process, root, release
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()


def test_second_run_is_refused_at_once_with_who_holds_the_job(
    holder: tuple[subprocess.Popen[str], Path, Path], holder_env: dict[str, str], tmp_path: Path
) -> None:
    process, root, release = holder
    second = subprocess.run(
        _cli(root, "data_ingestion"),
        env=holder_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert second.returncode == 1
    error = [line for line in second.stderr.splitlines() if line.startswith("error:")]
    assert len(error) == 1, second.stderr
    assert error[0].startswith(
        "error: job 'data_ingestion' is already running (max_concurrent_runs: 1) — started at "
    )
    assert f", pid {process.pid}, run local-" in error[0]
    assert "Job data_ingestion" not in second.stderr  # refused before any task ran
    # The first run is unharmed and finishes normally once its task is released.
    release.touch()
    assert process.wait(timeout=120) == 0


def test_run_job_task_of_a_running_job_is_refused_the_same_way(
    holder: tuple[subprocess.Popen[str], Path, Path], tasks_module: ModuleType
) -> None:
    _, root, _ = holder
    bundle = load_bundle(root, None, {}, environ={})
    result = run_job(bundle, "workflow", console=Console(record=True, width=300))
    task = result.task("run_ingestion")
    assert task.status is TaskStatus.FAILED
    assert (task.error or "").startswith(
        "job 'data_ingestion' is already running (max_concurrent_runs: 1)"
    )
    assert tasks_module.CALLS == []


def test_a_killed_run_does_not_leave_the_job_locked(
    holder: tuple[subprocess.Popen[str], Path, Path], tasks_module: ModuleType
) -> None:
    process, root, release = holder
    process.kill()  # SIGKILL: no finally block, no cleanup in the holder
    process.wait(timeout=60)
    started = release.with_name("started")
    started.unlink()
    release.touch()
    bundle = load_bundle(root, None, {}, environ={})
    result = run_job(bundle, "data_ingestion", console=Console(record=True, width=300))
    assert result.succeeded
    assert started.read_text(encoding="utf-8") == str(os.getpid())  # our task ran


def test_max_concurrent_runs_two_allows_two_holders_and_refuses_a_third(tmp_path: Path) -> None:
    def slot(run_id: str) -> Any:
        return job_run_slot(tmp_path, "b", "dev", "job", 2, run_id)

    with (
        slot("run-1"),
        slot("run-2"),
        pytest.raises(
            RunnerError,
            match=r"job 'job' is already running \(max_concurrent_runs: 2\) — started at .*"
            rf"pid {os.getpid()}, run run-1; started at .*, pid {os.getpid()}, run run-2; wait",
        ),
        slot("run-3"),
    ):
        pass
    with slot("run-4"):  # both released
        pass


@pytest.mark.parametrize(
    ("declared", "expected"),
    [({}, 1), ({"max_concurrent_runs": 3}, 3), ({"max_concurrent_runs": "2"}, 2)],
)
def test_max_concurrent_runs_defaults_to_one_like_databricks(
    declared: dict[str, Any], expected: int
) -> None:
    assert max_concurrent_runs("job", declared) == expected


def test_max_concurrent_runs_zero_is_explained() -> None:
    with pytest.raises(RunnerError, match=r"max_concurrent_runs is 0, so Databricks would skip"):
        max_concurrent_runs("job", {"max_concurrent_runs": 0})


def test_lock_lives_under_the_local_home(
    write_bundle: BundleWriter, tasks_module: ModuleType, tmp_path: Path
) -> None:
    root = _bundle(write_bundle, tmp_path / "s", tmp_path / "r")
    (tmp_path / "r").touch()
    run_job(load_bundle(root, None, {}, environ={}), "data_ingestion", console=Console(record=True))
    assert (mlops_home() / "locks" / "jobs" / "locks.default.data_ingestion.0.lock").is_file()
