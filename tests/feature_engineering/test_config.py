"""FeatureConfig: the seed's examples still load, and the new fields behave."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from databricks_mlops.config.features import (
    BooleanEncode,
    CustomTransform,
    DateParts,
    FeatureConfig,
    OneHotEncode,
    Scaling,
    TransformationType,
)

SEED_YAML = Path(__file__).parents[1] / "config" / "seed_examples" / "feature.yml"


def test_seed_yaml_loads_with_empty_derived() -> None:
    config = FeatureConfig.from_yaml(SEED_YAML)
    one_hot = config.feature_transformations["contract_type"]
    assert isinstance(one_hot, OneHotEncode)
    assert one_hot.output_columns == ["contract_monthly", "contract_yearly", "contract_quarterly"]
    assert one_hot.categories is None
    assert isinstance(config.feature_transformations["monthly_charges"], Scaling)
    assert config.derived == {}


def test_yaml_with_derived_and_custom(tmp_path: Path) -> None:
    path = tmp_path / "features.yml"
    path.write_text(
        "feature_table_name: churn_features\n"
        "primary_keys: [customer_id]\n"
        "timestamp_column: last_update_time\n"
        "derived:\n"
        "  charges_per_month: total_charges / tenure\n"
        "feature_transformations:\n"
        "  charges_per_month: {type: SCALING, method: min_max}\n"
        "  signup: {type: date_parts, source_column: signup_date}\n"
        "  spend: {type: custom, name: winsorize, source_column: total_charges, options: {q: 0.99}}\n"
    )
    config = FeatureConfig.from_yaml(path)
    assert config.derived == {"charges_per_month": "total_charges / tenure"}
    assert isinstance(config.feature_transformations["charges_per_month"], Scaling)
    signup = config.feature_transformations["signup"]
    assert isinstance(signup, DateParts)
    assert signup.parts == ["year", "month", "dayofweek"]
    custom = config.feature_transformations["spend"]
    assert isinstance(custom, CustomTransform)
    assert custom.options == {"q": 0.99}


def test_source_column_defaults_to_the_key() -> None:
    config = FeatureConfig(  # type: ignore[call-arg]
        name="f",
        primary_keys=["id"],
        timestamp_column="ts",
        transforms={
            "has_phone_service": TransformationType.BOOLEAN_ENCODE,
            "x": {"type": "log1p", "source_column": "y"},
        },
    )
    assert (
        config.feature_transformations["has_phone_service"].source_for("has_phone_service")
        == "has_phone_service"
    )
    assert config.feature_transformations["x"].source_for("x") == "y"


def test_true_values_are_compared_lower_case() -> None:
    spec = BooleanEncode(type="boolean_encode", true_values=["Yes", "YES", "Oui"])
    assert spec.true_values == ["yes", "oui"]


def test_unknown_transform_type_is_a_config_error() -> None:
    with pytest.raises(
        ValidationError,
        match=r"unknown transform type 'one_hot' \(did you mean 'one_hot_encode'\?\); expected one of: numeric_fillna, ",
    ):
        FeatureConfig.model_validate(
            {
                "name": "f",
                "primary_keys": ["id"],
                "timestamp_column": "ts",
                "transforms": {"x": {"type": "one_hot"}},
            }
        )
