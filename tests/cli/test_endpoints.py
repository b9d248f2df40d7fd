"""`databricks-mlops endpoints`: the real SDK against the recording Model Serving stub, and a
real local scoring server."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from tests.deployment.serving_workspace_stub import TOKEN, ServingWorkspaceStub
from typer.testing import CliRunner

from databricks_mlops.cli.app import app
from databricks_mlops.config.deployment import DeploymentConfig
from databricks_mlops.deployment import DeploymentError, ModelDeployer

runner = CliRunner()
MODEL = "main.churn.churn_model"


@pytest.fixture
def workspace(monkeypatch: pytest.MonkeyPatch) -> Iterator[ServingWorkspaceStub]:
    stub = ServingWorkspaceStub().start()
    monkeypatch.setenv("DATABRICKS_TOKEN", TOKEN)
    monkeypatch.delenv("DATABRICKS_HOST", raising=False)
    stub.add_endpoint("churn-a", MODEL, "1")
    stub.add_endpoint("churn-b", MODEL, {"1": 70, "3": 30})
    yield stub
    stub.stop()


def test_list_and_show_read_databricks_endpoints(workspace: ServingWorkspaceStub) -> None:
    listed = runner.invoke(app, ["endpoints", "list", "--host", workspace.url, "--json"])
    assert listed.exit_code == 0, listed.output
    endpoints = {e["name"]: e for e in json.loads(listed.output)}
    assert set(endpoints) == {"churn-a", "churn-b"}
    assert {e["backend"] for e in endpoints.values()} == {"databricks"}
    assert [(s["version"], s["traffic_percent"]) for s in endpoints["churn-b"]["served"]] == [
        ("1", 70),
        ("3", 30),
    ]

    shown = runner.invoke(app, ["endpoints", "show", "churn-b", "--host", workspace.url])
    assert shown.exit_code == 0, shown.output
    assert "v1: 70%" in shown.output and "v3: 30%" in shown.output

    missing = runner.invoke(app, ["endpoints", "show", "churn-c", "--host", workspace.url])
    assert isinstance(missing.exception, DeploymentError)
    assert "No serving endpoint 'churn-c' (databricks)" in str(missing.exception)
    assert "did you mean" in str(missing.exception)


def test_stop_deletes_and_rollback_without_history_is_refused(
    workspace: ServingWorkspaceStub,
) -> None:
    refused = runner.invoke(app, ["endpoints", "rollback", "churn-a", "--host", workspace.url])
    assert isinstance(refused.exception, DeploymentError)
    assert "records no previous version" in str(refused.exception)
    assert workspace.config_updates("churn-a") == []

    stopped = runner.invoke(app, ["endpoints", "stop", "churn-a", "--host", workspace.url])
    assert stopped.exit_code == 0, stopped.output
    assert ("DELETE", "/api/2.0/serving-endpoints/churn-a") in workspace.calls()
    assert set(workspace.endpoints) == {"churn-b"}


@pytest.mark.slow
def test_local_endpoint_is_listed_shown_and_stopped(churn_champion: tuple[str, str]) -> None:
    model, version = churn_champion
    name = "cli-endpoints-test"
    config = DeploymentConfig.model_validate(
        {
            "model_name": model,
            "model_version": version,
            "environment": "dev",
            "serving": {"endpoint_name": name},
        }
    )
    deployer = ModelDeployer()
    deployed = deployer.deploy_model(config)
    try:
        listed = runner.invoke(app, ["endpoints", "list", "--json"])
        assert listed.exit_code == 0, listed.output
        [mine] = [e for e in json.loads(listed.output) if e["name"] == name]
        assert (mine["backend"], mine["state"], mine["url"]) == ("local", "READY", deployed.url)
        assert [(s["version"], s["traffic_percent"]) for s in mine["served"]] == [(version, 100)]

        shown = runner.invoke(app, ["endpoints", "show", name])
        assert shown.exit_code == 0, shown.output
        assert f"v{version}: 100%" in shown.output

        stopped = runner.invoke(app, ["endpoints", "stop", name])
        assert stopped.exit_code == 0, stopped.output
        assert deployer.get(name) is None
    finally:
        if deployer.get(name) is not None:
            deployer.stop(name)
