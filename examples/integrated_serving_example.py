"""Train -> register -> promote -> deploy -> predict with the typed client -> retrain ->
blue/green to the new version while the endpoint keeps answering.

Run: ``python examples/integrated_serving_example.py``

The components one by one (``ModelTrainer``, ``promote_challenger``, ``ModelDeployer``,
``ModelClient``) rather than ``MLOpsWorkflow``; locally the endpoint is an MLflow scoring
server on 127.0.0.1 and blue/green is real: the new version starts beside the old one,
is smoke-tested, takes the endpoint's name, and only then is the old one stopped.
"""

from __future__ import annotations

import sys

from _common import local_home, sample_customers, train_churn_model

MODEL = "main.examples.churn_serving"


def main() -> int:
    local_home()
    from databricks_mlops.deployment import ModelDeployer
    from databricks_mlops.deployment.promotion import promote_challenger
    from databricks_mlops.model_serving import ModelClient
    from databricks_mlops.models.deployment import DeploymentConfig, ServingConfig
    from databricks_mlops.models.serving import AuthConfig, AuthType, ClientConfig
    from databricks_mlops.runtime import get_runtime

    get_runtime().configure_mlflow()
    deployer = ModelDeployer()
    config = DeploymentConfig(
        model_name=MODEL,
        model_version="@champion",
        environment="dev",
        serving=ServingConfig(endpoint_name="churn-integrated", scale_to_zero_enabled=True),
        tags={"team": "customer_analytics"},
    )
    client = ModelClient(
        ClientConfig(workspace_url="http://127.0.0.1", auth=AuthConfig(auth_type=AuthType.NONE))
    )
    customers = sample_customers(5)
    try:
        first = train_churn_model(MODEL, trees=20)
        promote_challenger(MODEL)
        endpoint = deployer.deploy_model(config)
        print(f"v{first}: {endpoint.name} at {endpoint.url} {endpoint.state} {endpoint.traffic}")
        before = client.predict("churn-integrated", customers)
        print(f"v{before.metadata.model_version} probabilities {before.predictions['probability']}")

        second = train_churn_model(MODEL, seed=8, trees=60)  # a retrained challenger
        promote_challenger(MODEL)
        endpoint = deployer.deploy_model(config)  # blue/green: v1 serves until v2 passed
        print(f"v{second}: {endpoint.name} at {endpoint.url} {endpoint.state} {endpoint.traffic}")
        after = client.predict("churn-integrated", customers)
        print(f"v{after.metadata.model_version} probabilities {after.predictions['probability']}")
        print(f"latency {after.metadata.latency_ms:.1f} ms, request {after.metadata.request_id}")
        switched = (before.metadata.model_version, after.metadata.model_version) == (first, second)
        return 0 if switched else 1
    finally:
        client.close()
        if deployer.get("churn-integrated") is not None:
            deployer.stop("churn-integrated")


if __name__ == "__main__":
    sys.exit(main())
