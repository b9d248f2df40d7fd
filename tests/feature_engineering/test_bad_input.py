"""Bad input is a clear error before anything is written (and mostly before any job)."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
import pytest
from pydantic import ValidationError
from pyspark.sql import DataFrame, SparkSession
from tests.spark_jobs import jobs_run_by

from databricks_mlops.config.features import FeatureConfig
from databricks_mlops.errors import MLOpsError
from databricks_mlops.feature_engineering import FeatureEngineeringError, FeatureTransformer


def config(transforms: dict[str, Any], derived: dict[str, str] | None = None) -> FeatureConfig:
    return FeatureConfig.model_validate(
        {
            "name": "bad",
            "primary_keys": ["customer_id"],
            "timestamp_column": "signup_time",
            "transforms": transforms,
            "derived": derived or {},
        }
    )


def fit_error(spark: SparkSession, df: DataFrame, transforms: dict[str, Any], **kwargs: Any) -> str:
    """Fit, expecting a FeatureEngineeringError; also check no Spark job ran before it."""
    transformer = FeatureTransformer(config(transforms, **kwargs))
    errors: list[FeatureEngineeringError] = []

    def fit() -> None:
        with pytest.raises(FeatureEngineeringError, match=r".") as caught:
            transformer.fit(df)
        errors.append(caught.value)

    assert jobs_run_by(fit) == 0
    assert isinstance(errors[0], MLOpsError)
    return str(errors[0])


def test_missing_column_suggests_the_closest(spark: SparkSession, train_spark: DataFrame) -> None:
    message = fit_error(
        spark, train_spark, {"tenure_filled": {"type": "numeric_fillna", "source_column": "tenur"}}
    )
    assert message == (
        "transform 'tenure_filled' (numeric_fillna) reads column 'tenur', which is not in the "
        "input (did you mean 'tenure'?)"
    )


def test_every_problem_is_listed_at_once(spark: SparkSession, train_spark: DataFrame) -> None:
    message = fit_error(
        spark, train_spark, {"montly_charges": "scaling", "tenure": "one_hot_encode"}
    )
    assert message.startswith("2 problems in the feature transforms:")
    assert "did you mean 'monthly_charges'?" in message
    assert "'tenure' is integer" in message


def test_one_hot_on_a_numeric_column(spark: SparkSession, train_spark: DataFrame) -> None:
    message = fit_error(
        spark, train_spark, {"tenure_onehot": {"type": "one_hot_encode", "source_column": "tenure"}}
    )
    assert "needs a string column, but 'tenure' is integer" in message
    assert "bin the numbers first" in message


@pytest.mark.parametrize(
    ("transform", "wanted"),
    [
        ({"type": "scaling", "source_column": "contract_type"}, "decimal or float or integer"),
        ({"type": "date_parts", "source_column": "tenure"}, "date or timestamp"),
        (
            {"type": "boolean_encode", "source_column": "monthly_charges"},
            "boolean or integer or string",
        ),
    ],
)
def test_a_transform_on_the_wrong_kind_of_column(
    spark: SparkSession, train_spark: DataFrame, transform: dict[str, Any], wanted: str
) -> None:
    assert f"needs a {wanted} column" in fit_error(spark, train_spark, {"out": transform})


@pytest.mark.parametrize("method", ["standard", "min_max"])
def test_scaling_a_constant_column_fails_at_fit(spark: SparkSession, method: str) -> None:
    df = spark.createDataFrame([(1, 3.0), (2, 3.0), (3, None)], "customer_id long, x double")
    transformer = FeatureTransformer(config({"x": {"type": "scaling", "method": method}}))
    with pytest.raises(
        FeatureEngineeringError,
        match=f"^column x is constant; {method} scaling would divide by zero",
    ):
        transformer.fit(df)


def test_all_null_column_cannot_be_filled_with_its_mean(spark: SparkSession) -> None:
    df = spark.createDataFrame([(1, None), (2, None)], "customer_id long, x double")
    with pytest.raises(
        FeatureEngineeringError, match="column 'x' has no non-null values to take the mean"
    ):
        FeatureTransformer(config({"x": "numeric_fillna"})).fit(df)


def test_learned_categories_must_match_the_output_columns(
    spark: SparkSession, train_spark: DataFrame
) -> None:
    transformer = FeatureTransformer(
        config({"contract_type": {"type": "one_hot_encode", "output_columns": ["a", "b"]}})
    )
    with pytest.raises(
        FeatureEngineeringError,
        match=r"names 2 output_columns, but column 'contract_type' has 3 categories",
    ):
        transformer.fit(train_spark)


def test_two_transforms_writing_one_column(spark: SparkSession, train_spark: DataFrame) -> None:
    transformer = FeatureTransformer(
        config(
            {
                "signup": {"type": "date_parts", "source_column": "signup_time"},
                "signup_year": {"type": "log1p", "source_column": "tenure"},
            }
        )
    )
    with pytest.raises(
        FeatureEngineeringError,
        match="transforms 'signup' and 'signup_year' both write column 'signup_year'",
    ):
        transformer.fit(train_spark)


def test_unknown_custom_transform_suggests_a_registered_one(
    spark: SparkSession, train_spark: DataFrame, center_on_mean: str
) -> None:
    message = fit_error(
        spark,
        train_spark,
        {"t": {"type": "custom", "name": "center_on_men", "source_column": "tenure"}},
    )
    assert "unknown custom transform 'center_on_men' (did you mean 'center_on_mean'?)" in message


def test_derived_expression_errors_point_at_the_column(
    spark: SparkSession, train_spark: DataFrame
) -> None:
    message = fit_error(spark, train_spark, {}, derived={"ratio": "total_charges / tenur"})
    assert message.startswith(
        "derived column 'ratio': unknown column 'tenur' (did you mean 'tenure'?)"
    )
    assert "^^^^^" in message


def test_derived_name_may_not_shadow_an_input_column(
    spark: SparkSession, train_spark: DataFrame
) -> None:
    message = fit_error(spark, train_spark, {}, derived={"tenure": "tenure * 2"})
    assert message.startswith("derived column 'tenure' already exists in the input")


def test_derived_must_be_per_row(spark: SparkSession, train_spark: DataFrame) -> None:
    message = fit_error(spark, train_spark, {}, derived={"rows": "row_count"})
    assert "must have one value per row" in message


def test_serving_request_missing_a_column(train_spark: DataFrame) -> None:
    transformer = FeatureTransformer(config({"tenure": "numeric_fillna"}))
    transformer.fit(train_spark)
    with pytest.raises(
        FeatureEngineeringError,
        match=r"reads column 'tenure', which is not in the input \(did you mean 'tenures'\?\)",
    ):
        transformer.transform(pd.DataFrame({"tenures": [1.0]}))


def test_transform_before_fit(apply_pandas: pd.DataFrame) -> None:
    with pytest.raises(
        FeatureEngineeringError,
        match=r"feature transformer 'bad' is not fitted; call fit\(spark_df\)",
    ):
        FeatureTransformer(config({"tenure": "numeric_fillna"})).transform(apply_pandas)


def test_fit_on_pandas_points_to_spark(apply_pandas: pd.DataFrame) -> None:
    with pytest.raises(FeatureEngineeringError, match="fit needs a Spark DataFrame"):
        FeatureTransformer(config({"tenure": "numeric_fillna"})).fit(apply_pandas)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("transform", "message"),
    [
        (
            {"type": "binning", "bins": [0, 50, 100], "labels": ["low"]},
            "3 bin edges make 2 bins, but 1 labels were given",
        ),
        ({"type": "binning", "bins": [0, 50, 50]}, "bins must be strictly increasing"),
        ({"type": "binning", "bins": [0, float("nan")]}, "bin edges must be numbers, not NaN"),
        (
            {"type": "one_hot_encode", "categories": ["a", "b"], "output_columns": ["x"]},
            "2 categories need 2 output_columns, but 1 were given",
        ),
        ({"type": "one_hot_encode", "categories": ["a", "a"]}, "categories repeats 'a'"),
        ({"type": "date_parts", "parts": ["year", "year"]}, "parts repeats 'year'"),
        (
            {"type": "date_parts", "parts": ["week"]},
            "Input should be 'year', 'month', 'day', 'dayofweek' or 'hour'",
        ),
        ({"type": "numeric_fillna", "strategy": "constant"}, "strategy 'constant' needs a value"),
        ({"type": "clip"}, "clip needs lower, upper or both"),
        ({"type": "custom", "name": ""}, "String should have at least 1 character"),
        ({"type": "scaling", "method": "robust"}, "Input should be 'min_max' or 'standard'"),
    ],
)
def test_config_errors(transform: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        config({"x": transform})


def test_empty_derived_expression_is_a_config_error() -> None:
    with pytest.raises(ValidationError, match="derived column 'r' has an empty expression"):
        config({}, derived={"r": "  "})
