"""This project's own feature transforms, used from configs/features.yml as
``{type: custom, name: <registered name>}``.

A transform learns its statistics in the feature job's single Spark aggregation pass
(``aggregates`` / ``finish``), and applies them on Spark (the feature table) and on
pandas (the served model) with the same result. Registration happens on import: the
``build_features`` task imports this module (the ``databricks_mlops.transforms`` entry point
in pyproject.toml names it too). A trained model logs this package as code and records
each custom transform's ``module:Class``, so a served model imports it from its own code,
not from an installed distribution.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from databricks_mlops.feature_engineering import UserTransform, register_transform
from pydantic import JsonValue

if TYPE_CHECKING:
    import pandas as pd
    from pyspark.sql import Column


@register_transform("ratio_to_mean")
class RatioToMean(UserTransform):
    """``value / mean(value)`` over the training data: 1.0 is an average customer.

    Worked example: ``tenure_vs_mean`` in configs/features.yml. The mean is
    learned once when the feature table is (re)fitted, so new rows are scored against
    the same yardstick as the training rows. A NULL or a zero mean gives NULL.
    """

    def aggregates(self, source: Column, options: Mapping[str, Any]) -> dict[str, Column]:
        from pyspark.sql import functions as F

        return {"mean": F.avg(source)}

    def apply_spark(
        self, source: Column, state: Mapping[str, JsonValue], options: Mapping[str, Any]
    ) -> Column:
        from pyspark.sql import functions as F

        mean = state.get("mean")
        if not isinstance(mean, int | float) or mean == 0:
            return F.lit(None).cast("double")
        return (source.cast("double") / F.lit(float(mean))).alias("ratio_to_mean")

    def apply_pandas(
        self, source: pd.Series, state: Mapping[str, JsonValue], options: Mapping[str, Any]
    ) -> pd.Series:
        mean = state.get("mean")
        if not isinstance(mean, int | float) or mean == 0:
            return source.astype("float64") * float("nan")
        return source.astype("float64") / float(mean)
