"""Batch scoring runs the model in its own environment (spark_udf with uv), not the
session's venv: a model that needs a package only its requirements provide scores."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest
from mlflow import MlflowClient
from pyspark.sql import SparkSession
from tests.model_training.probe_package import log_probe_model, write_probe_package

from databricks_mlops.config.deployment import BatchInferenceConfig
from databricks_mlops.deployment.batch import score_table
from databricks_mlops.runtime import Runtime

pytestmark = pytest.mark.slow


def test_model_scores_in_its_own_environment(
    runtime: Runtime, spark: SparkSession, tmp_path: Path
) -> None:
    runtime.configure_mlflow()
    package = f"mlops_probe_{uuid.uuid4().hex[:8]}"
    # The transform imports a package this venv does not have, and the model lists it.
    transform = write_probe_package(tmp_path, package, lazy_imports="import inflection")
    sys.path.insert(0, str(tmp_path))
    try:
        model = log_probe_model(
            spark,
            package,
            transform,
            f"main.probe.{package}",
            tmp_path / "work",
            extra_requirements=["inflection==0.5.1"],
            transform_in_process=False,
        )
    finally:
        sys.path.remove(str(tmp_path))
    MlflowClient().set_registered_model_alias(model.name, "champion", model.version)
    rows = model.rows.assign(customer_id=[f"c{i}" for i in range(len(model.rows))])
    runtime.write_delta(
        spark.createDataFrame(rows).write.format("delta").mode("overwrite"),
        f"main.probe.{package}_input",
    )
    config = BatchInferenceConfig.model_validate(
        {
            "model_name": model.name,
            "input_table": f"main.probe.{package}_input",
            "output_table": f"main.probe.{package}_scores",
            "key_columns": ["customer_id"],
            "keep_columns": ["tenure", "monthly_charges"],
        }
    )

    scoring = score_table(runtime, config)

    assert scoring.rows_scored == len(rows)
    scored = runtime.read_delta(config.output_table).toPandas().sort_values("customer_id")
    expected = rows.assign(prediction=model.expected["prediction"]).sort_values("customer_id")
    assert scored["prediction"].astype(int).tolist() == expected["prediction"].tolist()
