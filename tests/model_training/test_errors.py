"""The training stage's errors share one base, ModelTrainingError."""

from __future__ import annotations

import pytest

from databricks_mlops import model_training
from databricks_mlops.model_training import ModelTrainingError


@pytest.mark.parametrize(
    "name", ["TrainingError", "TrackingError", "RegistryError", "EvaluationGateError"]
)
def test_each_training_error_is_a_model_training_error(name: str) -> None:
    assert issubclass(getattr(model_training, name), ModelTrainingError)
