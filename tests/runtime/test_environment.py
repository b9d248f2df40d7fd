from __future__ import annotations

from collections.abc import Iterator

import pytest

from databricks_mlops.errors import RuntimeSetupError
from databricks_mlops.runtime.environment import detect_environment


@pytest.fixture(autouse=True)
def fresh_detection(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in (
        "MLOPS_RUNTIME",
        "DATABRICKS_RUNTIME_VERSION",
        "DATABRICKS_HOST",
        "DATABRICKS_CONFIG_PROFILE",
    ):
        monkeypatch.delenv(name, raising=False)
    detect_environment.cache_clear()
    yield
    detect_environment.cache_clear()


def test_local_by_default() -> None:
    environment = detect_environment()
    assert environment.kind == "local"
    assert "no Databricks compute" in environment.reason


def test_on_a_cluster(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABRICKS_RUNTIME_VERSION", "16.4")
    assert detect_environment().kind == "databricks"


def test_host_without_databricks_connect_stays_local(monkeypatch: pytest.MonkeyPatch) -> None:
    # databricks-connect conflicts with the pyspark installed here, so it is never present.
    monkeypatch.setenv("DATABRICKS_HOST", "https://example.cloud.databricks.com")
    assert detect_environment().kind == "local"


def test_forced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLOPS_RUNTIME", "Databricks")
    assert detect_environment().kind == "databricks"
    detect_environment.cache_clear()
    monkeypatch.setenv("MLOPS_RUNTIME", "cloud")
    with pytest.raises(RuntimeSetupError, match="MLOPS_RUNTIME='cloud' is not one of"):
        detect_environment()
