"""The typed serving client: the seed's ModelClient example, batching, metrics, errors.

Run: ``python examples/model_serving_example.py``

A churn model is trained and deployed to a local endpoint first (an MLflow scoring server
on 127.0.0.1); against Databricks, ``workspace_url`` is the workspace and the same code
calls ``/serving-endpoints/<name>/invocations`` with the configured auth.
"""

from __future__ import annotations

import os
import sys

from _common import local_home, sample_customers, train_churn_model

MODEL = "main.examples.churn_client"
ENDPOINT = "churn-predictor-endpoint"


def main() -> int:
    local_home()
    import pandas as pd

    from databricks_mlops.deployment import ModelDeployer
    from databricks_mlops.deployment.promotion import promote_challenger
    from databricks_mlops.model_serving import ModelClient, RequestMetrics, ServingRequestError
    from databricks_mlops.models.deployment import DeploymentConfig
    from databricks_mlops.models.serving import AuthConfig, AuthType, ClientConfig
    from databricks_mlops.runtime import get_runtime

    get_runtime().configure_mlflow()
    train_churn_model(MODEL)
    promote_challenger(MODEL)
    deployer = ModelDeployer()
    endpoint = deployer.deploy_model(
        DeploymentConfig(model_name=MODEL, model_version="@champion", endpoint_name=ENDPOINT)
    )
    os.environ.setdefault("DATABRICKS_TOKEN", "not-needed-locally")
    try:
        # --- the seed's example, with workspace_url pointing at the local endpoint ---
        client_config = ClientConfig(
            workspace_url=endpoint.url,
            auth=AuthConfig(auth_type=AuthType.TOKEN, token="${DATABRICKS_TOKEN}"),
            retry_config={"max_retries": 3, "backoff_factor": 0.5, "timeout_seconds": 30},
        )
        client = ModelClient(config=client_config)
        features = pd.DataFrame(
            {
                "tenure": [12, 24, 36],
                "monthly_charges": [50.0, 70.0, 90.0],
                "contract_type": ["Month-to-month", "One year", "Two year"],
                "total_charges": [600.0, 1680.0, 3240.0],
            }
        )
        response = client.predict(endpoint_name=ENDPOINT, features=features)
        probabilities = response.predictions["probability"]
        churn_class = response.predictions["class"]
        latency_ms = response.metadata.latency_ms
        print(f"Predictions processed in {latency_ms}ms")
        print(f"Churn probabilities: {probabilities}")
        print(f"Churn class: {churn_class} (model version {response.metadata.model_version})")
        client.close()

        # --- batching: 10,000 rows in chunks of 1,000, four in flight, order kept ---
        seen: list[RequestMetrics] = []
        batched = ModelClient(
            ClientConfig(
                workspace_url=endpoint.url,
                auth=AuthConfig(auth_type=AuthType.NONE),
                batch_size=1000,
                max_concurrency=4,
            ),
            metrics_hook=seen.append,
        )
        many = sample_customers(10_000)
        with batched:
            scored = batched.predict(ENDPOINT, many)
        rows = len(scored.predictions["probability"])
        print(
            f"{rows} rows in {scored.metadata.batches} batches, {scored.metadata.latency_ms:.0f} ms "
            f"({rows / scored.metadata.latency_ms * 1000:,.0f} rows/s); hook saw {len(seen)} requests"
        )

        # --- a bad request is not retried: a typed error with the server's message ---
        try:
            with ModelClient(client_config) as strict:
                strict.predict(ENDPOINT, features.drop(columns=["tenure"]))
        except ServingRequestError as exc:
            print(f"rejected as expected (HTTP {exc.status}): {str(exc)[:160]}")
            rejected = True
        else:
            rejected = False
        ok = rows == 10_000 and rejected and all(0 <= p <= 1 for p in probabilities)
        return 0 if ok else 1
    finally:
        deployer.stop(ENDPOINT)


if __name__ == "__main__":
    sys.exit(main())
