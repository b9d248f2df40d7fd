"""Sample rows synthesised from a data config: its declared columns, under their raw
names, passing its rules."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from databricks_mlops.config.data import DataConfig
from databricks_mlops.datasets import declared_columns, sample_rows
from databricks_mlops.errors import DatasetError
from databricks_mlops.validation.validator import DataValidator

DATA_YML = """\
source_path: /Volumes/main/s/raw/patients.csv
format: csv
destination_path: main.s.patients_bronze
transformation_steps:
  - type: rename_columns
    mapping: {"mean radius": mean_radius, "Patient ID": patient_id}
  - type: deduplicate
    keys: [patient_id]
    order_by: updated_at
  - type: cast_columns
    mapping:
      patient_id: string
      mean_radius: double
      visits: int
      target: int
      ward: string
      email: string
      smoker: boolean
      admitted: date
      updated_at: timestamp
  - type: add_ingestion_timestamp
validation_rules:
  - {name: id_present, condition: "patient_id is not null"}
  - {name: id_unique, condition: "unique(patient_id)"}
  - {name: rows, condition: "row_count > 0"}
  - {name: radius_range, condition: "mean_radius > 5 and mean_radius <= 30.5"}
  - {name: visits_range, condition: "visits >= 1 and 12 >= visits"}
  - {name: binary_target, condition: "target in [0, 1]"}
  - {name: known_ward, condition: "ward in ['A', 'B', 'ICU']"}
  - {name: email_shape, condition: "email.str.contains('@') or email is null", severity: warning}
  - {name: not_negative, condition: "-1 < visits"}
"""


@pytest.fixture
def config(tmp_path: Path) -> DataConfig:
    path = tmp_path / "data.yml"
    path.write_text(DATA_YML)
    return DataConfig.from_yaml(path)


def test_rows_have_the_declared_columns_under_their_raw_names(config: DataConfig) -> None:
    assert declared_columns(config)["mean_radius"] == "double"
    frame = sample_rows(config, rows=300, seed=3)
    assert list(frame.columns) == [
        "Patient ID", "updated_at", "mean radius", "visits", "target", "ward", "email",
        "smoker", "admitted",
    ]  # fmt: skip
    assert len(frame) == 300
    assert frame["Patient ID"].is_unique
    assert pd.to_datetime(frame["admitted"]).notna().all()
    assert pd.to_datetime(frame["updated_at"]).notna().all()
    assert set(frame["smoker"]) == {True, False}


def test_rows_pass_every_rule_of_the_config(config: DataConfig) -> None:
    frame = sample_rows(config, rows=500, seed=11)
    renames = {"mean radius": "mean_radius", "Patient ID": "patient_id"}
    result = DataValidator(config.validation_rules).validate(frame.rename(columns=renames))
    assert result.passed and not result.failures, [f.name for f in result.failures]
    assert set(frame["target"]) == {0, 1}
    assert frame["visits"].between(1, 12).all()
    assert (frame["mean radius"] > 5).all() and (frame["mean radius"] <= 30.5).all()


def test_the_same_seed_gives_the_same_rows(config: DataConfig) -> None:
    pd.testing.assert_frame_equal(sample_rows(config, 50, seed=1), sample_rows(config, 50, seed=1))
    assert not sample_rows(config, 50, seed=1).equals(sample_rows(config, 50, seed=2))


def test_a_config_without_declared_types_is_refused() -> None:
    config = DataConfig(source_path="x.csv", destination_path="main.s.t", format="csv")
    with pytest.raises(DatasetError, match=r"declares no columns: list each column's type"):
        sample_rows(config)


def test_rules_that_leave_no_value_are_refused() -> None:
    config = DataConfig.model_validate(
        {
            "source_path": "x.csv",
            "destination_path": "main.s.t",
            "transformation_steps": [{"type": "cast_columns", "mapping": {"level": "int"}}],
            "validation_rules": ["unique(level)", "level >= 1 and level <= 5"],
        }
    )
    with pytest.raises(
        DatasetError, match=r"'level': the rules leave 5 whole numbers .* 10 unique"
    ):
        sample_rows(config, rows=10)
