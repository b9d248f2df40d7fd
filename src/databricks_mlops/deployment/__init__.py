"""Deployment: promotion of the challenger, serving endpoints rolled out blue/green.

::

    from databricks_mlops.deployment import ModelDeployer
    endpoint = ModelDeployer().deploy_model(config)   # a DeploymentConfig
    print(endpoint.name, endpoint.url, endpoint.state, endpoint.traffic)

Locally an endpoint is an MLflow scoring server on 127.0.0.1; on Databricks a Model
Serving endpoint. Importing this package is light: MLflow, requests and databricks-sdk
load when a deployment runs.
"""

from databricks_mlops.deployment.deployer import ModelDeployer, ServingBackend
from databricks_mlops.deployment.endpoint import Endpoint, EndpointState, ServedVersion
from databricks_mlops.deployment.errors import (
    DeploymentError,
    ModelVersionNotFoundError,
    SmokeTestError,
)
from databricks_mlops.deployment.versions import ResolvedVersion, resolve_model_version

__all__ = [
    "DeploymentError",
    "Endpoint",
    "EndpointState",
    "ModelDeployer",
    "ModelVersionNotFoundError",
    "ResolvedVersion",
    "ServedVersion",
    "ServingBackend",
    "SmokeTestError",
    "resolve_model_version",
]
