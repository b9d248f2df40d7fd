"""The acceptance path, end to end: generate with the local framework, install the project
in a virtualenv of its own (uv, reusing its cache), run its `make test`, then its whole
`mlops_workflow` locally. Slow (a minute or more for the install, ~2 minutes of tests)."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

UV = shutil.which("uv")
MAKE = shutil.which("make")


def project_env(project: Path, venv: Path | None = None) -> dict[str, str]:
    # The project's own environment, not this one: no inherited venv, MLOPS_* state or
    # Spark/MLflow settings. The suite's local Spark exports PYSPARK_PYTHON (this venv's
    # interpreter); inherited, the project's Python UDFs would run where its package is
    # not installed.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(
            ("MLOPS_", "VIRTUAL_ENV", "PYTEST_", "BUNDLE_VAR_", "PYSPARK_", "SPARK_", "MLFLOW_")
        )
    }
    env["UV_PYTHON"] = sys.executable  # the interpreter this suite runs on (3.11/3.12)
    env["MLOPS_HOME"] = str(project / ".mlops")
    env["MLOPS_RUNTIME"] = "local"
    env["SPARK_LOCAL_IP"] = "127.0.0.1"
    if venv is not None:
        # Another render's environment: same dependencies, so the install is not repeated
        # (uv re-points the editable project at this copy's src/).
        env["UV_PROJECT_ENVIRONMENT"] = str(venv)
    return env


def run(
    cmd: list[str], project: Path, timeout: int, venv: Path | None = None
) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    done = subprocess.run(
        cmd,
        cwd=project,
        env=project_env(project, venv),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    elapsed = time.monotonic() - started
    print(f"{' '.join(cmd)}: exit {done.returncode} in {elapsed:.0f}s")
    return done, elapsed


def framework_has_every_stage() -> str | None:
    """Which framework task the generated project calls that this checkout lacks, if any."""
    wanted = {
        "databricks_mlops.tasks.deployment": ("deploy_main", "smoke_test_main"),
        "databricks_mlops.tasks.monitoring": ("monitor_main",),
    }
    for module, names in wanted.items():
        if importlib.util.find_spec(module) is None:
            return module
        loaded = importlib.import_module(module)
        for name in names:
            if not hasattr(loaded, name):
                return f"{module}.{name}"
    return None


def stop_servers_started_in(project: Path) -> None:
    """The deploy task leaves the local endpoint serving (as Databricks would); stop the
    processes this test's project started, by pid, once the test is done."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if str(project) in cmdline and ("serve" in cmdline or "uvicorn" in cmdline):
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(proc.name), signal.SIGTERM)


@pytest.fixture
def project(generated_project: Path) -> Iterator[Path]:
    yield generated_project
    stop_servers_started_in(generated_project)


@pytest.mark.slow
@pytest.mark.skipif(UV is None or MAKE is None, reason="needs uv and make on PATH")
def test_generated_project_installs_passes_its_tests_and_runs_the_workflow(
    project: Path,
) -> None:
    assert UV is not None and MAKE is not None

    done, tests_took = run([MAKE, "test"], project, timeout=1500)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert " passed" in done.stdout and " failed" not in done.stdout

    missing = framework_has_every_stage()
    if missing is not None:
        pytest.skip(
            f"make test passed in {tests_took:.0f}s; the workflow needs {missing}, "
            "which this databricks-mlops does not have yet"
        )
    done, _ = run([MAKE, "sample-data"], project, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    done, workflow_took = run(
        [UV, "run", "databricks-mlops", "run", "mlops_workflow"], project, timeout=1800
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-6000:]
    assert "Job mlops_workflow SUCCEEDED" in " ".join(output.split())
    assert "drift_gate" in output  # the monitoring stage ran too
    print(f"make test {tests_took:.0f}s, mlops_workflow {workflow_took:.0f}s")
