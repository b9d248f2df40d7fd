"""The documented semantics, checked value by value on both backends."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import pytest
from pyspark.sql import DataFrame, SparkSession
from tests.feature_engineering.conftest import records_pandas, records_spark

from databricks_mlops.config.features import FeatureConfig
from databricks_mlops.feature_engineering import FeatureTransformer

BACKENDS = ["spark", "pandas"]


def run(
    backend: str,
    transforms: dict[str, Any],
    train: DataFrame,
    apply_spark: DataFrame,
    apply_pandas: pd.DataFrame,
    derived: dict[str, str] | None = None,
) -> dict[int, dict[str, Any]]:
    """Fit on ``train``, apply with ``backend``; rows by customer_id."""
    config = FeatureConfig.model_validate(
        {
            "name": "semantics",
            "primary_keys": ["customer_id"],
            "timestamp_column": "signup_time",
            "transforms": transforms,
            "derived": derived or {},
        }
    )
    transformer = FeatureTransformer(config)
    transformer.fit(train)
    if backend == "spark":
        records = records_spark(transformer.transform(apply_spark))
    else:
        records = records_pandas(transformer.transform(apply_pandas))
    return {r["customer_id"]: r for r in records}


def column(rows: dict[int, dict[str, Any]], name: str) -> dict[int, Any]:
    return {key: row[name] for key, row in rows.items()}


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def frames(
    train_spark: DataFrame, apply_spark: DataFrame, apply_pandas: pd.DataFrame
) -> tuple[DataFrame, DataFrame, pd.DataFrame]:
    return train_spark, apply_spark, apply_pandas


def test_fillna_mean_median_constant(
    backend: str, frames: tuple[DataFrame, DataFrame, pd.DataFrame]
) -> None:
    rows = run(
        backend,
        {
            "tenure": "numeric_fillna",
            "tenure_median": {
                "type": "numeric_fillna",
                "source_column": "tenure",
                "strategy": "median",
            },
            "total": {
                "type": "numeric_fillna",
                "source_column": "total_charges",
                "strategy": "constant",
                "value": -1,
            },
        },
        *frames,
    )
    assert rows[5]["tenure"] == pytest.approx(162 / 7, abs=1e-12)  # mean of the 7 non-null
    assert rows[5]["tenure_median"] == 8.0  # sorted 0 1 2 8 34 45 72
    assert rows[1]["tenure"] == 1.0  # present values are kept
    assert column(rows, "total")[11] == -1.0


def test_median_of_an_even_count_is_the_lower_middle_value(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [(1, 1.0), (2, 2.0), (3, 3.0), (4, 4.0), (5, None)], "id long, x double"
    )
    config = FeatureConfig.model_validate(
        {
            "name": "m",
            "primary_keys": ["id"],
            "timestamp_column": "id",
            "transforms": {"x": {"type": "numeric_fillna", "strategy": "median"}},
        }
    )
    state = FeatureTransformer(config).fit(df)
    assert state.fitted["x"].statistics == {"fill_value": 2.0}


def test_boolean_encode_is_case_insensitive_and_keeps_null(
    backend: str, frames: tuple[DataFrame, DataFrame, pd.DataFrame]
) -> None:
    rows = run(
        backend,
        {
            "has_phone_service": "boolean_encode",
            "paperless_flag": {"type": "boolean_encode", "source_column": "paperless"},
        },
        *frames,
    )
    assert column(rows, "has_phone_service") == {
        1: 1,
        2: 0,
        3: 1,
        4: 0,
        5: None,
        6: 1,
        7: 1,
        8: 0,
        9: 1,
        10: 1,
        11: None,
        12: 0,
    }
    assert column(rows, "paperless_flag") == {
        1: 1,
        2: 0,
        3: None,
        4: 1,
        5: 0,
        6: 1,
        7: None,
        8: 0,
        9: 1,
        10: None,
        11: None,
        12: 0,
    }


def test_binning_is_right_open_except_the_last_bin(
    backend: str, frames: tuple[DataFrame, DataFrame, pd.DataFrame]
) -> None:
    rows = run(
        backend,
        {
            "bin": {
                "type": "binning",
                "source_column": "monthly_charges",
                "bins": [0, 50, 100, 150, float("inf")],
                "labels": ["low", "medium", "high", "premium"],
            },
            "interval": {
                "type": "binning",
                "source_column": "monthly_charges",
                "bins": [-10, 0, 50.5],
            },
        },
        *frames,
    )
    bins = column(rows, "bin")
    # 0 is in [0, 50); 50 starts [50, 100); 150 is in [150, inf]; -5 and -0.5 are below every bin.
    assert (bins[9], bins[11], bins[7], bins[10]) == ("low", "medium", "premium", "premium")
    assert (bins[6], bins[12], bins[8]) == (None, None, None)
    intervals = column(rows, "interval")
    assert (intervals[6], intervals[9], intervals[11]) == (
        "[-10.0, 0.0)",
        "[0.0, 50.5]",
        "[0.0, 50.5]",
    )
    assert intervals[2] is None  # 56.95 is above the last edge


def test_one_hot_learns_sorted_categories_and_zeroes_unseen(
    backend: str, frames: tuple[DataFrame, DataFrame, pd.DataFrame]
) -> None:
    rows = run(backend, {"contract_type": "one_hot_encode"}, *frames)
    names = ["contract_type_month_to_month", "contract_type_one_year", "contract_type_two_year"]

    def encoded(key: int) -> list[int]:
        return [rows[key][n] for n in names]

    assert encoded(1) == [1, 0, 0]
    assert encoded(12) == [0, 1, 0]
    assert encoded(9) == [0, 0, 0]  # "Weekly" was never seen
    assert encoded(10) == [0, 0, 0]  # "two year": categories match exactly
    assert encoded(11) == [0, 0, 0]  # NULL


def test_one_hot_seed_output_columns_take_categories_in_order(
    backend: str, frames: tuple[DataFrame, DataFrame, pd.DataFrame]
) -> None:
    rows = run(
        backend,
        {
            "contract_type": {
                "type": "one_hot_encode",
                "output_columns": ["contract_monthly", "contract_yearly", "contract_quarterly"],
            }
        },
        *frames,
    )
    assert [rows[7][c] for c in ("contract_monthly", "contract_yearly", "contract_quarterly")] == [
        0,
        0,
        1,
    ]
    assert rows[7]["contract_type"] == "Two year"  # a one-hot key keeps its source column


def test_scaling_min_max_and_standard(
    backend: str, frames: tuple[DataFrame, DataFrame, pd.DataFrame]
) -> None:
    rows = run(
        backend,
        {
            "mm": {"type": "scaling", "source_column": "monthly_charges", "method": "min_max"},
            "std": {"type": "scaling", "source_column": "monthly_charges", "method": "standard"},
        },
        *frames,
    )
    train = [29.85, 56.95, 53.85, 42.3, 70.7, -5.0, 150.0]
    mean = sum(train) / len(train)
    std = math.sqrt(sum((x - mean) ** 2 for x in train) / len(train))  # population
    assert rows[6]["mm"] == 0.0
    assert rows[7]["mm"] == 1.0
    assert rows[10]["mm"] == pytest.approx(205 / 155, rel=1e-12)  # beyond the fitted range
    assert rows[1]["std"] == pytest.approx((29.85 - mean) / std, rel=1e-12)
    assert rows[8]["mm"] is None


def test_log1p_clip_and_date_parts(
    backend: str, frames: tuple[DataFrame, DataFrame, pd.DataFrame]
) -> None:
    rows = run(
        backend,
        {
            "log": {"type": "log1p", "source_column": "total_charges"},
            "clipped": {
                "type": "clip",
                "source_column": "monthly_charges",
                "lower": 0,
                "upper": 100,
            },
            "signup": {
                "type": "date_parts",
                "source_column": "signup_time",
                "parts": ["year", "month", "day", "dayofweek", "hour"],
            },
            "signup_date": {"type": "date_parts", "parts": ["dayofweek", "hour"]},
        },
        *frames,
    )
    log = column(rows, "log")
    assert (log[6], log[12]) == (0.0, pytest.approx(math.log(4.0), rel=1e-12))
    assert (log[8], log[10], log[5]) == (None, None, None)  # negative -> NULL; NULL stays NULL
    clipped = column(rows, "clipped")
    assert (clipped[6], clipped[7], clipped[1], clipped[8]) == (0.0, 100.0, 29.85, None)
    # 2024-01-01 Monday, 2024-02-29 Thursday, 2023-12-31 Sunday: ISO day numbers.
    assert [rows[k]["signup_dayofweek"] for k in (1, 2, 3)] == [1, 4, 7]
    assert [rows[2][f"signup_{p}"] for p in ("year", "month", "day", "hour")] == [2024, 2, 29, 23]
    assert [rows[k]["signup_date_dayofweek"] for k in (1, 9, 10)] == [1, 7, 1]
    assert rows[1]["signup_date_hour"] == 0
    assert rows[5]["signup_year"] is None


def test_derived_columns_divide_by_zero_to_null_and_feed_transforms(
    backend: str, frames: tuple[DataFrame, DataFrame, pd.DataFrame]
) -> None:
    rows = run(
        backend,
        {"per_month_clipped": {"type": "clip", "source_column": "per_month", "upper": 50}},
        *frames,
        derived={"per_month": "total_charges / tenure", "yearly": "monthly_charges * 12"},
    )
    assert rows[2]["per_month"] == pytest.approx(1889.5 / 34, rel=1e-12)
    assert rows[6]["per_month"] is None  # 0 / 0
    assert rows[7]["per_month_clipped"] == 50.0
    assert rows[1]["yearly"] == pytest.approx(29.85 * 12, rel=1e-12)


def test_custom_transform_fits_and_applies(
    backend: str, frames: tuple[DataFrame, DataFrame, pd.DataFrame], center_on_mean: str
) -> None:
    rows = run(
        backend,
        {
            "centered": {
                "type": "custom",
                "name": center_on_mean,
                "source_column": "tenure",
                "options": {"scale": 1.0},
            }
        },
        *frames,
    )
    assert rows[1]["centered"] == pytest.approx(1 - 162 / 7, rel=1e-12)
    assert rows[5]["centered"] is None
