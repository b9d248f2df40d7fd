"""Local blue/green with real ``mlflow models serve`` processes on 127.0.0.1.

One blue server (version 1) is started for the module and reused; each test that starts
a green leaves the endpoint serving version 1 again, so the tests do not depend on order.
Every server this module starts is stopped in the fixtures' teardown.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import requests
from mlflow import MlflowClient

from databricks_mlops.config.deployment import DeploymentConfig
from databricks_mlops.deployment import DeploymentError, SmokeTestError, local_serving, smoke
from databricks_mlops.deployment.local_serving import LocalServingBackend
from databricks_mlops.deployment.smoke import dataframe_split_payload, smoke_rows
from databricks_mlops.runtime import Runtime
from databricks_mlops.runtime.endpoint_registry import LocalEndpointEntry, LocalEndpointRegistry

pytestmark = pytest.mark.slow

ENDPOINT = "churn-local"


def serving_pids(model_uri: str) -> list[int]:
    """Pids of every live process whose command line serves ``model_uri``."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
            state = (proc / "stat").read_text().rpartition(")")[2].split()[0]
        except OSError:
            continue
        if model_uri.encode() in cmdline and state != "Z":
            found.append(int(proc.name))
    return found


def group_alive(pid: int) -> bool:
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return False
    return True


def predict(url: str, frame: pd.DataFrame) -> list[dict[str, float]]:
    response = requests.post(f"{url}/invocations", json=dataframe_split_payload(frame), timeout=30)
    assert response.status_code == 200, response.text
    predictions: list[dict[str, float]] = response.json()["predictions"]
    return predictions


def config_for(model: str, version: str, **smoke: object) -> DeploymentConfig:
    return DeploymentConfig.model_validate(
        {
            "model_name": model,
            "model_version": version,
            "environment": "dev",
            "serving": {"endpoint_name": ENDPOINT, "rollout": {"smoke_test": smoke}},
        }
    )


@pytest.fixture(scope="module")
def model(churn_champion: tuple[str, str], runtime: Runtime) -> str:
    """A registered model of its own with versions 1 and 2 (copies of the champion), so
    versions added here change nothing the other test modules see."""
    runtime.configure_mlflow()
    name, version = churn_champion
    client = MlflowClient()
    source = client.get_model_version(name, version)
    own = f"main.serving.local_{uuid.uuid4().hex[:8]}"
    client.create_registered_model(own)
    for _ in range(2):
        client.create_model_version(own, source=str(source.source), run_id=source.run_id)
    return own


@pytest.fixture(scope="module")
def backend(mlops_home: Path) -> Iterator[LocalServingBackend]:
    backend = LocalServingBackend(mlops_home, startup_timeout_seconds=120, stop_grace_seconds=5)
    yield backend
    for entry in backend.registry.list():
        if entry.name.startswith(ENDPOINT) or entry.name == "ghost":
            backend.stop(entry.name)
    # A green left behind by a failing test would otherwise outlive the suite.
    for pid in list(local_serving._children):
        backend._stop_process(pid)


@pytest.fixture(scope="module")
def rows(model: str) -> pd.DataFrame:
    return smoke_rows(f"models:/{model}/1", 3)


@pytest.fixture(scope="module")
def blue(backend: LocalServingBackend, model: str, rows: pd.DataFrame) -> LocalEndpointEntry:
    backend.deploy(config_for(model, "1"), model, "1", rows)
    entry = backend.registry.get(ENDPOINT)
    assert entry is not None
    return entry


def current(backend: LocalServingBackend) -> LocalEndpointEntry:
    entry = backend.registry.get(ENDPOINT)
    assert entry is not None
    return entry


def test_first_deploy_answers_ping_and_predictions(
    backend: LocalServingBackend, blue: LocalEndpointEntry, model: str, rows: pd.DataFrame
) -> None:
    entry = current(backend)
    assert (entry.model_name, entry.version, entry.previous_version) == (model, "1", None)
    assert entry.url == f"http://127.0.0.1:{entry.port}"
    assert requests.get(f"{entry.url}/ping", timeout=5).status_code == 200
    predictions = predict(entry.url, rows)
    assert len(predictions) == 3
    assert all(0.0 <= p["probability"] <= 1.0 and p["prediction"] in (0, 1) for p in predictions)
    endpoint = backend.get(ENDPOINT)
    assert endpoint is not None
    assert (endpoint.state, endpoint.backend, endpoint.traffic) == ("READY", "local", {"1": 100})
    assert ENDPOINT in [e.name for e in backend.list()]
    # The registry file is what the serving client reads: same entry through a new reader.
    assert LocalEndpointRegistry(backend.home).get(ENDPOINT) == entry
    log = (backend.home / "endpoints" / f"{ENDPOINT}-v1.log").read_text()
    assert f"models:/{model}/1" in log and "environment dev" in log


def test_same_version_already_serving_is_a_noop(
    backend: LocalServingBackend, blue: LocalEndpointEntry, model: str, rows: pd.DataFrame
) -> None:
    before = current(backend)
    started = time.monotonic()
    endpoint = backend.deploy(config_for(model, "1"), model, "1", rows)
    assert time.monotonic() - started < 5  # no server was started
    assert current(backend) == before
    assert endpoint.served_versions == ["1"]
    assert serving_pids(f"models:/{model}/1") == [before.pid]


def test_green_killed_while_starting_leaves_blue_serving(
    backend: LocalServingBackend, blue: LocalEndpointEntry, model: str, rows: pd.DataFrame
) -> None:
    before = current(backend)
    killed: list[int] = []
    stop = threading.Event()

    def kill_green_as_soon_as_it_appears() -> None:
        while not stop.is_set():
            for pid in serving_pids(f"models:/{model}/2"):
                os.killpg(os.getpgid(pid), signal.SIGKILL)
                killed.append(pid)
                return
            time.sleep(0.02)

    killer = threading.Thread(target=kill_green_as_soon_as_it_appears)
    killer.start()
    try:
        with pytest.raises(
            DeploymentError,
            match=r"(?s)Failed to deploy .* version 2 to local endpoint churn-local: the scoring "
            r"server for version 2 exited before answering /ping.*version 1 keeps serving",
        ):
            backend.deploy(config_for(model, "2"), model, "2", rows)
    finally:
        stop.set()
        killer.join()
    assert killed, "the green server was never seen"
    assert current(backend) == before  # registry untouched
    assert len(predict(before.url, rows)) == 3  # blue still answers
    assert serving_pids(f"models:/{model}/2") == []


def test_green_killed_after_startup_fails_its_smoke_test_and_blue_keeps_serving(
    backend: LocalServingBackend,
    blue: LocalEndpointEntry,
    model: str,
    rows: pd.DataFrame,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = current(backend)
    real_smoke_test = smoke.smoke_test
    killed: list[int] = []

    def kill_green_then_smoke_test(url: str, frame: pd.DataFrame, **kwargs: float) -> object:
        # Green answered /ping; it dies now, between the health check and the smoke test.
        for pid in serving_pids(f"models:/{model}/2"):
            os.killpg(os.getpgid(pid), signal.SIGKILL)
            killed.append(pid)
        return real_smoke_test(url, frame, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(local_serving, "smoke_test", kill_green_then_smoke_test)
    with pytest.raises(DeploymentError, match=r"smoke request to .*/invocations failed") as info:
        backend.deploy(config_for(model, "2"), model, "2", rows)
    assert isinstance(info.value.__cause__, SmokeTestError)
    assert killed
    assert current(backend) == before
    assert len(predict(before.url, rows)) == 3


def test_failing_smoke_test_stops_green_and_keeps_blue(
    backend: LocalServingBackend, blue: LocalEndpointEntry, model: str, rows: pd.DataFrame
) -> None:
    before = current(backend)
    with pytest.raises(DeploymentError, match=r"above max_latency_ms 0\.001.*green stopped"):
        backend.deploy(config_for(model, "2", max_latency_ms=0.001), model, "2", rows)
    assert serving_pids(f"models:/{model}/2") == []  # green stopped
    assert current(backend) == before
    assert len(predict(before.url, rows)) == 3


def test_blue_green_switch_then_rollback(
    backend: LocalServingBackend, blue: LocalEndpointEntry, model: str, rows: pd.DataFrame
) -> None:
    before = current(backend)
    endpoint = backend.deploy(config_for(model, "2"), model, "2", rows)
    green = current(backend)
    assert (green.version, green.previous_version) == ("2", "1")
    assert green.pid != before.pid and green.port != before.port
    assert (endpoint.url, endpoint.state, endpoint.traffic) == (green.url, "READY", {"2": 100})
    assert len(predict(green.url, rows)) == 3
    assert not group_alive(before.pid)  # blue stopped, its whole process group
    assert serving_pids(f"models:/{model}/1") == []
    with pytest.raises(requests.ConnectionError, match="Connection refused"):
        requests.get(f"{before.url}/ping", timeout=5)

    rolled = backend.rollback(ENDPOINT)
    back = current(backend)
    assert (back.version, back.previous_version) == ("1", "2")
    assert rolled.traffic == {"1": 100}
    assert len(predict(back.url, rows)) == 3
    assert not group_alive(green.pid)


def test_dead_entry_is_reported_and_treated_as_absent(
    backend: LocalServingBackend, model: str, caplog: pytest.LogCaptureFixture
) -> None:
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True)  # fmt: skip
    dead_pid = int(finished.stdout)
    backend.registry.put(
        LocalEndpointEntry(
            name="ghost",
            url="http://127.0.0.1:9",
            model_name=model,
            version="1",
            pid=dead_pid,
            port=9,
        )
    )
    with caplog.at_level(logging.WARNING, logger=local_serving.__name__):
        assert backend.get("ghost") is None
        assert "ghost" not in [e.name for e in backend.list()]
    assert f"its server (pid {dead_pid}" in caplog.text
    assert "treating the endpoint as absent" in caplog.text
    with pytest.raises(DeploymentError, match="records no previous version to roll back to"):
        backend.rollback("ghost")
    backend.stop("ghost")  # a dead server's entry can still be removed
    assert backend.registry.get("ghost") is None
    with pytest.raises(DeploymentError, match=r"no local endpoint named 'ghost'"):
        backend.stop("ghost")
