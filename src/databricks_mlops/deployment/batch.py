"""Batch inference: score a table with ``models:/NAME@alias`` through ``spark_udf``.

The log is written by MERGE on (keys, timestamp, model version), so re-scoring the same
rows with the same model replaces their predictions instead of duplicating them, and a
new model version adds its own rows next to the old ones (what monitoring compares).

The model scores in its own environment, built from its logged requirements and code
(``env_manager="uv"`` locally, ``"virtualenv"`` on a Databricks cluster, where pyenv is
installed), never in the caller's venv: a model that lacks its code fails here as it
would in Model Serving. MLflow refuses a uv environment for a Spark Connect session
outside Databricks (serverless emulated locally, Databricks Connect from a laptop), so
there the model is first loaded and run on its input example in its own environment
(``mlflow models predict``), then scored with the session's Python.
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from databricks_mlops.config.deployment import BatchInferenceConfig
from databricks_mlops.deployment.errors import DeploymentError
from databricks_mlops.deployment.model_environment import (
    EnvManager,
    check_model_loads,
    installer_targets_unset,
    isolated_process_env,
    require_env_manager,
)
from databricks_mlops.expressions.sql_backend import sql_identifier
from databricks_mlops.model_training.model_registry import version_by_alias
from databricks_mlops.runtime import Runtime
from databricks_mlops.runtime.delta_conflicts import delta_conflicts_as_errors
from databricks_mlops.runtime.delta_sql import merge_into


class BatchInferenceError(DeploymentError):
    """The table cannot be scored (no such model alias, missing input columns...)."""


@dataclass(frozen=True)
class BatchScoring:
    model_uri: str
    model_version: str
    rows_scored: int
    log_table: str
    log_version: int


def score_table(
    runtime: Runtime, config: BatchInferenceConfig, *, env_manager: EnvManager | None = None
) -> BatchScoring:
    """Score ``config.input_table`` and MERGE the predictions into the inference log.

    ``env_manager`` overrides the environment the model scores in (see the module
    docstring); ``"local"`` is the caller's venv, for tests that are not about it.
    """
    import mlflow
    from mlflow.exceptions import MlflowException

    runtime.configure_mlflow()
    version = version_by_alias(config.model_name, config.model_alias)
    if version is None:
        raise BatchInferenceError(
            f"{config.model_name} has no @{config.model_alias} version to score with"
        )
    model_uri = f"models:/{config.model_name}/{version.version}"
    inputs = runtime.read_delta(config.input_table)
    model_inputs, outputs = _signature_columns(model_uri)
    model_inputs = model_inputs or inputs.columns
    missing = [c for c in [*config.key_columns, *model_inputs] if c not in inputs.columns]
    if missing:
        raise BatchInferenceError(f"{config.input_table} lacks columns the model needs: {missing}")
    outputs = outputs or ["prediction"]
    manager = env_manager or _scoring_env_manager(runtime, model_uri)
    # The model returns a frame (prediction [, probability]): one struct column per row.
    try:
        # spark_udf builds the environment here, in the driver, before any worker starts.
        with installer_targets_unset():
            udf = mlflow.pyfunc.spark_udf(
                runtime.spark,
                model_uri,
                result_type=", ".join(f"{name} double" for name in outputs),
                env_manager=manager,
            )
    except (MlflowException, OSError, subprocess.CalledProcessError) as exc:
        raise BatchInferenceError(
            f"Failed to prepare {model_uri} for scoring in its own environment "
            f"({manager}, from its logged requirements): {exc}"
        ) from exc
    scored = inputs.withColumn("__mlops_scores", udf(F.struct(*[F.col(c) for c in model_inputs])))
    event = [config.timestamp_column] if config.timestamp_column else []
    keep = list(dict.fromkeys([*config.key_columns, *event, *config.keep_columns]))
    log = scored.select(
        *keep,
        *[F.col(f"__mlops_scores.{name}").alias(name) for name in outputs],
        F.lit(str(version.version)).alias("model_version"),
        F.lit(config.model_name).alias("model_name"),
        F.current_timestamp().alias("scored_at"),
    )
    with delta_conflicts_as_errors(config.output_table, "inference log MERGE"):
        _merge_log(
            runtime, log, [*config.key_columns, *event, "model_version"], config.output_table
        )
    history = runtime.delta_history(config.output_table, 1).collect()[0]
    metrics = history["operationMetrics"] or {}
    if history["operation"] == "MERGE":  # numOutputRows also counts rows merely copied
        rows = int(metrics.get("numTargetRowsInserted", 0)) + int(
            metrics.get("numTargetRowsUpdated", 0)
        )
    else:
        rows = int(metrics.get("numOutputRows", 0))
    return BatchScoring(
        model_uri, str(version.version), rows, config.output_table, int(history["version"])
    )


def _merge_log(runtime: Runtime, log: DataFrame, keys: list[str], table: str) -> None:
    if not runtime.delta_exists(table):
        runtime.write_delta(log.write.format("delta").mode("overwrite"), table)
        return
    on = " AND ".join(f"t.{sql_identifier(k)} <=> s.{sql_identifier(k)}" for k in keys)
    merge_into(runtime, table, log, on, evolve_schema=True)


def _scoring_env_manager(runtime: Runtime, model_uri: str) -> EnvManager:
    """The environment ``spark_udf`` scores ``model_uri`` in (see the module docstring)."""
    from databricks_mlops.runtime.local_spark import is_connect_session

    if runtime.environment.kind == "databricks":
        return "virtualenv"
    env = isolated_process_env()
    if not is_connect_session(runtime.spark) and runtime.environment.kind != "connect":
        require_env_manager("uv", env)
        return "uv"
    example = _serving_input_example(model_uri)
    if example is None:
        raise BatchInferenceError(
            f"{model_uri} has no input example, so it cannot be checked in its own "
            "environment before a Spark Connect session scores it with its own Python; "
            "log the model with an input example"
        )
    log = runtime.home / "batch" / "model-environments.log"
    try:
        check_model_loads(model_uri, example, env_manager="uv", log_path=log, env=env)
    except DeploymentError as exc:
        raise BatchInferenceError(str(exc)) from exc
    return "local"


def _serving_input_example(model_uri: str) -> Path | None:
    """The model's ``serving_input_example.json``, downloaded to a temporary file."""
    import mlflow
    from mlflow.exceptions import MlflowException

    target = Path(tempfile.mkdtemp(prefix="mlops-example-"))
    try:
        path = mlflow.artifacts.download_artifacts(
            f"{model_uri}/serving_input_example.json", dst_path=str(target)
        )
    except (MlflowException, OSError):
        return None
    return Path(path)


def _signature_columns(model_uri: str) -> tuple[list[str], list[str]]:
    """The model's input and output column names, from its logged signature."""
    from mlflow.models import get_model_info

    signature = get_model_info(model_uri).signature
    if signature is None:
        return [], []
    inputs = [str(n) for n in signature.inputs.input_names()] if signature.inputs else []
    outputs = [str(n) for n in signature.outputs.input_names()] if signature.outputs else []
    return inputs, outputs
