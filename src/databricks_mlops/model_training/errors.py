"""Errors of the training stage; all are ``MLOpsError`` so tasks print one line and fail."""

from __future__ import annotations

from databricks_mlops.errors import MLOpsError


class TrainingError(MLOpsError):
    """The data, the estimator or its parameters cannot be trained as configured."""


class TrackingError(MLOpsError):
    """Logging to MLflow (run, metrics, model, artifacts) failed."""


class RegistryError(MLOpsError):
    """Registering a model version or setting its alias failed."""


class EvaluationGateError(MLOpsError):
    """The candidate failed a blocking evaluation gate and was not registered.

    ``failures`` holds one line per failed gate (metric, threshold or champion value,
    and the candidate's value); ``run_id`` is the candidate's MLflow run.
    """

    def __init__(self, message: str, *, failures: list[str], run_id: str | None) -> None:
        super().__init__(message)
        self.failures = failures
        self.run_id = run_id
