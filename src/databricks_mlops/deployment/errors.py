"""Errors of the deployment stage, under ``DeploymentError`` (itself an ``MLOpsError``, so
tasks print one line and fail). ``PromotionError`` (``deployment.promotion``) and
``BatchInferenceError`` (``deployment.batch``) derive from it too."""

from __future__ import annotations

from databricks_mlops.errors import MLOpsError


class DeploymentError(MLOpsError):
    """Base of the deployment errors; raised itself when a model version could not be put
    behind an endpoint (what is still serving is said)."""


class ModelVersionNotFoundError(DeploymentError):
    """The configured model, version, alias or stage does not exist in the registry."""


class SmokeTestError(DeploymentError):
    """A newly started version did not answer the smoke requests as expected."""
