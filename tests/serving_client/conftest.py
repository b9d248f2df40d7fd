"""Fixtures of the serving client tests: stub scoring servers started per test."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from tests.serving_client.scoring_stub import (
    Recorded,
    Reply,
    ScoringServer,
    echo_reply,
    free_port,
)

if TYPE_CHECKING:
    from databricks_mlops.runtime import Runtime


@pytest.fixture
def scoring_server() -> Iterator[Callable[..., ScoringServer]]:
    """Factory: ``scoring_server(reply=...)`` starts a server, stopped after the test."""
    started: list[ScoringServer] = []

    def start(reply: Callable[[ScoringServer, Recorded], Reply] = echo_reply) -> ScoringServer:
        server = ScoringServer(reply).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def champion_server(churn_champion: tuple[str, str], runtime: Runtime) -> Iterator[str]:
    """``mlflow models serve`` of ``models:/NAME@champion`` on 127.0.0.1: its base URL."""
    import mlflow
    import requests

    runtime.configure_mlflow()
    name, _ = churn_champion
    port = free_port()
    bin_dir = Path(sys.executable).parent
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "MLFLOW_TRACKING_URI": mlflow.get_tracking_uri(),
        "MLFLOW_REGISTRY_URI": mlflow.get_registry_uri(),
    }
    command = [str(bin_dir / "mlflow"), "models", "serve", "-m", f"models:/{name}@champion"]
    command += ["--env-manager", "local", "-h", "127.0.0.1", "-p", str(port)]
    log = runtime.home / f"scoring-server-{port}.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            command, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"mlflow models serve exited: {log.read_text()[-3000:]}")
            try:
                if requests.get(f"{url}/ping", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"mlflow models serve did not answer /ping: {log}")
            time.sleep(0.5)
        yield url
    finally:
        # Our own process group (start_new_session): the server and its uvicorn workers.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
