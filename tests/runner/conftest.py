"""Fixtures for the runner tests: bundles written to tmp_path and an importable task module."""

from __future__ import annotations

import importlib
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest
from rich.console import Console

from databricks_mlops.runtime.task_values import clear_unbound_task_values

TASK_MODULE = "runner_fake_tasks"

# Task functions the test bundles point python_wheel_tasks at. They record what they
# saw in CALLS so tests can assert on argv, env and task values.
_TASK_SOURCE = """
import os
import sys
import time

from databricks_mlops.errors import ConcurrentWriteError, ConfigError
from databricks_mlops.runtime.task_values import get_task_value, set_task_value
from databricks_mlops.tasks.arguments import run_task

CALLS = []
ATTEMPTS = {"flaky": 0, "conflict": 0}


def _record(**extra):
    CALLS.append({
        "task": os.environ.get("MLOPS_TASK_KEY"),
        "job": os.environ.get("MLOPS_JOB_KEY"),
        "run_id": os.environ.get("MLOPS_RUN_ID"),
        "argv": list(sys.argv),
        **extra,
    })


def record():
    _record()


def exit_nonzero():
    _record()
    sys.exit(3)


def exit_zero():
    _record()
    sys.exit(0)


def raise_unexpected():
    _record()
    raise ValueError("boom in task code")


def raise_config_error():
    _record()
    raise ConfigError("configs/bad.yml:3: field 'x' is required")


def produce_values():
    _record()
    set_task_value("rows", 42)
    set_task_value("summary", {"drift": True, "columns": ["a", "b"]})


def consume_values():
    _record(
        rows=get_task_value("producer", "rows"),
        summary=get_task_value("producer", "summary"),
        missing=get_task_value("producer", "nope", default="fallback"),
    )


def record_drift():
    # check_drift's part of the drift gate: the outcome goes to the run-state table, keyed
    # by the job run id (a task value set here would never reach the condition).
    from databricks_mlops.tasks.run_state import record_run_state

    args = dict(item.removeprefix("--").split("=", 1) for item in sys.argv[1:])
    _record(**args)
    record_run_state(args["run_state_table"], args["job_run_id"], {"drift_detected": args["drift"]})


def set_unserialisable():
    set_task_value("bad", object())


def config_error_through_run_task():
    # What a real task entry point does with a framework error: SystemExit("error: ...").
    def body():
        _record()
        raise ConfigError("configs/bad.yml:3: field 'x' is required")

    run_task(body)


def conflict_once():
    ATTEMPTS["conflict"] += 1
    _record(attempt=ATTEMPTS["conflict"])
    if ATTEMPTS["conflict"] == 1:
        raise ConcurrentWriteError("Another run committed to 'main.s.t' first")


def hold():
    # Say it started (argv[1]), then wait until argv[2] exists: a run that stays active.
    started, release = sys.argv[1], sys.argv[2]
    with open(started, "w", encoding="utf-8") as handle:
        handle.write(str(os.getpid()))
    deadline = time.monotonic() + 120
    while not os.path.exists(release) and time.monotonic() < deadline:
        time.sleep(0.05)


def flaky():
    ATTEMPTS["flaky"] += 1
    _record(attempt=ATTEMPTS["flaky"])
    if ATTEMPTS["flaky"] < 3:
        raise RuntimeError(f"transient failure {ATTEMPTS['flaky']}")
"""


@pytest.fixture
def tasks_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """A fresh ``runner_fake_tasks`` module on sys.path, found by the wheel-task fallback."""
    package_dir = tmp_path / "site"
    package_dir.mkdir()
    (package_dir / f"{TASK_MODULE}.py").write_text(_TASK_SOURCE, encoding="utf-8")
    monkeypatch.syspath_prepend(str(package_dir))
    monkeypatch.delitem(sys.modules, TASK_MODULE, raising=False)
    clear_unbound_task_values()
    module = importlib.import_module(TASK_MODULE)
    yield module
    sys.modules.pop(TASK_MODULE, None)
    clear_unbound_task_values()


BundleWriter = Callable[[dict[str, str]], Path]


@pytest.fixture
def write_bundle(tmp_path: Path) -> BundleWriter:
    """Write ``{relative path: YAML text}`` under tmp_path/bundle and return the root."""

    def write(files: dict[str, str]) -> Path:
        root = tmp_path / "bundle"
        for relative, text in files.items():
            path = root / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text), encoding="utf-8")
        return root

    return write


@pytest.fixture
def console() -> Console:
    """A console that records output instead of printing it."""
    return Console(record=True, width=200, force_terminal=False, color_system=None)
