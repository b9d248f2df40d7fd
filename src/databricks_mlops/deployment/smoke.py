"""Smoke requests: a few rows of the model's own input example sent to a new server.

The rows come from the input example logged with the model (what it was trained on), so
a smoke test needs no data of its own and checks the real request path: JSON in
``dataframe_split`` form (what Model Serving and the MLflow scoring server both accept),
an HTTP 200, one prediction per row, and optionally a latency bound.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from databricks_mlops.deployment.errors import SmokeTestError

if TYPE_CHECKING:
    import pandas as pd

    from databricks_mlops.config.deployment import DeploymentConfig
    from databricks_mlops.serving_client import PredictionResponse


@dataclass(frozen=True)
class SmokeResult:
    url: str
    rows: int
    latency_ms: float


def input_example(model_uri: str) -> pd.DataFrame | None:
    """The input example logged with ``model_uri`` as a frame, or None when it has none."""
    import pandas as pd
    from mlflow.exceptions import MlflowException
    from mlflow.models import Model

    try:
        model = Model.load(model_uri)
        example = model.load_input_example(model_uri)
    except (MlflowException, OSError) as exc:
        raise SmokeTestError(f"Failed to load the input example of {model_uri}: {exc}") from exc
    if example is None:
        return None
    if isinstance(example, pd.DataFrame):
        return example
    if isinstance(example, dict | list):
        return pd.DataFrame(example)
    raise SmokeTestError(
        f"the input example of {model_uri} is a {type(example).__name__}, not a table: "
        "smoke tests send dataframe_split requests; disable rollout.smoke_test for this model"
    )


def smoke_rows(model_uri: str, rows: int) -> pd.DataFrame:
    """``rows`` rows of the model's input example (repeated when the example is shorter)."""
    import pandas as pd

    example = input_example(model_uri)
    if example is None or example.empty:
        raise SmokeTestError(
            f"{model_uri} was logged without an input example, so there is nothing to smoke "
            "test it with: log the model with input_example=..., or set "
            "serving.rollout.smoke_test.enabled: false"
        )
    repeats = -(-rows // len(example))  # ceil: a short example is cycled, not padded
    return pd.concat([example] * repeats, ignore_index=True).head(rows)


def dataframe_split_payload(frame: pd.DataFrame) -> dict[str, Any]:
    """``{"dataframe_split": {"columns", "data"}}``, encoded exactly as ``ModelClient``
    sends it (NaN as null, dates ISO 8601), so a smoke test sends what clients will."""
    from databricks_mlops.serving_client.payload import encode_frame

    payload: dict[str, Any] = json.loads(encode_frame(frame))
    return payload


def smoke_test(
    url: str,
    frame: pd.DataFrame,
    *,
    max_latency_ms: float | None = None,
    timeout: float = 30.0,
    headers: dict[str, str] | None = None,
) -> SmokeResult:
    """POST ``frame`` to ``{url}/invocations``; 200, one prediction per row, in time."""
    import requests

    target = f"{url.rstrip('/')}/invocations"
    payload = dataframe_split_payload(frame)
    started = time.perf_counter()
    try:
        response = requests.post(target, json=payload, headers=headers, timeout=timeout)
    except requests.RequestException as exc:
        raise SmokeTestError(f"smoke request to {target} failed: {exc}") from exc
    latency_ms = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SmokeTestError(
            f"smoke request to {target} answered HTTP {response.status_code}: {response.text[:500]}"
        )
    try:
        body = response.json()
    except ValueError as exc:
        raise SmokeTestError(
            f"smoke request to {target} answered non-JSON: {response.text[:200]!r}"
        ) from exc
    answered = _prediction_count(body)
    check_answer(target, len(frame), answered, latency_ms, max_latency_ms, str(body)[:300])
    return SmokeResult(url=target, rows=len(frame), latency_ms=latency_ms)


def check_answer(
    target: str,
    sent: int,
    answered: int | None,
    latency_ms: float,
    max_latency_ms: float | None,
    body: str = "",
) -> None:
    """One prediction per row sent, within the latency bound: else :class:`SmokeTestError`."""
    if answered != sent:
        raise SmokeTestError(
            f"smoke request to {target} sent {sent} rows but got {answered} predictions"
            + (f": {body}" if body else "")
        )
    if max_latency_ms is not None and latency_ms > max_latency_ms:
        raise SmokeTestError(
            f"smoke request to {target} took {latency_ms:.1f} ms, above max_latency_ms "
            f"{max_latency_ms:g}: raise the bound or look at the server's load"
        )


def smoke_test_endpoint(config: DeploymentConfig) -> PredictionResponse:
    """Query the live endpoint by name the way its clients will (``ModelClient``), with
    rows from the served version's input example; fail on errors, a wrong row count or
    a latency above ``rollout.smoke_test.max_latency_ms``."""
    from databricks_mlops.config.serving import AuthConfig, AuthType, ClientConfig
    from databricks_mlops.deployment.deployer import ModelDeployer
    from databricks_mlops.deployment.errors import require_serving
    from databricks_mlops.serving_client import ModelClient

    serving = require_serving(config)
    name = serving.endpoint_name
    deployer = ModelDeployer()
    endpoint = deployer.get(name)
    if endpoint is None or endpoint.state != "READY":
        state = "does not exist" if endpoint is None else f"is {endpoint.state}"
        raise SmokeTestError(f"endpoint {name} {state}: run the deploy task first")
    main = endpoint.main_served
    if main is None:
        raise SmokeTestError(f"endpoint {name} serves no model version: run the deploy task first")
    rows = smoke_rows(f"models:/{main.model_name}/{main.version}", serving.rollout.smoke_test.rows)
    if deployer.kind == "local":
        # Any loopback URL: the client finds the endpoint in the local registry by name.
        auth = AuthConfig(auth_type=AuthType.NONE)
        client_config = ClientConfig(workspace_url="http://127.0.0.1", auth=auth)
    else:
        host = endpoint.url.split("/serving-endpoints/")[0]
        client_config = ClientConfig(
            workspace_url=host, auth=AuthConfig(auth_type=AuthType.DEFAULT)
        )
    with ModelClient(client_config) as client:
        response = client.predict(name, rows)
    answered = len(next(iter(response.predictions.values()), []))
    limit = serving.rollout.smoke_test.max_latency_ms
    check_answer(f"endpoint {name}", len(rows), answered, response.metadata.latency_ms, limit)
    return response


def _prediction_count(body: Any) -> int | None:
    """Rows in a scoring answer: ``{"predictions": [...]}`` or a dict of columns."""
    predictions = body.get("predictions") if isinstance(body, dict) else None
    if isinstance(predictions, list):
        return len(predictions)
    if isinstance(predictions, dict) and predictions:
        lengths = {len(v) for v in predictions.values() if isinstance(v, list)}
        return lengths.pop() if len(lengths) == 1 else None
    return None
