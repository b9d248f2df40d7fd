"""The model's own Python environment, built from its logged requirements (not our venv).

Databricks Model Serving installs a model's ``requirements.txt`` into a fresh
environment and puts its ``code/`` directory on ``sys.path``; nothing of the training
environment is there. Local serving and batch scoring do the same with MLflow's uv (or
virtualenv) environment manager, so a model that lacks its code or a requirement fails
here as it would there. MLflow caches the environments by requirements under
``MLFLOW_ENV_ROOT`` (``~/.mlflow/envs``): the first build of a requirement set takes
seconds with a warm uv cache, later ones reuse it.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from databricks_mlops.deployment.errors import DeploymentError

logger = logging.getLogger(__name__)

EnvManager = Literal["uv", "virtualenv", "local"]
DEFAULT_ENV_MANAGER: EnvManager = "uv"
DEFAULT_BUILD_TIMEOUT_SECONDS = 900.0
_TAIL_LINES = 25


# Variables that point uv at another interpreter: set (a project's harness or shell may
# export UV_PYTHON), `uv pip install` fills that interpreter instead of the model's venv.
INSTALLER_TARGETS = ("UV_PYTHON", "UV_PROJECT_ENVIRONMENT", "VIRTUAL_ENV")


@contextmanager
def installer_targets_unset() -> Iterator[None]:
    """MLflow builds the environment in this process, with this process's variables."""
    saved = {name: os.environ.pop(name) for name in INSTALLER_TARGETS if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


def isolated_process_env(
    base: dict[str, str] | None = None, *, isolate: bool = True
) -> dict[str, str]:
    """Environment variables for a process that must see only the model's environment.

    ``PYTHONPATH`` (which would put the caller's code in front of the model's) and the
    user site-packages are dropped (unless ``isolate`` is false: the ``local`` opt-out
    means the caller's environment, all of it); this interpreter's ``bin`` goes first on
    ``PATH``: the ``mlflow`` CLI that builds and activates the environment runs from it.
    """
    env = dict(os.environ if base is None else base)
    for name in INSTALLER_TARGETS:
        env.pop(name, None)
    if isolate:
        env.pop("PYTHONPATH", None)
        env["PYTHONNOUSERSITE"] = "1"
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def require_env_manager(env_manager: EnvManager, env: dict[str, str]) -> None:
    """A clear error when the environment manager's tool is not installed."""
    tool = {"uv": "uv", "virtualenv": "pyenv"}.get(env_manager)
    if tool is not None and shutil.which(tool, path=env.get("PATH")) is None:
        raise DeploymentError(
            f"`{tool}` is not on PATH, and the model's environment is built with "
            f"env_manager={env_manager!r} from its logged requirements; install uv "
            "(https://docs.astral.sh/uv/getting-started/installation/) and put it on PATH"
        )


def prepare_model_environment(
    model_uri: str,
    *,
    env_manager: EnvManager,
    log_path: Path,
    env: dict[str, str],
) -> float:
    """Build (or reuse) ``model_uri``'s environment; returns the seconds it took.

    In this process (MLflow is imported already; its CLI would add seconds per deploy),
    before any readiness wait starts, so a first build on a cold package cache cannot
    eat the server's startup timeout. The installer's output is quoted on failure. One
    build at a time on this machine: two builds of one requirement set would both write
    the same cached directory.
    """
    if env_manager == "local":
        return 0.0
    require_env_manager(env_manager, env)
    from mlflow.exceptions import MlflowException
    from mlflow.models.flavor_backend_registry import get_flavor_backend
    from mlflow.utils.process import ShellCommandException

    started = time.monotonic()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with _build_lock(), installer_targets_unset():
        try:
            backend = get_flavor_backend(  # type: ignore[no-untyped-call]
                model_uri, env_manager=env_manager, install_mlflow=False
            )
            backend.prepare_env(model_uri, capture_output=True)
        except (MlflowException, ShellCommandException, OSError) as exc:
            with open(log_path, "a", encoding="utf-8") as log:
                log.write(f"# building the environment ({env_manager}) of {model_uri}:\n{exc}\n")
            raise DeploymentError(
                f"Failed to build the environment of {model_uri} from its logged requirements "
                f"({env_manager}): fix the model's requirements (log it again) or the package "
                f"index access; the installer said:\n{_last_lines(str(exc))}"
            ) from exc
    elapsed = time.monotonic() - started
    with open(log_path, "a", encoding="utf-8") as log:
        log.write(f"# environment ({env_manager}) of {model_uri} ready in {elapsed:.1f} s\n")
    logger.info("environment of %s ready (%s) in %.1f s", model_uri, env_manager, elapsed)
    return elapsed


def check_model_loads(
    model_uri: str,
    input_path: Path,
    *,
    env_manager: EnvManager,
    log_path: Path,
    env: dict[str, str],
    timeout_seconds: float = DEFAULT_BUILD_TIMEOUT_SECONDS,
) -> None:
    """Load ``model_uri`` in its own environment and predict ``input_path`` (a
    ``serving_input_example.json``), for callers that then score in this process."""
    prepare_model_environment(model_uri, env_manager=env_manager, log_path=log_path, env=env)
    command = [
        "mlflow", "models", "predict", "-m", model_uri, "-i", str(input_path),
        "-t", "json", "--env-manager", env_manager,
    ]  # fmt: skip
    with open(log_path, "ab") as log:
        log.write(f"# loading {model_uri} in its environment\n".encode())
        log.flush()
        try:
            result = subprocess.run(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                timeout=timeout_seconds,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise DeploymentError(
                f"Failed to load {model_uri} in its own environment: {exc}"
            ) from exc
    if result.returncode != 0:
        raise DeploymentError(
            f"{model_uri} does not load in an environment built from its logged requirements "
            "and code (what Model Serving and spark_udf install): log it with every package "
            f"it imports; the log ends with:\n{tail(log_path)}"
        )


# `ModuleNotFoundError: No module named 'x'`, `pkg.errors.TrackingError: ...`
_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(?:Error|Exception): .+")


def failure_cause(log_path: Path) -> str:
    """``: <the model's own exception line>`` from the server's last start, if any.

    The log ends with the ``mlflow`` CLI's traceback of the failed server command
    (``ShellCommandException``), which says nothing about why the model did not load."""
    try:
        text = log_path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    last_start = text.rfind("\n# ")
    causes = [
        line
        for line in text[last_start + 1 :].splitlines()
        if _EXCEPTION_LINE.match(line) and "ShellCommandException" not in line
    ]
    return f" (the model failed to load: {causes[-1]})" if causes else ""


def _last_lines(text: str, lines: int = _TAIL_LINES) -> str:
    return "\n".join(text.splitlines()[-lines:])


def tail(path: Path, lines: int = _TAIL_LINES) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        return f"(log {path} unreadable: {exc})"
    return "\n".join(text.splitlines()[-lines:]) or f"(log {path} is empty)"


@contextmanager
def _build_lock() -> Iterator[None]:
    from mlflow.environment_variables import MLFLOW_ENV_ROOT

    root = Path(str(MLFLOW_ENV_ROOT.get()))  # type: ignore[no-untyped-call]
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".databricks-mlops-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
