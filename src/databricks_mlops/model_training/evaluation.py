"""The evaluate step: candidate and champion scored by their logged models on the
candidate's test rows (saved with its run), then the gates.

Both models are scored through the same path (the logged pyfunc), so the comparison
is like for like; a run id is all it needs, so it can run in a task of its own.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from databricks_mlops.config.training import TrainingConfig
from databricks_mlops.model_training.errors import TrackingError
from databricks_mlops.model_training.gates import GateVerdict, evaluate_gates
from databricks_mlops.model_training.metrics import prediction_metrics
from databricks_mlops.model_training.model_registry import CHAMPION, version_by_alias
from databricks_mlops.model_training.tracking import (
    TAG_CLASSES,
    TAG_MODEL_URI,
    TEST_SET_ARTIFACT,
)

logger = logging.getLogger(__name__)

TAG_TEST_SET_TRANSFORMED = "mlops.test_set_transformed"


def evaluate_run(config: TrainingConfig, run_id: str) -> GateVerdict:
    """Score the run's model and the current champion on the run's test rows, check the
    gates, and write the verdict to the run (tags, and ``champion_test_*`` metrics)."""
    import mlflow
    import pandas as pd
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    client = MlflowClient()
    try:
        run = client.get_run(run_id)
        path = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=TEST_SET_ARTIFACT)
    except MlflowException as exc:
        raise TrackingError(f"Failed to read run {run_id} for evaluation: {exc}") from exc
    tags = run.data.tags
    if TAG_MODEL_URI not in tags:
        raise TrackingError(f"run {run_id} has no logged model (tag {TAG_MODEL_URI} missing)")
    test = pd.read_parquet(path)
    target = test.pop(config.target_column)
    classes = json.loads(tags.get(TAG_CLASSES, "[]"))
    transformed = tags.get(TAG_TEST_SET_TRANSFORMED) == "true"

    candidate_model = mlflow.pyfunc.load_model(tags[TAG_MODEL_URI])
    candidate = prediction_metrics(
        config.model_type, _score(candidate_model, test, transformed), target, classes
    )
    champion_metrics: dict[str, float] | None = None
    champion_version: str | None = None
    notes: list[str] = []
    champion = version_by_alias(config.registry_model_name, CHAMPION)
    if champion is not None:
        champion_version = str(champion.version)
        try:
            champion_model = mlflow.pyfunc.load_model(
                f"models:/{config.registry_model_name}@{CHAMPION}"
            )
            predictions = _score(champion_model, test, transformed)
            champion_metrics = prediction_metrics(config.model_type, predictions, target, classes)
        except Exception as exc:
            # A champion with another input schema cannot be compared; say so in the
            # verdict rather than fail the candidate for the champion's sake.
            logger.warning("champion version %s could not be scored: %s", champion_version, exc)
            notes.append(f"champion version {champion_version} could not score the test set: {exc}")
    verdict = evaluate_gates(
        config.gates, candidate, champion_metrics, champion_version=champion_version
    )
    verdict.notes.extend(notes)
    try:
        for key, value in verdict.as_tags().items():
            client.set_tag(run_id, key, value)
        if champion_metrics is not None:
            for metric, measured in champion_metrics.items():
                if measured == measured:  # NaN: not measured, not logged
                    client.log_metric(run_id, f"champion_test_{metric}", measured)
    except MlflowException as exc:
        raise TrackingError(f"Failed to record the gate verdict on run {run_id}: {exc}") from exc
    return verdict


def _score(model: Any, test: Any, transformed: bool) -> Any:
    if transformed:
        # Rows read from a feature table are already transformed: skip the state.
        return model.unwrap_python_model().predict_features(test)
    return model.predict(test)


def verdict_from_run(run_id: str) -> GateVerdict | None:
    """The verdict :func:`evaluate_run` recorded on the run, or None if not evaluated."""
    from mlflow import MlflowClient

    tags = MlflowClient().get_run(run_id).data.tags
    if "gate.verdict" not in tags:
        return None
    return GateVerdict.from_tags(tags)
