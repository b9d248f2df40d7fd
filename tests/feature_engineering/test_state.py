"""The fitted state is plain, versioned JSON that survives a round trip."""

from __future__ import annotations

import json

import pytest
from pyspark.sql import DataFrame

from databricks_mlops.config.features import Binning, FeatureConfig
from databricks_mlops.feature_engineering import (
    FeatureEngineeringError,
    FeatureTransformer,
    FittedFeatureState,
)


@pytest.fixture(scope="module")
def state(train_spark: DataFrame) -> FittedFeatureState:
    config = FeatureConfig.model_validate(
        {
            "name": "customer_features",
            "primary_keys": ["customer_id"],
            "timestamp_column": "signup_time",
            "transforms": {
                "tenure": {"type": "numeric_fillna", "strategy": "median"},
                "monthly_charges_bin": {
                    "type": "binning",
                    "source_column": "monthly_charges",
                    "bins": [float("-inf"), 0, 50, float("inf")],
                },
                "contract_type": "one_hot_encode",
                "monthly_charges": "scaling",
            },
            "derived": {"per_month": "total_charges / tenure"},
        }
    )
    return FeatureTransformer(config).fit(train_spark)


def test_json_round_trip_keeps_everything_including_infinite_edges(
    state: FittedFeatureState,
) -> None:
    text = state.model_dump_json()
    loaded = FittedFeatureState.model_validate_json(text)
    assert loaded == state
    binning = loaded.transforms["monthly_charges_bin"]
    assert isinstance(binning, Binning)
    assert binning.bins == [float("-inf"), 0.0, 50.0, float("inf")]


def test_state_is_plain_data(state: FittedFeatureState) -> None:
    data = json.loads(
        state.model_dump_json().replace("-Infinity", '"-inf"').replace("Infinity", '"inf"')
    )
    assert data["format_version"] == 1
    assert data["derived"] == {"per_month": "total_charges / tenure"}
    assert data["fitted"]["tenure"]["statistics"] == {"fill_value": 8.0}
    assert data["fitted"]["contract_type"]["categories"] == [
        "Month-to-month",
        "One year",
        "Two year",
    ]
    assert set(data["fitted"]["monthly_charges"]["statistics"]) == {
        "minimum",
        "maximum",
        "mean",
        "std",
    }
    assert data["input_columns"]["per_month"] == "float"
    assert data["row_count"] == 8
    assert data["median_accuracy"] == 10_000


def test_another_format_version_is_refused(state: FittedFeatureState) -> None:
    text = state.model_dump_json().replace('"format_version":1', '"format_version":2')
    with pytest.raises(
        FeatureEngineeringError, match=r"unsupported format_version .* re-fit the transformer"
    ):
        FittedFeatureState.from_json(text)
    with pytest.raises(FeatureEngineeringError, match="unsupported format_version"):
        FeatureTransformer.from_state(text)


def test_corrupt_state_is_a_clear_error() -> None:
    with pytest.raises(FeatureEngineeringError, match="Failed to load fitted feature state"):
        FittedFeatureState.from_json('{"format_version": 1}')


def test_state_is_immutable(state: FittedFeatureState) -> None:
    with pytest.raises(ValueError, match="frozen"):
        state.row_count = 3  # type: ignore[misc]
