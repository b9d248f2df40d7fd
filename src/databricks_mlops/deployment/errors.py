"""Errors of the deployment stage, under ``DeploymentError`` (itself an ``MLOpsError``, so
tasks print one line and fail). ``PromotionError`` (``deployment.promotion``) and
``BatchInferenceError`` (``deployment.batch``) derive from it too."""

from __future__ import annotations

from typing import TYPE_CHECKING

from databricks_mlops.errors import MLOpsError

if TYPE_CHECKING:
    from databricks_mlops.config.deployment import DeploymentConfig, ServingConfig


class DeploymentError(MLOpsError):
    """Base of the deployment errors; raised itself when a model version could not be put
    behind an endpoint (what is still serving is said)."""


class ModelVersionNotFoundError(DeploymentError):
    """The configured model, version, alias or stage does not exist in the registry."""


class SmokeTestError(DeploymentError):
    """A newly started version did not answer the smoke requests as expected."""


class NoServingEndpointError(DeploymentError):
    """A ``deployment_type: batch`` config was asked for its serving endpoint."""

    deterministic = True  # the config says batch: a retry would be refused the same way


def require_serving(config: DeploymentConfig) -> ServingConfig:
    """The config's ``serving`` section, for code that deploys to or queries an endpoint.

    The one check (deployer, both backends, the smoke test) so the refusal reads the same
    everywhere and the type narrows to :class:`ServingConfig` for mypy. A batch config is
    refused even when it carries a ``serving`` section: it has no endpoint.
    """
    if config.deployment_type == "batch" or config.serving is None:
        raise NoServingEndpointError(
            f"{config.model_name} has deployment_type batch: there is no serving endpoint to "
            "deploy or test; batch models are scored by the batch_inference job "
            "(mlops-score), or set deployment_type: serving_endpoint in the deployment config"
        )
    return config.serving
