"""Local serving: ``mlflow models serve`` on 127.0.0.1, blue/green done for real.

An endpoint is one scoring-server process group, named in the endpoint registry
(``<home>/endpoints.json``: name -> url, version, pid). Deploying a new version:

1. start green (``mlflow models serve -m models:/NAME/VERSION``) on a free port, detached
   (its own session, so it outlives this process and is stopped as a group);
2. wait for ``GET /ping`` (if green dies meanwhile, the error quotes its log's tail);
3. smoke-test green with the model's input example rows;
4. switch the registry entry to green (``previous_version`` = blue's version): from this
   moment clients resolving the name reach green;
5. stop blue (SIGTERM, SIGKILL after a grace period).

Before 1, the model's own environment is built from its logged requirements (uv,
cached by MLflow under ``~/.mlflow/envs``), and green runs in it with the model's
``code/`` on ``sys.path``: nothing of this process's venv (nor ``PYTHONPATH``), as in
Model Serving. A model that lacks its code or a requirement fails to start here too.
That build happens before green starts, outside the readiness wait.

Any failure in 2-3 stops green and leaves the registry and blue untouched. Traffic steps
do not apply here: one process serves one version, and the switch is atomic (0 -> 100).
The environment (dev/staging/prod) is only recorded in the server's log header locally.
"""

from __future__ import annotations

import fcntl
import logging
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from databricks_mlops.deployment.endpoint import Endpoint, EndpointState, ServedVersion
from databricks_mlops.deployment.errors import DeploymentError, require_serving
from databricks_mlops.deployment.model_environment import (
    DEFAULT_ENV_MANAGER,
    EnvManager,
    failure_cause,
    isolated_process_env,
    prepare_model_environment,
    tail,
)
from databricks_mlops.deployment.smoke import input_example, smoke_test
from databricks_mlops.runtime.endpoint_registry import LocalEndpointEntry, LocalEndpointRegistry

if TYPE_CHECKING:
    import pandas as pd

    from databricks_mlops.config.deployment import DeploymentConfig

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"

# Processes started by this Python process, by pid: polled so a dead child is reaped (a
# zombie still "exists" for os.kill) and waited for when stopped.
_children: dict[int, subprocess.Popen[bytes]] = {}


class LocalServingBackend:
    """MLflow scoring servers on 127.0.0.1, one per endpoint name, state under ``home``.

    ``env_manager="local"`` serves from this process's venv instead of the model's own
    environment: only for tests about the process handling itself, never the default.
    """

    def __init__(
        self,
        home: Path,
        *,
        startup_timeout_seconds: float = 120,
        stop_grace_seconds: float = 10,
        env_manager: EnvManager = DEFAULT_ENV_MANAGER,
    ) -> None:
        self.home = home
        self.registry = LocalEndpointRegistry(home)
        self.logs = home / "endpoints"
        self.startup_timeout_seconds = startup_timeout_seconds
        self.stop_grace_seconds = stop_grace_seconds
        self.env_manager = env_manager

    # -- the backend interface -------------------------------------------------------------

    def deploy(
        self,
        config: DeploymentConfig,
        model_name: str,
        version: str,
        smoke_rows: pd.DataFrame | None = None,
    ) -> Endpoint:
        serving = require_serving(config)
        name = serving.endpoint_name
        with self._endpoint_lock(name):
            blue = self._live_entry(name)
            if blue is not None and (blue.model_name, blue.version) == (model_name, version):
                logger.info("%s already serves %s version %s: no change", name, model_name, version)
                return self._endpoint(blue)
            green = self._start(name, model_name, version, config)
            switched = green.model_copy(
                update={"previous_version": blue.version if blue is not None else None}
            )
            done = False
            try:
                self._check_green(green, config, smoke_rows)
                try:
                    self.registry.put(switched)  # from here on, clients reach green
                except OSError as exc:
                    raise DeploymentError(
                        f"Failed to switch {self.registry.path} to green: {exc}"
                    ) from exc
                done = True
            except DeploymentError as exc:
                still = (
                    f"version {blue.version} keeps serving at {blue.url}"
                    if blue is not None
                    else "nothing was serving before"
                )
                raise DeploymentError(
                    f"Failed to deploy {model_name} version {version} to local endpoint "
                    f"{name}: {exc}; green stopped, {still} (log: {self._log_path(name, version)})"
                ) from exc
            finally:
                # Whatever stopped the rollout (our checks, Ctrl-C, a bug): no stray green.
                if not done:
                    self._stop_process(green.pid)
            if blue is not None:
                try:
                    self._stop_process(blue.pid)
                except DeploymentError as exc:
                    # Green already serves; a blue that cannot be stopped is only reported.
                    logger.warning(
                        "%s: the old server (pid %d) was not stopped: %s", name, blue.pid, exc
                    )
            logger.info(
                "%s: %s version %s serving at %s (previous: %s, environment %s)",
                name,
                model_name,
                version,
                switched.url,
                switched.previous_version or "none",
                config.environment,
            )
            return self._endpoint(switched)

    def _check_green(
        self,
        green: LocalEndpointEntry,
        config: DeploymentConfig,
        smoke_rows: pd.DataFrame | None,
    ) -> None:
        """Health check, then the smoke requests (when rows were given)."""
        serving = require_serving(config)
        self._wait_ready(green, serving.endpoint_name)
        if smoke_rows is None:
            return
        smoke = serving.rollout.smoke_test
        result = smoke_test(
            green.url,
            smoke_rows,
            max_latency_ms=smoke.max_latency_ms,
            timeout=float(serving.timeout_seconds),
        )
        logger.info(
            "%s: green version %s answered %d smoke rows in %.0f ms",
            green.name,
            green.version,
            result.rows,
            result.latency_ms,
        )

    def get(self, name: str) -> Endpoint | None:
        entry = self._live_entry(name)
        return self._endpoint(entry) if entry is not None else None

    def list(self) -> list[Endpoint]:
        live = (self._live_entry(entry.name) for entry in self.registry.list())
        return [self._endpoint(entry) for entry in live if entry is not None]

    def stop(self, name: str) -> None:
        entry = self.registry.get(name)
        if entry is None:
            known = ", ".join(e.name for e in self.registry.list()) or "none"
            raise DeploymentError(f"no local endpoint named {name!r} (endpoints: {known})")
        with self._endpoint_lock(name):  # not while a deploy of it is switching
            self._stop_process(entry.pid)
            self.registry.remove(name)
        logger.info("%s: stopped (pid %d) and removed from the registry", name, entry.pid)

    def rollback(self, name: str) -> Endpoint:
        """Serve the version that served before the last switch again (blue/green too)."""
        from databricks_mlops.config.deployment import DeploymentConfig

        entry = self.registry.get(name)
        if entry is None:
            raise DeploymentError(f"no local endpoint named {name!r} to roll back")
        previous = entry.previous_version or _previous_champion(entry)
        if previous is None:
            raise DeploymentError(
                f"{name} serves {entry.model_name} version {entry.version} and records no "
                "previous version to roll back to: deploy a version explicitly"
            )
        config = DeploymentConfig.model_validate(
            {
                "model_name": entry.model_name,
                "model_version": previous,
                "serving": {"endpoint_name": name},
            }
        )
        model_uri = f"models:/{entry.model_name}/{previous}"
        # A rollback is smoke-tested like any deploy when the model has an example to send.
        rows = input_example(model_uri)
        return self.deploy(config, entry.model_name, previous, rows)

    # -- processes -------------------------------------------------------------------------

    def _start(
        self, name: str, model_name: str, version: str, config: DeploymentConfig
    ) -> LocalEndpointEntry:
        import mlflow

        serving = require_serving(config)
        port = _free_port()
        model_uri = f"models:/{model_name}/{version}"
        command = [
            "mlflow",
            "models",
            "serve",
            "-m",
            model_uri,
            "--env-manager",
            self.env_manager,
            "-h",
            HOST,
            "-p",
            str(port),
            "-t",
            str(serving.timeout_seconds),
        ]
        env = isolated_process_env(
            {
                **os.environ,
                **serving.environment_variables,
                # The server resolves models:/ itself: it must see the same registry we do.
                "MLFLOW_TRACKING_URI": mlflow.get_tracking_uri(),
                "MLFLOW_REGISTRY_URI": mlflow.get_registry_uri(),
            },
            isolate=self.env_manager != "local",
        )
        self.logs.mkdir(parents=True, exist_ok=True)
        log_path = self._log_path(name, version)
        # With a local env manager `mlflow models serve` runs uvicorn from this venv (the
        # PATH isolated_process_env sets); otherwise the env's own, once it is built.
        seconds = prepare_model_environment(
            model_uri,
            env_manager=self.env_manager,
            log_path=log_path,
            env=env,
        )
        if self.env_manager != "local":
            logger.info("%s: environment of %s ready in %.1f s", name, model_uri, seconds)
        with open(log_path, "ab") as log:
            log.write(
                f"# {time.strftime('%Y-%m-%dT%H:%M:%S')} endpoint {name}: {model_uri} on port "
                f"{port} (environment {config.environment})\n".encode()
            )
            log.flush()
            try:
                process = subprocess.Popen(
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=env,
                    cwd=self.home,
                    # Its own session: it survives this process, and stop() signals the
                    # whole group (the CLI process and the uvicorn server it starts).
                    start_new_session=True,
                )
            except OSError as exc:
                raise DeploymentError(
                    f"Failed to start `mlflow models serve` for {model_uri}: {exc}"
                ) from exc
        _children[process.pid] = process
        logger.info("%s: started green %s (pid %d, port %d)", name, model_uri, process.pid, port)
        return LocalEndpointEntry(
            name=name,
            url=f"http://{HOST}:{port}",
            model_name=model_name,
            version=version,
            pid=process.pid,
            port=port,
        )

    def _wait_ready(self, green: LocalEndpointEntry, name: str) -> None:
        import requests

        deadline = time.monotonic() + self.startup_timeout_seconds
        log_path = self._log_path(name, green.version)
        while True:
            if not _alive(green.pid):
                raise DeploymentError(
                    f"the scoring server for version {green.version} exited before answering "
                    f"/ping{failure_cause(log_path)}; its log ends with:\n{tail(log_path)}"
                )
            try:
                if requests.get(f"{green.url}/ping", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass  # not listening yet: the server takes seconds to load the model
            if time.monotonic() > deadline:
                raise DeploymentError(
                    f"the scoring server for version {green.version} did not answer "
                    f"{green.url}/ping within {self.startup_timeout_seconds:g} s; its log ends "
                    f"with:\n{tail(log_path)}"
                )
            time.sleep(0.25)

    def _stop_process(self, pid: int) -> None:
        """SIGTERM the server's process group, SIGKILL it after the grace period."""
        if _foreign(pid):
            _reap(pid)
            return
        if not _signal_group(pid, signal.SIGTERM):
            _reap(pid)
            return
        deadline = time.monotonic() + self.stop_grace_seconds
        while time.monotonic() < deadline:
            _reap(pid)
            if not _group_exists(pid):
                return
            time.sleep(0.1)
        logger.warning("pid %d ignored SIGTERM for %g s: SIGKILL", pid, self.stop_grace_seconds)
        _signal_group(pid, signal.SIGKILL)
        _reap(pid, wait=True)

    # -- registry --------------------------------------------------------------------------

    def _live_entry(self, name: str) -> LocalEndpointEntry | None:
        """The entry of ``name``; an entry whose server died is reported and treated as absent."""
        entry = self.registry.get(name)
        if entry is None or _alive(entry.pid):
            return entry
        logger.warning(
            "local endpoint %s: its server (pid %d, %s version %s) is not running any more; "
            "treating the endpoint as absent (log: %s)",
            name,
            entry.pid,
            entry.model_name,
            entry.version,
            self._log_path(name, entry.version),
        )
        return None

    def _endpoint(self, entry: LocalEndpointEntry) -> Endpoint:
        return Endpoint(
            name=entry.name,
            url=entry.url,
            state=_state(entry),
            backend="local",
            served=[
                ServedVersion(
                    model_name=entry.model_name, version=entry.version, traffic_percent=100
                )
            ],
        )

    def _log_path(self, name: str, version: str) -> Path:
        return self.logs / f"{name}-v{version}.log"

    @contextmanager
    def _endpoint_lock(self, name: str) -> Iterator[None]:
        # Two deploys of one endpoint at once would each stop the other's blue.
        self.logs.mkdir(parents=True, exist_ok=True)
        with open(self.logs / f".{name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


def _state(entry: LocalEndpointEntry) -> EndpointState:
    import requests

    try:
        answered = requests.get(f"{entry.url}/ping", timeout=2).status_code == 200
    except requests.RequestException:
        answered = False
    return "READY" if answered else "NOT_READY"


def _previous_champion(entry: LocalEndpointEntry) -> str | None:
    """The ``mlops.previous_champion`` tag promotion left on the served version, if any."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    from databricks_mlops.deployment.promotion import PREVIOUS_CHAMPION_TAG

    try:
        served = MlflowClient().get_model_version(entry.model_name, entry.version)
    except MlflowException as exc:
        raise DeploymentError(
            f"Failed to read {entry.model_name} version {entry.version} for a rollback: {exc}"
        ) from exc
    return served.tags.get(PREVIOUS_CHAMPION_TAG)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _alive(pid: int) -> bool:
    child = _children.get(pid)
    if child is not None:
        return child.poll() is None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else: not ours to judge further
    return not _zombie(pid) and not _foreign(pid)


def _zombie(pid: int) -> bool:
    # A server started by another (still running) process and dead since stays a zombie
    # until that process reaps it; os.kill(pid, 0) cannot tell.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[:1] == ["Z"]


def _foreign(pid: int) -> bool:
    """True when ``pid`` now runs something other than MLflow (reused after the server
    died): such a process must neither count as the server nor be signalled."""
    if pid in _children:
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return False  # gone (or no /proc on this OS): nothing foreign to protect
    except OSError:
        return False
    return bool(cmdline) and b"mlflow" not in cmdline


def _signal_group(pid: int, sig: signal.Signals) -> bool:
    """Signal the server's process group; False when nothing of it is left."""
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        return False
    except PermissionError as exc:
        raise DeploymentError(
            f"Failed to stop the scoring server (process group {pid}): {exc}; "
            "it belongs to another user"
        ) from exc
    return True


def _group_exists(pid: int) -> bool:
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _reap(pid: int, *, wait: bool = False) -> None:
    child = _children.get(pid)
    if child is None:
        return
    if wait:
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            return
    if child.poll() is not None:
        _children.pop(pid, None)
