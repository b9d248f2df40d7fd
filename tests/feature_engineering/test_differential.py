"""Spark and pandas backends give the same values, column for column, row for row."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyspark.sql import DataFrame, SparkSession
from tests.feature_engineering.conftest import records_pandas, records_spark, same_value

from databricks_mlops.config.features import FeatureConfig
from databricks_mlops.feature_engineering import FeatureTransformer, FittedFeatureState

TRANSFORMS: dict[str, Any] = {
    "tenure": "numeric_fillna",
    "tenure_median": {"type": "numeric_fillna", "source_column": "tenure", "strategy": "median"},
    "total_filled": {
        "type": "numeric_fillna",
        "source_column": "total_charges",
        "strategy": "constant",
        "value": -1,
    },
    "has_phone_service": "boolean_encode",
    "paperless_flag": {"type": "boolean_encode", "source_column": "paperless"},
    "monthly_charges_bin": {
        "type": "binning",
        "source_column": "monthly_charges",
        "bins": [0, 50, 100, 150, float("inf")],
        "labels": ["low", "medium", "high", "premium"],
    },
    "charges_interval": {
        "type": "binning",
        "source_column": "monthly_charges",
        "bins": [-10, 0, 50.5],
    },
    "contract_type": {"type": "one_hot_encode"},
    "contract_fixed": {
        "type": "one_hot_encode",
        "source_column": "contract_type",
        "categories": ["Two year", "One year"],
        "output_columns": ["contract_two", "contract_one"],
    },
    "monthly_minmax": {"type": "scaling", "source_column": "monthly_charges", "method": "min_max"},
    "monthly_standard": {"type": "scaling", "source_column": "monthly_charges"},
    "total_log": {"type": "log1p", "source_column": "total_charges"},
    "monthly_clipped": {
        "type": "clip",
        "source_column": "monthly_charges",
        "lower": 0,
        "upper": 100,
    },
    "tenure_floor": {"type": "clip", "source_column": "tenure", "lower": 1},
    "signup": {
        "type": "date_parts",
        "source_column": "signup_time",
        "parts": ["year", "month", "day", "dayofweek", "hour"],
    },
    "signup_date": {"type": "date_parts", "parts": ["dayofweek", "hour"]},
    "charges_per_month_scaled": {
        "type": "scaling",
        "source_column": "charges_per_month",
        "method": "min_max",
    },
}
DERIVED = {
    "charges_per_month": "total_charges / tenure",
    "big_spender": "monthly_charges * 12 > 600",
}


def config(**overrides: Any) -> FeatureConfig:
    return FeatureConfig.model_validate(
        {
            "feature_table_name": "customer_features",
            "primary_keys": ["customer_id"],
            "timestamp_column": "signup_time",
            "transforms": TRANSFORMS,
            "derived": DERIVED,
            **overrides,
        }
    )


def assert_same(spark_out: DataFrame, pandas_out: pd.DataFrame) -> None:
    assert spark_out.columns == list(pandas_out.columns)
    left, right = records_spark(spark_out), records_pandas(pandas_out)
    assert len(left) == len(right)
    for spark_row, pandas_row in zip(left, right, strict=True):
        for column in spark_out.columns:
            assert same_value(spark_row[column], pandas_row[column]), (
                f"customer {spark_row['customer_id']}, column {column}: "
                f"spark {spark_row[column]!r} != pandas {pandas_row[column]!r}"
            )


def test_spark_and_pandas_agree_on_every_value(
    train_spark: DataFrame, apply_spark: DataFrame, apply_pandas: pd.DataFrame, center_on_mean: str
) -> None:
    transforms = {
        **TRANSFORMS,
        "total_centered": {
            "type": "custom",
            "name": center_on_mean,
            "source_column": "total_charges",
            "options": {"scale": 0.5},
        },
    }
    transformer = FeatureTransformer(config(transforms=transforms))
    transformer.fit(train_spark)
    assert_same(transformer.transform(apply_spark), transformer.transform(apply_pandas))


def test_a_state_loaded_from_json_serves_the_same_values(
    train_spark: DataFrame, apply_spark: DataFrame, apply_pandas: pd.DataFrame
) -> None:
    fitted = FeatureTransformer(config())
    state = fitted.fit(train_spark)
    served = FeatureTransformer.from_state(state.model_dump_json())
    assert served.state == state
    assert_same(fitted.transform(apply_spark), served.transform(apply_pandas))


@pytest.mark.parametrize("nullable_dtypes", [False, True], ids=["numpy_dtypes", "nullable_dtypes"])
def test_typed_pandas_columns_agree_as_well(
    train_spark: DataFrame, apply_spark: DataFrame, nullable_dtypes: bool
) -> None:
    """``toPandas()`` gives float/datetime dtypes; ``convert_dtypes()`` Int64/string/boolean."""
    transformer = FeatureTransformer(config())
    transformer.fit(train_spark)
    typed = apply_spark.toPandas()
    if nullable_dtypes:
        typed = typed.convert_dtypes()
    assert_same(transformer.transform(apply_spark), transformer.transform(typed))


numbers = st.one_of(
    st.none(), st.floats(-1e6, 1e6, allow_nan=False), st.integers(-1000, 1000).map(float)
)
categories = st.one_of(st.none(), st.sampled_from(["a", "b", "c b", "unseen"]))
times = st.one_of(st.none(), st.datetimes(dt.datetime(1970, 1, 2), dt.datetime(2100, 1, 1)))


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(st.tuples(numbers, categories, times), min_size=1, max_size=12))
def test_random_rows_agree(
    spark: SparkSession, rows: list[tuple[float | None, str | None, dt.datetime | None]]
) -> None:
    schema = "customer_id long, amount double, kind string, at timestamp"
    data = [(i, *values) for i, values in enumerate(rows)]
    fit_rows = [(-1, 1.0, "a", None), (-2, 2.0, "b", None)]  # never constant, categories known
    transformer = FeatureTransformer(
        FeatureConfig.model_validate(
            {
                "name": "random",
                "primary_keys": ["customer_id"],
                "timestamp_column": "at",
                "transforms": {
                    "amount_filled": {
                        "type": "numeric_fillna",
                        "source_column": "amount",
                        "strategy": "median",
                    },
                    "amount_scaled": {"type": "scaling", "source_column": "amount"},
                    "amount_bin": {
                        "type": "binning",
                        "source_column": "amount",
                        "bins": [-100, 0, 0.5, 100],
                    },
                    "amount_log": {"type": "log1p", "source_column": "amount"},
                    "kind": "one_hot_encode",
                    "at": {
                        "type": "date_parts",
                        "parts": ["year", "month", "day", "dayofweek", "hour"],
                    },
                },
                "derived": {"ratio": "amount / customer_id"},
            }
        )
    )
    transformer.fit(spark.createDataFrame(fit_rows, schema))
    columns = ["customer_id", "amount", "kind", "at"]
    assert_same(
        transformer.transform(spark.createDataFrame(data, schema)),
        transformer.transform(pd.DataFrame(data, columns=columns)),
    )


@pytest.mark.parametrize("backend", ["spark", "pandas"])
def test_outputs_follow_the_input_columns_in_config_order(
    backend: str, train_spark: DataFrame, apply_spark: DataFrame, apply_pandas: pd.DataFrame
) -> None:
    transformer = FeatureTransformer(config())
    state: FittedFeatureState = transformer.fit(train_spark)
    out = transformer.transform(apply_spark if backend == "spark" else apply_pandas)
    columns = list(out.columns)
    inputs = list(apply_pandas.columns)
    assert columns[: len(inputs)] == inputs  # replaced in place, order kept
    new = [c for c in state.output_columns if c not in inputs]
    assert columns[len(inputs) :] == [*DERIVED, *new]
