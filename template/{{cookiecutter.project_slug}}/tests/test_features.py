"""The custom transform gives the same values on Spark (feature table) and pandas (serving)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.features import RatioToMean

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def test_ratio_to_mean_is_registered() -> None:
    from databricks_mlops.feature_engineering.user_transforms import get_transform

    assert isinstance(get_transform("ratio_to_mean"), RatioToMean)


def test_ratio_to_mean_agrees_on_spark_and_pandas(spark: SparkSession) -> None:
    from pyspark.sql import functions as F

    frame = spark.createDataFrame(pd.DataFrame({"charges": [10.0, 20.0, 30.0, None]}))
    transform = RatioToMean()
    aggregated = frame.agg(
        *[column.alias(name) for name, column in transform.aggregates(F.col("charges"), {}).items()]
    ).first()
    assert aggregated is not None
    state = transform.finish(aggregated.asDict(), {})
    assert state == {"mean": pytest.approx(20.0)}

    on_spark = [
        row["ratio"]
        for row in frame.select(
            transform.apply_spark(F.col("charges"), state, {}).alias("ratio")
        ).collect()
    ]
    on_pandas = transform.apply_pandas(frame.toPandas()["charges"], state, {}).tolist()
    assert on_spark[:3] == pytest.approx([0.5, 1.0, 1.5])
    assert on_spark[3] is None and pd.isna(on_pandas[3])
    assert on_pandas[:3] == pytest.approx(on_spark[:3])


def test_zero_mean_gives_nulls_not_infinity() -> None:
    values = RatioToMean().apply_pandas(pd.Series([0.0, 1.0]), {"mean": 0.0}, {})
    assert values.isna().all()
