"""Where requests go and with which headers: Databricks paths, sdk auth, local registry."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from pydantic import ValidationError
from tests.serving_client.scoring_stub import Recorded, Reply, ScoringServer, echo_reply

from databricks_mlops.config.serving import AuthConfig, AuthType, ClientConfig
from databricks_mlops.runtime.endpoint_registry import LocalEndpointEntry, LocalEndpointRegistry
from databricks_mlops.serving_client import ModelClient, ServingAuthError, ServingRequestError
from databricks_mlops.serving_client.endpoints import is_local, sdk_config_kwargs

Factory = Callable[..., ScoringServer]
TOKEN = "dapi-very-secret-token-123"
ROWS = pd.DataFrame({"id": [0, 1], "tenure": [1, 2]})


def databricks_config(url: str, auth: AuthConfig | None = None) -> ClientConfig:
    return ClientConfig(
        workspace_url=url,
        auth=auth or AuthConfig(auth_type=AuthType.TOKEN, token=TOKEN),  # type: ignore[arg-type]
        retry_config={"max_retries": 1, "backoff_factor": 0.01, "timeout_seconds": 2},  # type: ignore[arg-type]
        backend="databricks",
    )


def test_databricks_mode_posts_to_the_serving_endpoint_path_with_the_bearer_token(
    scoring_server: Factory, caplog: pytest.LogCaptureFixture
) -> None:
    server = scoring_server()
    caplog.set_level(logging.DEBUG)
    with ModelClient(databricks_config(server.url)) as client:
        response = client.predict("churn predictor", ROWS)

    (request,) = server.requests
    assert request.path == "/serving-endpoints/churn%20predictor/invocations"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.body["dataframe_split"]["columns"] == ["id", "tenure"]
    assert response.predictions["prediction"] == [0, 1]
    serving_logs = [r for r in caplog.records if r.name == "databricks_mlops.serving_client"]
    assert any("Authorization" in record.getMessage() for record in serving_logs)
    assert TOKEN not in caplog.text


def test_a_401_names_the_auth_fix(scoring_server: Factory) -> None:
    server = scoring_server(lambda s, r: Reply(401, {"message": "Invalid access token."}))
    with (
        ModelClient(databricks_config(server.url)) as client,
        pytest.raises(ServingRequestError, match=r"HTTP 401.*Invalid access token.*CAN_QUERY"),
    ):
        client.predict("churn", ROWS)


def test_a_loopback_url_is_local_and_sends_no_credentials(scoring_server: Factory) -> None:
    server = scoring_server()
    config = databricks_config(server.url).model_copy(update={"backend": "auto"})
    assert is_local(config)
    with ModelClient(config) as client:
        client.predict("not-registered", ROWS)
    (request,) = server.requests
    assert request.path == "/invocations"
    assert "Authorization" not in request.headers


def test_workspace_hosts_are_not_local() -> None:
    config = ClientConfig(
        workspace_url="https://adb-1.2.azuredatabricks.net",
        auth=AuthConfig(auth_type=AuthType.NONE),
    )
    assert not is_local(config)
    assert is_local(config.model_copy(update={"workspace_url": "http://localhost:5000"}))


@pytest.mark.parametrize(
    ("auth", "expected"),
    [
        (
            {"auth_type": "oauth_m2m", "client_id": "sp-id", "client_secret": "sp-secret"},
            {"auth_type": "oauth-m2m", "client_id": "sp-id", "client_secret": "sp-secret"},
        ),
        (
            {"type": "azure_sp", "client_id": "app", "client_secret": "pw", "tenant_id": "t"},
            {
                "auth_type": "azure-client-secret",
                "azure_client_id": "app",
                "azure_client_secret": "pw",
                "azure_tenant_id": "t",
            },
        ),
        ({"auth_type": "profile", "profile": "PROD"}, {"profile": "PROD"}),
        ({"auth_type": "token", "token": "abc"}, {"auth_type": "pat", "token": "abc"}),
    ],
)
def test_each_auth_type_maps_to_databricks_sdk_config(
    auth: dict[str, str], expected: dict[str, str]
) -> None:
    config = ClientConfig(
        workspace_url="https://x.cloud.databricks.com/",
        auth=AuthConfig.model_validate(auth),
        retry_config={"timeout_seconds": 7},  # type: ignore[arg-type]
    )
    kwargs = sdk_config_kwargs(config)
    assert kwargs == {
        "host": "https://x.cloud.databricks.com",
        "retry_timeout_seconds": 7,
        "http_timeout_seconds": 7,
        **expected,
    }


def test_azure_sp_without_tenant_is_a_config_error() -> None:
    with pytest.raises(ValidationError, match="azure_sp' needs client_id, client_secret and"):
        AuthConfig(auth_type=AuthType.AZURE_SP, client_id="a", client_secret="b")  # type: ignore[arg-type]


def test_an_unknown_profile_is_an_auth_error_naming_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scoring_server: Factory
) -> None:
    server = scoring_server()
    cfg = tmp_path / "databrickscfg"
    cfg.write_text(f"[DEV]\nhost = {server.url}\ntoken = x\n")
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(cfg))
    auth = AuthConfig(auth_type=AuthType.PROFILE, profile="NOPE")
    with (
        ModelClient(databricks_config(server.url, auth)) as client,
        pytest.raises(ServingAuthError, match=r"auth_type profile.*NOPE"),
    ):
        client.predict("churn", ROWS)
    assert server.requests == []


def test_a_profile_supplies_the_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scoring_server: Factory
) -> None:
    server = scoring_server()
    cfg = tmp_path / "databrickscfg"
    cfg.write_text(f"[DEV]\nhost = {server.url}\ntoken = from-profile\n")
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(cfg))
    auth = AuthConfig(auth_type=AuthType.PROFILE, profile="DEV")
    with ModelClient(databricks_config(server.url, auth)) as client:
        client.predict("churn", ROWS)
    assert server.requests[0].headers["Authorization"] == "Bearer from-profile"


def version_reply(version: str) -> Callable[[ScoringServer, Recorded], Reply]:
    def reply(server: ScoringServer, request: Recorded) -> Reply:
        answer = echo_reply(server, request)
        answer.body = {"predictions": [{"prediction": version} for _ in request.ids]}
        return answer

    return reply


def entry(name: str, server: ScoringServer, version: str) -> LocalEndpointEntry:
    return LocalEndpointEntry(
        name=name, url=server.url, model_name="m", version=version, pid=1, port=server.port
    )


def test_local_names_resolve_through_the_endpoint_registry_and_follow_a_switch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scoring_server: Factory
) -> None:
    monkeypatch.setenv("MLOPS_HOME", str(tmp_path))
    blue, green = scoring_server(version_reply("1")), scoring_server(version_reply("2"))
    registry = LocalEndpointRegistry(tmp_path)
    registry.put(entry("churn", blue, "1"))
    config = ClientConfig(
        workspace_url="http://127.0.0.1:9", auth=AuthConfig(auth_type=AuthType.NONE)
    )
    with ModelClient(config) as client:
        before = client.predict("churn", ROWS)
        registry.put(entry("churn", green, "2"))  # what a blue/green switch writes
        after = client.predict("churn", ROWS)

    assert before.metadata.model_version == "1"
    assert before.predictions["prediction"] == ["1", "1"]
    assert after.metadata.model_version == "2"
    assert after.predictions["prediction"] == ["2", "2"]
    assert [r.path for r in blue.requests + green.requests] == ["/invocations"] * 2


def test_a_version_header_wins_over_the_registry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scoring_server: Factory
) -> None:
    monkeypatch.setenv("MLOPS_HOME", str(tmp_path))

    def reply(server: ScoringServer, request: Recorded) -> Reply:
        answer = echo_reply(server, request)
        answer.headers = {"x-model-version": "9"}
        return answer

    server = scoring_server(reply)
    LocalEndpointRegistry(tmp_path).put(entry("churn", server, "3"))
    config = ClientConfig(workspace_url=server.url, auth=AuthConfig(auth_type=AuthType.NONE))
    with ModelClient(config) as client:
        assert client.predict("churn", ROWS).metadata.model_version == "9"
