"""The seed's Quick Start, end to end: ``MLOpsWorkflow(...).run()`` from data to endpoint.

Run: ``python examples/complete_mlops_pipeline.py [--keep-serving]``

Ingestion -> validation -> features -> training -> evaluation gates -> registration ->
promotion -> blue/green deployment, with the reference bundle's configs. With no
workspace host configured everything runs locally, and the endpoint is an MLflow
scoring server on 127.0.0.1 that the typed ``ModelClient`` finds by name. The endpoint
is stopped at the end unless ``--keep-serving`` is given.
"""

from __future__ import annotations

import sys

from _common import CONFIGS, local_home, variables, write_customers

SCHEMA = "quickstart"


def main(argv: list[str]) -> int:
    local_home()
    from databricks_mlops.deployment import ModelDeployer
    from databricks_mlops.model_serving import ModelClient
    from databricks_mlops.models.config import (
        DataConfig,
        DeploymentConfig,
        FeatureConfig,
        TrainingConfig,
    )
    from databricks_mlops.models.serving import AuthConfig, AuthType, ClientConfig
    from databricks_mlops.pipelines import MLOpsWorkflow
    from databricks_mlops.runtime import get_runtime
    from databricks_mlops.utils.auth import WorkspaceConfig

    write_customers(SCHEMA, rows=3000)
    values = {**variables(SCHEMA), "environment": "dev"}

    # No host: the embedded local backends (set host/token to target a workspace).
    workspace = WorkspaceConfig()
    workflow = MLOpsWorkflow(
        workspace=workspace,
        data_config=DataConfig.from_yaml(CONFIGS / "data.yml", values),
        feature_config=FeatureConfig.from_yaml(CONFIGS / "features.yml", values),
        training_config=TrainingConfig.from_yaml(CONFIGS / "training.yml", values),
        deployment_config=DeploymentConfig.from_yaml(CONFIGS / "deployment.yml", values),
    )
    results = workflow.run()
    for stage in results.stages:
        print(f"{stage.name:>12}: {stage.status:<9} {stage.seconds:6.1f}s  {stage.detail}")
    print(f"Model deployed with ID: {results.model_id}, version: {results.version}")
    endpoint = results.endpoint
    assert endpoint is not None
    print(f"Endpoint {endpoint.name} at {endpoint.url} serves {endpoint.traffic}")

    client = ModelClient(
        config=ClientConfig(
            workspace_url="http://127.0.0.1", auth=AuthConfig(auth_type=AuthType.NONE)
        )
    )
    customers = get_runtime().read_delta(f"main.{SCHEMA}.customers_bronze").limit(3).toPandas()
    with client:
        response = client.predict(endpoint_name=endpoint.name, features=customers)
    print(f"Predictions processed in {response.metadata.latency_ms:.1f}ms")
    print(f"Churn probabilities: {response.predictions['probability']}")
    print(f"Churn class: {response.predictions['class']}")
    if "--keep-serving" not in argv:
        ModelDeployer(workspace).stop(endpoint.name)
        print(f"stopped {endpoint.name}")
    served = response.metadata.model_version == results.version
    return 0 if results.succeeded and served else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
