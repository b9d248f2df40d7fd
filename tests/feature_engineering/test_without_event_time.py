"""A feature table without an event-time column: keyed on the primary keys alone, and a
point-in-time join against it is refused with what to set."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from databricks_mlops.config.features import FeatureConfig
from databricks_mlops.config.training import TrainingConfig
from databricks_mlops.errors import ConfigError
from databricks_mlops.feature_engineering.build import build_feature_table
from databricks_mlops.feature_engineering.feature_table import describe_feature_table
from databricks_mlops.model_training import ModelTrainer
from databricks_mlops.runtime import Runtime
from databricks_mlops.tasks.training import run_train

FEATURES_YAML = """\
source_table: main.no_event_time.patients
feature_table_name: main.no_event_time.patient_features
primary_keys: [patient_id]
feature_transformations:
  radius_scaled: {type: scaling, source_column: mean_radius}
"""


def test_a_feature_config_loads_without_timestamp_column(tmp_path: Path) -> None:
    path = tmp_path / "features.yml"
    path.write_text(FEATURES_YAML)
    config = FeatureConfig.from_yaml(path)
    assert config.timestamp_column is None
    assert config.table_keys == ["patient_id"]


def test_the_table_is_keyed_and_merged_on_the_primary_keys_alone(
    spark: SparkSession, runtime: Runtime, tmp_path: Path
) -> None:
    path = tmp_path / "features.yml"
    path.write_text(FEATURES_YAML)
    config = FeatureConfig.from_yaml(path)
    rows = [(f"p{i}", float(i)) for i in range(10)]
    source = spark.createDataFrame(rows, "patient_id string, mean_radius double")

    first = build_feature_table(runtime, config, source=source)
    assert first.write.row_count == 10
    table = config.feature_table_name
    assert describe_feature_table(runtime, table).timestamp_keys == []

    changed = source.withColumn(
        "mean_radius", F.when(F.col("patient_id") == "p3", 99.0).otherwise(F.col("mean_radius"))
    )
    again = build_feature_table(runtime, config, source=changed)
    assert (again.write.rows_updated, again.write.rows_inserted) == (1, 0)
    assert runtime.read_delta(table).count() == 10

    # Training from labels joined point in time needs the event time the table lacks.
    training = TrainingConfig.model_validate(
        {
            "model_type": "classification",
            "target_column": "malignant",
            "feature_columns": ["radius_scaled"],
            "registry_model_name": "main.no_event_time.model",
            "label_table": "main.no_event_time.labels",
            "feature_table": table,
        }
    )
    with pytest.raises(ConfigError, match=r"no event-time column; set timestamp_column"):
        run_train(ModelTrainer(training, runtime=runtime), config_file="training.yml")
