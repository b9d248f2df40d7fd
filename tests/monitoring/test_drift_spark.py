"""The SQL bucketing that drift uses where there is no JVM handle and no ``pyspark.ml``."""

from __future__ import annotations

import math

import numpy as np
from pyspark.ml.feature import Bucketizer
from pyspark.sql import SparkSession

from databricks_mlops.monitoring.drift_spark import bucketize_sql


def test_sql_buckets_match_bucketizer_on_edges_infinities_nan_and_null(spark: SparkSession) -> None:
    edges = [np.array([-1.5, 0.0, 2.0, 2.5, 10.0]), np.array([3.0])]
    values = [-math.inf, -2.0, -1.5, -0.5, 0.0, 1.0, 2.0, 2.25, 2.5, 9.0, 10.0, 11.0,
              math.inf, math.nan, None]  # fmt: skip
    frame = spark.createDataFrame([(v, v) for v in values], "f0 DOUBLE, f1 DOUBLE")
    inputs, outputs = ["f0", "f1"], ["b0", "b1"]
    expected = Bucketizer(
        splitsArray=[[-math.inf, *e, math.inf] for e in edges],
        inputCols=inputs,
        outputCols=outputs,
        handleInvalid="keep",
    ).transform(frame)
    actual = bucketize_sql(frame, inputs, outputs, edges)

    def rows(df: object) -> list[tuple[object, ...]]:
        ordered = df.orderBy("f0")  # type: ignore[attr-defined]
        return [(r.b0 if r.b0 is None else int(r.b0), r.b1 if r.b1 is None else int(r.b1))
                for r in ordered.collect()]  # fmt: skip

    assert rows(actual) == rows(expected)
    assert rows(actual)[0] == (None, None)  # NULL stays NULL
    assert (int(edges[0].size) + 1, 2) in rows(actual)  # NaN: the bucket after the last


def test_sql_buckets_search_thousands_of_edges(spark: SparkSession) -> None:
    edges = [np.linspace(0.0, 1.0, 2001)]
    frame = spark.createDataFrame([(0.0,), (0.00049,), (0.0005,), (0.5,), (1.0,)], "f0 DOUBLE")
    got = [int(r.b0) for r in bucketize_sql(frame, ["f0"], ["b0"], edges).orderBy("f0").collect()]
    assert got == [int(np.searchsorted(edges[0], v, side="right")) for v in
                   (0.0, 0.00049, 0.0005, 0.5, 1.0)]  # fmt: skip
