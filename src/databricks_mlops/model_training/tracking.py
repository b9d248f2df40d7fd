"""MLflow 3 tracking: experiment, params, lineage tags and the logged feature-pipeline model."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from databricks_mlops.config.training import TrainingConfig
from databricks_mlops.model_training.errors import TrackingError

if TYPE_CHECKING:
    import pandas as pd

    from databricks_mlops.feature_engineering import FittedFeatureState
    from databricks_mlops.runtime import Runtime

MODEL_NAME_IN_RUN = "model"
TAG_MODEL_URI = "mlops.model_uri"
TAG_CLASSES = "mlops.classes"
TAG_RAW_COLUMNS = "mlops.raw_input_columns"
TEST_SET_ARTIFACT = "evaluation/test_set.parquet"
_UV_AUTO_DETECT = "MLFLOW_UV_AUTO_DETECT"


def model_requirements(extra: list[str] | None = None) -> list[str]:
    """The framework's scoring-time requirements pinned from this environment, then
    ``extra`` (what a model without custom code needs; see ``model_code``)."""
    from databricks_mlops.model_training.model_code import (
        FRAMEWORK_SCORING_REQUIREMENTS,
        pinned,
    )

    return [*(pinned(name) for name in FRAMEWORK_SCORING_REQUIREMENTS), *(extra or [])]


def ensure_experiment(runtime: Runtime, name: str) -> str:
    """The experiment's id, creating it with the runtime's artifact location."""
    import mlflow
    from mlflow.exceptions import MlflowException

    runtime.configure_mlflow()
    try:
        experiment = mlflow.get_experiment_by_name(name)
        if experiment is None:
            experiment_id = mlflow.create_experiment(
                name, artifact_location=runtime.artifact_location(name)
            )
        else:
            experiment_id = experiment.experiment_id
        mlflow.set_experiment(experiment_id=experiment_id)
    except MlflowException as exc:
        raise TrackingError(f"Failed to open MLflow experiment {name!r}: {exc}") from exc
    return str(experiment_id)


def config_hash(config: TrainingConfig) -> str:
    text = config.model_dump_json(exclude_none=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def git_commit() -> str | None:
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = result.stdout.strip()
    return commit if result.returncode == 0 and commit else None


def lineage_tags(
    config: TrainingConfig,
    *,
    estimator_label: str,
    row_counts: dict[str, int],
    sampled: bool,
    feature_state: FittedFeatureState | None,
    feature_table_version: int | None,
) -> dict[str, str]:
    tags = {
        "mlops.config_hash": config_hash(config),
        "mlops.estimator": estimator_label,
        "mlops.model_type": config.model_type.value,
        "mlops.target_column": config.target_column,
        "mlops.registry_model_name": config.registry_model_name,
        "mlops.max_training_rows": str(config.max_training_rows),
        "mlops.sampled": str(sampled).lower(),
        **{f"mlops.rows.{key}": str(value) for key, value in row_counts.items()},
    }
    commit = git_commit()
    if commit:
        tags["mlops.git_commit"] = commit
    table = config.feature_table or (feature_state.feature_table_name if feature_state else None)
    if table:
        tags["mlops.feature_table"] = table
    if feature_table_version is not None:
        tags["mlops.feature_table_version"] = str(feature_table_version)
    return tags


def loggable_params(config: TrainingConfig, hyperparameters: dict[str, Any]) -> dict[str, str]:
    """Hyperparameters and the training settings (the config holds no secrets)."""
    params = {f"hp.{key}": _short(value) for key, value in hyperparameters.items()}
    params |= {
        "estimator": str(config.estimator),
        "split_ratios": _short(config.split_ratios),
        "stratify": str(config.stratify),
        "cross_validation_folds": str(config.cross_validation_folds),
        "seed": str(config.seed),
        "feature_columns": _short(config.model_input_columns),
        "primary_metric": config.primary_metric,
        "gate_mode": config.gate_mode,
    }
    return params


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text[:500]


def log_feature_pipeline_model(
    *,
    estimator: Any,
    feature_state: FittedFeatureState | None,
    feature_columns: list[str],
    classification: bool,
    input_example: pd.DataFrame | None,
    workdir: Path,
    extra_requirements: list[str] | None,
) -> str:
    """Log the pyfunc (state + estimator) under the active run; returns its model URI.

    The model carries its code (``databricks_mlops`` and the packages of its custom
    transforms and estimator types, as ``code_paths``) and lists every requirement they
    need at scoring time, pinned: Model Serving installs nothing else.
    """
    import mlflow
    from mlflow.exceptions import MlflowException
    from mlflow.models import infer_signature

    from databricks_mlops.model_training.model_code import collect_model_code
    from databricks_mlops.model_training.pyfunc_model import (
        FEATURE_STATE_ARTIFACT,
        FeaturePipelineModel,
    )
    from databricks_mlops.model_training.serialization import recorded_types, save_estimator

    artifacts = save_estimator(estimator, workdir / "estimator")
    code = collect_model_code(
        estimator=estimator,
        estimator_types=recorded_types(artifacts["estimator_types"]),
        feature_state=feature_state,
        workdir=workdir,
        extra_requirements=extra_requirements,
    )
    if feature_state is not None:
        state_file = workdir / "feature_state.json"
        state_file.write_text(feature_state.model_dump_json(), encoding="utf-8")
        artifacts[FEATURE_STATE_ARTIFACT] = str(state_file)
    python_model = FeaturePipelineModel(feature_columns, classification, code.custom_transforms)
    signature = None
    if input_example is not None:
        preview = FeaturePipelineModel(feature_columns, classification)
        preview._estimator = estimator
        if feature_state is not None:
            from databricks_mlops.feature_engineering import FeatureTransformer

            preview._transformer = FeatureTransformer.from_state(feature_state)
        signature = infer_signature(input_example, preview.predict(None, input_example))
    try:
        with _without_uv_project_files():
            info = mlflow.pyfunc.log_model(
                name=MODEL_NAME_IN_RUN,
                python_model=python_model,
                artifacts=artifacts,
                pip_requirements=code.requirements,
                code_paths=code.code_paths,
                signature=signature,
                input_example=input_example,
            )
    except MlflowException as exc:
        raise TrackingError(f"Failed to log the model: {exc}") from exc
    return str(info.model_uri)


@contextmanager
def _without_uv_project_files() -> Iterator[None]:
    """MLflow 3 copies the working directory's ``uv.lock``/``pyproject.toml`` into the
    model, and a uv environment then restores the whole project lock (Spark included)
    instead of the model's requirements: the model's environment would not be what
    Model Serving installs. Off while logging (MLflow reads the variable per call)."""
    previous = os.environ.get(_UV_AUTO_DETECT)
    os.environ[_UV_AUTO_DETECT] = "false"
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(_UV_AUTO_DETECT, None)
        else:
            os.environ[_UV_AUTO_DETECT] = previous
