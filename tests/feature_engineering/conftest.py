"""Shared data for the feature engineering tests: rows that exercise every edge case."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import pandas as pd
import pytest
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from databricks_mlops.feature_engineering import (
    UserTransform,
    register_transform,
    unregister_transform,
)

SCHEMA = (
    "customer_id long, tenure long, monthly_charges double, total_charges double, "
    "contract_type string, has_phone_service string, paperless boolean, "
    "signup_time timestamp, signup_date date"
)
COLUMNS = [part.split()[0] for part in SCHEMA.split(", ")]


def row(*values: Any) -> dict[str, Any]:
    return dict(zip(COLUMNS, values, strict=True))


# Fit rows: no column is constant; NULLs everywhere; negative charges for log1p/clip.
TRAIN_ROWS = [
    row(
        1,
        1,
        29.85,
        29.85,
        "Month-to-month",
        "Yes",
        True,
        dt.datetime(2024, 1, 1, 0, 30),
        dt.date(2024, 1, 1),
    ),
    row(
        2,
        34,
        56.95,
        1889.5,
        "One year",
        "no",
        False,
        dt.datetime(2024, 2, 29, 23, 59),
        dt.date(2024, 2, 29),
    ),
    row(
        3,
        2,
        53.85,
        108.15,
        "Month-to-month",
        "YES",
        None,
        dt.datetime(2023, 12, 31, 12),
        dt.date(2023, 12, 31),
    ),
    row(
        4,
        45,
        42.3,
        1840.75,
        "One year",
        "No",
        True,
        dt.datetime(2024, 6, 9, 8, 15),
        dt.date(2024, 6, 9),
    ),
    row(5, None, 70.7, None, "Two year", None, False, None, None),
    row(6, 0, -5.0, 0.0, None, "y", True, dt.datetime(2020, 2, 3, 1), dt.date(2020, 2, 3)),
    row(
        7,
        72,
        150.0,
        10800.0,
        "Two year",
        "TRUE",
        None,
        dt.datetime(2024, 7, 4, 17),
        dt.date(2024, 7, 4),
    ),
    row(
        8,
        8,
        None,
        -12.5,
        "Month-to-month",
        "maybe",
        False,
        dt.datetime(2022, 11, 13, 6),
        dt.date(2022, 11, 13),
    ),
]

# Apply rows: unseen category, out-of-range and boundary values, NULLs, negatives.
APPLY_ROWS = [
    *TRAIN_ROWS,
    row(9, 12, 0.0, 100.0, "Weekly", "Y", True, dt.datetime(2025, 3, 16, 4), dt.date(2025, 3, 16)),
    row(
        10,
        None,
        200.0,
        -1.0,
        "two year",
        "1",
        None,
        dt.datetime(2025, 3, 17, 22),
        dt.date(2025, 3, 17),
    ),
    row(11, 5, 50.0, None, None, None, None, None, None),
    row(12, -3, -0.5, 3.0, "One year", "0", False, dt.datetime(2019, 5, 5, 5), dt.date(2019, 5, 5)),
]


@pytest.fixture(scope="module")
def train_spark(spark: SparkSession) -> DataFrame:
    return spark.createDataFrame(TRAIN_ROWS, SCHEMA)


@pytest.fixture(scope="module")
def apply_spark(spark: SparkSession) -> DataFrame:
    return spark.createDataFrame(APPLY_ROWS, SCHEMA)


@pytest.fixture
def apply_pandas() -> pd.DataFrame:
    """The apply rows as a serving request would carry them: plain Python values."""
    return pd.DataFrame(APPLY_ROWS, columns=COLUMNS)


class CenterOnMean(UserTransform):
    """x - mean(x) * scale: one learned statistic, one option."""

    def aggregates(self, source: Column, options: Mapping[str, Any]) -> dict[str, Column]:
        return {"mean": F.avg(source.cast("double"))}

    def apply_spark(
        self, source: Column, state: Mapping[str, Any], options: Mapping[str, Any]
    ) -> Column:
        return source.cast("double") - F.lit(state["mean"] * options.get("scale", 1.0))

    def apply_pandas(
        self, source: pd.Series, state: Mapping[str, Any], options: Mapping[str, Any]
    ) -> pd.Series:
        return pd.to_numeric(source).astype("float64") - state["mean"] * options.get("scale", 1.0)


@pytest.fixture
def center_on_mean() -> Iterator[str]:
    register_transform("center_on_mean")(CenterOnMean)
    yield "center_on_mean"
    unregister_transform("center_on_mean")


def plain(value: Any) -> Any:
    """One comparable Python value: every missing marker is None, numpy scalars unboxed."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float | np.floating) and math.isnan(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


def records_spark(df: DataFrame) -> list[dict[str, Any]]:
    return [
        {k: plain(v) for k, v in r.asDict().items()} for r in df.orderBy("customer_id").collect()
    ]


def records_pandas(df: pd.DataFrame) -> list[dict[str, Any]]:
    ordered = df.sort_values("customer_id").astype(object)
    return [{str(k): plain(v) for k, v in r.items()} for r in ordered.to_dict("records")]


def same_value(left: Any, right: Any) -> bool:
    if left is None or right is None:
        return left is None and right is None
    if isinstance(left, bool) or isinstance(right, bool):
        return left == right and type(left) is type(right)
    if isinstance(left, int | float) and isinstance(right, int | float):
        if math.isinf(left) or math.isinf(right):
            return left == right
        return math.isclose(left, right, rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(left, dt.date) and isinstance(right, dt.date):
        return pd.Timestamp(left) == pd.Timestamp(right)
    return bool(left == right)
