"""The seed's ModelClient example, as written, against a real ``mlflow models serve``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

pytestmark = pytest.mark.slow


def test_the_seed_example_runs_against_the_local_scoring_server(
    champion_server: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABRICKS_TOKEN", "anything-works-locally")
    monkeypatch.setenv("MLOPS_HOME", str(tmp_path))  # no registered endpoints: the URL is it

    # --- the seed's block; only workspace_url points at the local server -----------------
    from databricks_mlops.models.serving import AuthConfig, AuthType, ClientConfig

    from databricks_mlops.model_serving import ModelClient

    # Create type-safe client configuration
    client_config = ClientConfig(
        workspace_url=champion_server,
        auth=AuthConfig(
            auth_type=AuthType.TOKEN,
            token="${DATABRICKS_TOKEN}",  # type: ignore[arg-type]
        ),
        retry_config={  # type: ignore[arg-type]
            "max_retries": 3,
            "backoff_factor": 0.5,
            "timeout_seconds": 30,
        },
    )

    # Create client with proper typing
    client = ModelClient(config=client_config)

    # Prepare feature data with correct types
    features = pd.DataFrame(
        {
            "tenure": [12, 24, 36],
            "monthly_charges": [50.0, 70.0, 90.0],
            "contract_type": ["Month-to-month", "One year", "Two year"],
            "total_charges": [600.0, 1680.0, 3240.0],
        }
    )

    # Get predictions with full type safety
    response = client.predict(endpoint_name="churn-predictor-endpoint", features=features)

    # Process results with proper typing
    probabilities = response.predictions["probability"]
    churn_class = response.predictions["class"]
    latency_ms = response.metadata.latency_ms

    print(f"Predictions processed in {latency_ms}ms")
    print(f"Churn probabilities: {probabilities}")
    # --- end of the seed's block ----------------------------------------------------------

    client.close()
    assert len(probabilities) == 3
    assert all(0.0 <= p <= 1.0 for p in probabilities)
    assert set(churn_class) <= {0, 1}
    assert response.metadata.rows == 3
    assert latency_ms > 0
    assert "Churn probabilities: [" in capsys.readouterr().out


def test_batched_predictions_match_the_model_loaded_in_process(
    champion_server: str,
    churn_champion: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    import mlflow
    from databricks_mlops.models.serving import AuthConfig, AuthType, ClientConfig

    from databricks_mlops.datasets import generate_churn
    from databricks_mlops.model_serving import ModelClient

    monkeypatch.setenv("MLOPS_HOME", str(tmp_path))
    name, _ = churn_champion
    rows = generate_churn(2_500, 5)[["tenure", "monthly_charges", "total_charges", "contract_type"]]
    expected = mlflow.pyfunc.load_model(f"models:/{name}@champion").predict(rows)
    config = ClientConfig(
        workspace_url=champion_server,
        auth=AuthConfig(auth_type=AuthType.NONE),
        batch_size=1000,
        max_concurrency=2,
    )
    with ModelClient(config) as client:
        response = client.predict("churn", rows)

    assert response.metadata.batches == 3
    assert response.predictions["prediction"] == expected["prediction"].tolist()
    assert response.predictions["probability"] == pytest.approx(expected["probability"].tolist())
