"""Run one python_wheel_task as a process of its isolated environment.

The process is ``python -I -u -c <task_bootstrap source>``: ``-I`` keeps the working
directory, ``PYTHONPATH`` and user site-packages off ``sys.path``, so only what the
environment installed can be imported (a module that exists only in the developer's checkout
fails, as it would on Databricks). Its output is streamed line by line into this process's
stdout/stderr (the run's log), and the end of its stderr is kept for the failure message.
It starts its own local Spark: one JVM per task, as each Databricks task has its own
session. ``timeout_seconds`` stops the whole process group (the JVM included).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TextIO

from databricks_mlops.runtime import get_runtime, mlops_home

_BOOTSTRAP = Path(__file__).with_name("task_bootstrap.py")
_KEPT_LINES = 60
_STOP_GRACE_SECONDS = 10
# The developer's environment must not leak into the task's: these point Python (or Spark's
# Python workers) at the developer's virtualenv.
_NOT_INHERITED = (
    "PYTHONPATH",
    "PYTHONHOME",
    "PYTHONSTARTUP",
    "PYTHONSAFEPATH",
    "VIRTUAL_ENV",
    "CONDA_PREFIX",
    "PYSPARK_PYTHON",
    "PYSPARK_DRIVER_PYTHON",
    "UV_PROJECT_ENVIRONMENT",
    # The runner's own Spark Connect client, if it has one: the task decides its session.
    "SPARK_CONNECT_MODE_ENABLED",
    "SPARK_REMOTE",
)


@dataclass(frozen=True)
class ProcessOutcome:
    error: str | None = None
    traceback: str | None = None
    not_retried: str | None = None
    timed_out: bool = False


def task_process_environment(venv: Path, task_env: Mapping[str, str]) -> dict[str, str]:
    """The child's environment: this one minus the virtualenv, plus the runtime's."""
    environ = {k: v for k, v in os.environ.items() if k not in _NOT_INHERITED}
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    environ["VIRTUAL_ENV"] = str(venv)
    environ["PATH"] = os.pathsep.join([str(python.parent), environ.get("PATH", "")])
    environ["PYSPARK_PYTHON"] = str(python)  # Spark's Python workers: the task's Python too
    environ["MLOPS_HOME"] = str(mlops_home())  # absolute, whatever the task's cwd
    environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    runtime = get_runtime()
    if runtime.is_local:
        uris = runtime.mlflow_uris()
        environ.setdefault("MLFLOW_TRACKING_URI", uris["tracking_uri"])
        environ.setdefault("MLFLOW_REGISTRY_URI", uris["registry_uri"])
    environ.update(task_env)
    return environ


def _pump(source: IO[bytes], sink: TextIO, kept: deque[str] | None) -> None:
    for raw in iter(source.readline, b""):
        line = raw.decode("utf-8", errors="replace")
        sink.write(line)
        sink.flush()
        if kept is not None:
            kept.append(line.rstrip("\n"))
    source.close()


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the task's process group (Python and the Spark JVM it started)."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(_STOP_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


def run_task_process(
    python: Path,
    venv: Path,
    package_name: str,
    entry_point: str,
    argv: Sequence[str],
    task_env: Mapping[str, str],
    timeout_seconds: float | None,
) -> ProcessOutcome:
    """Run the entry point in the environment at ``venv``; its failure, if it failed."""
    source = _BOOTSTRAP.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="mlops-task-") as scratch:
        result_file = Path(scratch) / "result.json"
        environ = task_process_environment(venv, task_env)
        environ["MLOPS_TASK_RESULT_FILE"] = str(result_file)
        process = subprocess.Popen(
            [str(python), "-I", "-u", "-c", source, package_name, entry_point, *argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=environ,
            start_new_session=True,  # its own process group, so a timeout stops the JVM too
        )
        assert process.stdout is not None and process.stderr is not None
        kept: deque[str] = deque(maxlen=_KEPT_LINES)
        pumps = [
            threading.Thread(target=_pump, args=(process.stdout, sys.stdout, None), daemon=True),
            threading.Thread(target=_pump, args=(process.stderr, sys.stderr, kept), daemon=True),
        ]
        for pump in pumps:
            pump.start()
        timed_out = False
        try:
            process.wait(timeout_seconds)
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            _stop(process)
            for pump in pumps:
                pump.join(_STOP_GRACE_SECONDS)
        not_retried = None
        if result_file.is_file():
            not_retried = json.loads(result_file.read_text(encoding="utf-8")).get("not_retried")
    if timed_out:
        return ProcessOutcome(
            error=f"timed out after {timeout_seconds:g} s (timeout_seconds); the task's "
            "process was stopped",
            timed_out=True,
        )
    if process.returncode == 0:
        return ProcessOutcome()
    return _failure(list(kept), process.returncode, not_retried)


def _failure(lines: list[str], code: int, not_retried: str | None) -> ProcessOutcome:
    # The bootstrap's own frames ("<string>") are the runner's, not the task's.
    text = [line for line in lines if line.strip() and not line.startswith('  File "<string>"')]
    starts = [i for i, line in enumerate(text) if line.startswith("Traceback (most recent call")]
    if starts:
        return ProcessOutcome(
            error=text[-1].strip(),
            traceback="\n".join(text[starts[0] :]),
            not_retried=not_retried,
        )
    if text:
        return ProcessOutcome(error=text[-1].strip(), not_retried=not_retried)
    return ProcessOutcome(error=f"exited with code {code}", not_retried=not_retried)
