"""Feature engineering: transforms fitted once on Spark and applied on Spark or pandas.

``FeatureTransformer(config).fit(spark_df)`` learns every statistic in ONE Spark
aggregation and returns a :class:`FittedFeatureState` (pydantic, JSON, versioned);
``transform`` applies it to a Spark DataFrame (batch, feature tables) or a pandas
DataFrame (the served model) with the same values.

Semantics, identical on both backends:

* Each transform is keyed by its output column; ``source_column`` defaults to the key,
  so a transform keyed by an input column replaces it in place. Input columns keep
  their order; derived columns, then new outputs follow in config order. Transforms
  read the input and derived columns, never each other's outputs.
* ``derived: {name: expression}`` runs first, over the input (and earlier derived)
  columns; division by zero is NULL.
* NULL (and NaN, which both backends treat as missing) propagates: every transform maps
  a NULL input to a NULL output, except ``numeric_fillna`` (fills it with the mean, the
  median — ``percentile_approx`` with accuracy ``median_accuracy``, so on ties and even
  counts the lower middle value — or a constant) and ``one_hot_encode`` (all zeros).
* ``one_hot_encode``: string columns only; categories are given or learned (sorted,
  NULL excluded); one output per category, ``output_columns`` in category order or
  ``<key>_<category>`` sanitised (``[^0-9A-Za-z_]`` runs -> ``_``, lower case);
  1 where the value equals the category, otherwise 0, so an unseen category is all zeros.
* ``binning``: bins are ``[a, b)`` (right-open) except the last, ``[a, b]``; a value
  outside every bin is NULL. Labels default to the interval text (``[0.0, 50.0)``).
* ``scaling``: ``min_max`` is ``(x - min) / (max - min)``; ``standard`` is
  ``(x - mean) / std`` with the population standard deviation (as scikit-learn). A
  constant (or all-NULL) column is an error at fit time.
* ``boolean_encode``: a real boolean true -> 1, false -> 0; other values -> 1 when their
  lower-cased text is in ``true_values`` (case-insensitive), else 0.
* ``log1p``: ``log(1 + x)`` for ``x >= 0``; a negative value is NULL.
* ``clip``: bounded to ``[lower, upper]`` (either may be omitted).
* ``date_parts``: ``<key>_year/_month/_day/_dayofweek/_hour`` as integers; dayofweek is
  ISO (Monday=1 .. Sunday=7); a date's hour is 0. Spark reads timestamps in the session
  time zone, pandas uses the wall clock it is given: send naive timestamps in the
  session zone (UTC by default here).
* Outputs: floats are double / ``float64``; encodings and date parts are int /
  ``Int32``; bin labels are strings.
* ``custom``: a :class:`UserTransform` registered with ``@register_transform(name)`` or
  in the ``databricks_mlops.transforms`` entry-point group.
"""

from databricks_mlops.feature_engineering.errors import FeatureEngineeringError
from databricks_mlops.feature_engineering.state import (
    FORMAT_VERSION,
    FittedFeatureState,
    TransformState,
)
from databricks_mlops.feature_engineering.transformer import (
    DEFAULT_MEDIAN_ACCURACY,
    FeatureTransformer,
)
from databricks_mlops.feature_engineering.user_transforms import (
    ENTRY_POINT_GROUP,
    UserTransform,
    get_transform,
    register_transform,
    registered_names,
    unregister_transform,
)

__all__ = [
    "DEFAULT_MEDIAN_ACCURACY",
    "ENTRY_POINT_GROUP",
    "FORMAT_VERSION",
    "FeatureEngineeringError",
    "FeatureTransformer",
    "FittedFeatureState",
    "TransformState",
    "UserTransform",
    "get_transform",
    "register_transform",
    "registered_names",
    "unregister_transform",
]
