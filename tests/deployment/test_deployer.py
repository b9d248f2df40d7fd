"""ModelDeployer: version resolution, smoke helpers, backend choice, and the seed's example
against the local backend (a real scoring server)."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import requests
from mlflow import MlflowClient

from databricks_mlops.config.deployment import DeploymentConfig, ServingConfig
from databricks_mlops.deployment import (
    DeploymentError,
    ModelDeployer,
    ModelVersionNotFoundError,
    SmokeTestError,
    resolve_model_version,
)
from databricks_mlops.deployment.local_serving import LocalServingBackend
from databricks_mlops.deployment.smoke import smoke_rows, smoke_test
from databricks_mlops.runtime import Runtime
from databricks_mlops.utils.auth import WorkspaceConfig


@pytest.fixture(scope="module")
def versions(churn_champion: tuple[str, str], runtime: Runtime) -> tuple[str, str]:
    """A model of its own: version 1 @champion, version 2 @challenger (copies of the
    session's champion, so they have its input example)."""
    runtime.configure_mlflow()
    name, version = churn_champion
    client = MlflowClient()
    source = client.get_model_version(name, version)
    own = f"main.deploy.m_{uuid.uuid4().hex[:8]}"
    client.create_registered_model(own)
    for alias in ("champion", "challenger"):
        created = client.create_model_version(own, source=str(source.source), run_id=source.run_id)
        client.set_registered_model_alias(own, alias, created.version)
    return own, str(source.source)


def config(**fields: str) -> DeploymentConfig:
    return DeploymentConfig.model_validate(fields)


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ({"model_version": "1"}, "1"),
        ({"model_version": "latest"}, "2"),
        ({"model_version": "@champion"}, "1"),
        ({"model_version": "Staging"}, "2"),
        ({"model_version": "production"}, "1"),
        ({"model_uri": "models:/{name}/2"}, "2"),
        ({"model_uri": "models:/{name}@champion"}, "1"),
        ({"model_uri": "models:/{name}/Staging"}, "2"),
        ({"model_uri": "models:/{name}/latest", "model_version": "@challenger"}, "2"),
    ],
)
def test_resolves_numbers_latest_aliases_and_stages(
    versions: tuple[str, str], reference: dict[str, str], expected: str
) -> None:
    name = versions[0]
    fields = {key: value.format(name=name) for key, value in reference.items()}
    resolved = resolve_model_version(config(model_name=name, **fields))
    assert (resolved.model_name, resolved.version) == (name, expected)
    assert resolved.model_uri == f"models:/{name}/{expected}"


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ({"model_version": "7"}, r"has no version 7; existing versions: 1, 2"),
        ({"model_version": "@shadow"}, r"has no @shadow version: set the alias"),
        ({"model_version": "Archived"}, r"not a number, 'latest', an alias \(write '@Archived'\)"),
        ({"model_uri": "runs:/abc/model"}, r"is not a registry URI: write models:/NAME/VERSION"),
        ({"model_uri": "models:/other.model/1"}, r"names model 'other.model' but model_name is"),
        ({"model_uri": "models:/{name}/1", "model_version": "2"}, r"give only one of them"),
    ],
)
def test_unknown_versions_aliases_and_uris_are_named(
    versions: tuple[str, str], reference: dict[str, str], message: str
) -> None:
    name = versions[0]
    fields = {key: value.format(name=name) for key, value in reference.items()}
    with pytest.raises(ModelVersionNotFoundError, match=message):
        resolve_model_version(config(model_name=name, **fields))


def test_missing_model_says_to_train_first(runtime: Runtime) -> None:
    runtime.configure_mlflow()
    with pytest.raises(
        ModelVersionNotFoundError, match=r"registered model 'main.deploy.nothing' does not exist"
    ):
        resolve_model_version(config(model_name="main.deploy.nothing", model_version="@champion"))


def test_smoke_rows_come_from_the_logged_input_example(versions: tuple[str, str]) -> None:
    name = versions[0]
    rows = smoke_rows(f"models:/{name}/1", 7)  # the example has 5 rows: cycled to 7
    assert len(rows) == 7
    assert {"tenure", "monthly_charges", "total_charges", "contract_type"} <= set(rows.columns)
    assert rows.iloc[5].equals(rows.iloc[0])


def test_smoke_rows_need_an_input_example(runtime: Runtime, tmp_path: Path) -> None:
    import mlflow
    from mlflow.pyfunc.model import PythonModel

    runtime.configure_mlflow()

    class Echo(PythonModel):
        def predict(
            self, context: Any, model_input: Any, params: dict[str, Any] | None = None
        ) -> Any:
            return model_input

    path = tmp_path / "echo"
    mlflow.pyfunc.save_model(str(path), python_model=Echo())
    with pytest.raises(SmokeTestError, match=r"logged without an input example.*enabled: false"):
        smoke_rows(str(path), 3)


class _Scorer(BaseHTTPRequestHandler):
    """A scoring server that answers too few predictions or an error, per path."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        status, body = (
            (200, b'{"predictions": [1]}')
            if self.path.startswith("/short")
            else (400, b"bad input")
        )
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def scorer() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Scorer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_smoke_test_names_the_cause(scorer: str) -> None:
    frame = pd.DataFrame({"a": [1, 2], "when": pd.to_datetime(["2024-01-01", "2024-01-02"])})
    with pytest.raises(SmokeTestError, match=r"sent 2 rows but got 1 predictions"):
        smoke_test(f"{scorer}/short", frame)
    with pytest.raises(SmokeTestError, match=r"answered HTTP 400: bad input"):
        smoke_test(f"{scorer}/broken", frame)
    with pytest.raises(SmokeTestError, match=r"smoke request to http://127.0.0.1:9/invocations"):
        smoke_test("http://127.0.0.1:9", frame, timeout=2)


def test_batch_deployments_are_refused_with_advice(versions: tuple[str, str]) -> None:
    batch = config(model_name=versions[0], model_version="@champion", deployment_type="batch")
    with pytest.raises(DeploymentError, match=r"deployment_type batch.*batch_inference job"):
        ModelDeployer().deploy_model(batch)


def test_backend_is_local_without_a_workspace(mlops_home: Path) -> None:
    for deployer in (ModelDeployer(), ModelDeployer(workspace=WorkspaceConfig())):
        assert deployer.kind == "local"
        assert isinstance(deployer.backend, LocalServingBackend)
        assert deployer.backend.home == mlops_home


class _NoMetadata(BaseHTTPRequestHandler):
    # The SDK asks the host for /.well-known/databricks-config when the client is built.
    def do_GET(self) -> None:
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_backend_is_databricks_with_a_workspace_host() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NoMetadata)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        workspace = WorkspaceConfig(host=f"http://127.0.0.1:{server.server_port}", token="x")
        deployer = ModelDeployer(workspace=workspace)
    finally:
        server.shutdown()
        server.server_close()
    assert deployer.kind == "databricks"
    assert type(deployer.backend).__name__ == "DatabricksServingBackend"


@pytest.mark.slow
def test_seed_deployment_example_runs_against_the_local_backend(
    versions: tuple[str, str], runtime: Runtime
) -> None:
    # The seed registers "customer_churn_predictor" and deploys its Staging version.
    client = MlflowClient()
    if not client.search_registered_models("name = 'customer_churn_predictor'"):
        client.create_registered_model("customer_churn_predictor")
    created = client.create_model_version(
        "customer_churn_predictor", source=versions[1], run_id=None
    )
    client.set_registered_model_alias("customer_churn_predictor", "challenger", created.version)

    # --- the seed's example, with the workspace left empty (= local) ---
    workspace = WorkspaceConfig()
    config = DeploymentConfig(
        model_name="customer_churn_predictor",
        model_uri="models:/customer_churn_predictor/Staging",
        description="Predicts customer churn probability",
        serving=ServingConfig(
            endpoint_name="churn-predictor-endpoint",
            instance_type="Standard_DS3_v2",
            scale_to_zero_enabled=True,
            min_instances=1,
            max_instances=4,
        ),
        tags={"team": "customer_analytics", "use_case": "churn_prediction", "version": "1.0.0"},
    )
    deployer = ModelDeployer(workspace=workspace)
    endpoint = deployer.deploy_model(config=config)
    print(f"Model deployed to endpoint: {endpoint.name}")
    print(f"Endpoint URL: {endpoint.url}")
    # --- end of the example ---
    try:
        assert endpoint.name == "churn-predictor-endpoint"
        assert endpoint.served_versions == [str(created.version)]
        assert endpoint.state == "READY"
        features = pd.DataFrame(
            {
                "tenure": [12, 24, 36],
                "monthly_charges": [50.0, 70.0, 90.0],
                "total_charges": [600.0, 1680.0, 3240.0],
                "contract_type": ["Month-to-month", "One year", "Two year"],
            }
        )
        answer = requests.post(
            f"{endpoint.url}/invocations",
            json={"dataframe_split": features.to_dict(orient="split", index=False)},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        assert len(answer.json()["predictions"]) == 3
        listed = {e.name: e for e in deployer.list()}
        assert listed["churn-predictor-endpoint"].state == "READY"
        got = deployer.get("churn-predictor-endpoint")
        assert got is not None and got.url == endpoint.url
        assert isinstance(deployer.backend, LocalServingBackend)
        entry = deployer.backend.registry.get("churn-predictor-endpoint")
        assert entry is not None
        pid = entry.pid
    finally:
        deployer.stop("churn-predictor-endpoint")
    assert "churn-predictor-endpoint" not in [e.name for e in deployer.list()]
    assert deployer.get("churn-predictor-endpoint") is None
    with pytest.raises(requests.ConnectionError, match="Connection refused"):
        requests.get(f"{endpoint.url}/ping", timeout=5)
    with pytest.raises(ProcessLookupError, match="No such process"):
        os.killpg(pid, 0)  # the server's whole process group is gone
