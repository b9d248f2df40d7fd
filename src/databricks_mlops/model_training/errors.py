"""Errors of the training stage, under ``ModelTrainingError`` (an ``MLOpsError``, so tasks
print one line and fail)."""

from __future__ import annotations

from databricks_mlops.errors import MLOpsError


class ModelTrainingError(MLOpsError):
    """Base of the training stage's errors: ``except ModelTrainingError`` catches them all."""


class TrainingError(ModelTrainingError):
    """The data, the estimator or its parameters cannot be trained as configured."""


class TrackingError(ModelTrainingError):
    """Logging to MLflow (run, metrics, model, artifacts) failed."""


class RegistryError(ModelTrainingError):
    """Registering a model version or setting its alias failed."""


class EvaluationGateError(ModelTrainingError):
    """The candidate failed a blocking evaluation gate and was not registered.

    ``failures`` holds one line per failed gate (metric, threshold or champion value,
    and the candidate's value); ``run_id`` is the candidate's MLflow run.
    """

    def __init__(self, message: str, *, failures: list[str], run_id: str | None) -> None:
        super().__init__(message)
        self.failures = failures
        self.run_id = run_id
