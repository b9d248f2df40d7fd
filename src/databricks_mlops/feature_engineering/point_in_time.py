"""Point-in-time correct training sets: each label sees only features known at its time.

For every label row, the feature row with the same keys and the *latest* timestamp at or
before the label's timestamp is joined; feature rows from after the label are never used
(that would leak the future into training).
"""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from databricks_mlops.feature_engineering.errors import FeatureEngineeringError

_LABEL_ROW = "__mlops_label_row"
_RANK = "__mlops_rank"


def point_in_time_join(
    labels: DataFrame,
    features: DataFrame,
    *,
    keys: Sequence[str],
    label_timestamp: str,
    feature_timestamp: str,
) -> DataFrame:
    """Labels (all rows kept) with the features as of each label's timestamp."""
    for name, frame, needed in (
        ("labels", labels, [*keys, label_timestamp]),
        ("features", features, [*keys, feature_timestamp]),
    ):
        missing = [c for c in needed if c not in frame.columns]
        if missing:
            raise FeatureEngineeringError(f"point-in-time join: {name} lack columns {missing}")
    clashing = (set(features.columns) & set(labels.columns)) - set(keys)
    clashing.discard(feature_timestamp)
    if clashing:
        raise FeatureEngineeringError(
            f"point-in-time join: columns in both labels and features: {sorted(clashing)}"
        )
    feature_ts = "__mlops_feature_ts"
    right = features.withColumnRenamed(feature_timestamp, feature_ts)
    left = labels.withColumn(_LABEL_ROW, F.monotonically_increasing_id())
    on = [left[k].eqNullSafe(right[k]) for k in keys] + [right[feature_ts] <= left[label_timestamp]]
    joined = left.join(right, on=on, how="left").drop(*[right[k] for k in keys])
    latest_first = Window.partitionBy(_LABEL_ROW).orderBy(F.col(feature_ts).desc_nulls_last())
    return (
        joined.withColumn(_RANK, F.row_number().over(latest_first))
        .where(F.col(_RANK) == 1)
        .drop(_RANK, _LABEL_ROW, feature_ts)
    )
