"""``FeatureTransformer``: fit once on Spark, apply on Spark (batch) or pandas (serving)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, overload

from databricks_mlops.config.features import FeatureConfig
from databricks_mlops.feature_engineering.errors import FeatureEngineeringError
from databricks_mlops.feature_engineering.state import FittedFeatureState

if TYPE_CHECKING:
    import pandas as pd
    from pyspark.sql import DataFrame as SparkDataFrame

    from databricks_mlops.feature_engineering.feature_table import FeatureTableWrite

# percentile_approx's accuracy: the median's rank error is at most 1/accuracy of the
# row count (Spark's own default), exact while there are fewer rows than that.
DEFAULT_MEDIAN_ACCURACY = 10_000


def _is_pandas(df: object) -> bool:
    # Checked by module name so that a Spark-only job never imports pandas for this.
    return type(df).__module__.startswith("pandas.")


class FeatureTransformer:
    """Applies a :class:`FeatureConfig`'s ``derived`` columns and transforms.

    ``fit`` takes a Spark DataFrame and returns the :class:`FittedFeatureState`;
    ``transform`` takes a Spark or a pandas DataFrame and returns the same kind.
    """

    def __init__(
        self, config: FeatureConfig, *, median_accuracy: int = DEFAULT_MEDIAN_ACCURACY
    ) -> None:
        if median_accuracy < 1:
            raise FeatureEngineeringError(
                f"median_accuracy must be positive, got {median_accuracy}"
            )
        self.config = config
        self.median_accuracy = median_accuracy
        self._state: FittedFeatureState | None = None
        self._last_output: SparkDataFrame | None = None

    @classmethod
    def from_state(cls, state: FittedFeatureState | str | bytes) -> FeatureTransformer:
        """A fitted transformer from a saved state (its JSON text or the model)."""
        if not isinstance(state, FittedFeatureState):
            state = FittedFeatureState.from_json(state)
        config = FeatureConfig.model_validate(
            {
                "feature_table_name": state.feature_table_name,
                "primary_keys": state.primary_keys,
                "timestamp_column": state.timestamp_column,
                "feature_transformations": state.transforms,
                "derived": state.derived,
            }
        )
        transformer = cls(config, median_accuracy=state.median_accuracy)
        transformer._state = state
        return transformer

    @property
    def state(self) -> FittedFeatureState:
        if self._state is None:
            raise FeatureEngineeringError(
                f"feature transformer '{self.config.feature_table_name}' is not fitted; call "
                f"fit(spark_df) or load a state with FeatureTransformer.from_state(...)"
            )
        return self._state

    @property
    def is_fitted(self) -> bool:
        return self._state is not None

    def fit(self, df: SparkDataFrame) -> FittedFeatureState:
        """Learn every statistic in one Spark aggregation; raise on unusable data."""
        if _is_pandas(df):
            raise FeatureEngineeringError(
                "fit needs a Spark DataFrame (statistics are learned in one Spark "
                "aggregation); use spark.createDataFrame(pandas_df), then transform pandas "
                "data with the fitted transformer"
            )
        from databricks_mlops.feature_engineering.spark_backend import fit_spark

        self._state = fit_spark(self.config, df, median_accuracy=self.median_accuracy)
        return self._state

    @overload
    def transform(self, df: pd.DataFrame) -> pd.DataFrame: ...
    @overload
    def transform(self, df: SparkDataFrame) -> SparkDataFrame: ...
    def transform(self, df: Any) -> Any:
        """Apply the fitted state; pandas in gives pandas out, Spark in gives Spark out."""
        state = self.state
        if _is_pandas(df):
            from databricks_mlops.feature_engineering.pandas_backend import transform_pandas

            return transform_pandas(state, df)
        from databricks_mlops.feature_engineering.spark_backend import transform_spark

        return transform_spark(state, df)

    def fit_transform(self, df: SparkDataFrame) -> SparkDataFrame:
        self.fit(df)
        self._last_output = self.transform(df)
        return self._last_output

    def save_to_feature_store(
        self,
        feature_table_name: str,
        database_name: str | None = None,
        df: SparkDataFrame | None = None,
    ) -> FeatureTableWrite:
        """Write ``df`` (default: the last ``fit_transform`` output) as a feature table
        ``database_name.feature_table_name`` by MERGE, and store the fitted state with it."""
        from databricks_mlops.feature_engineering.build import write_features
        from databricks_mlops.runtime import get_runtime

        data = df if df is not None else self._last_output
        if data is None:
            raise FeatureEngineeringError(
                "nothing to save: call fit_transform(df) first or pass df="
            )
        name = f"{database_name}.{feature_table_name}" if database_name else feature_table_name
        written, _ = write_features(get_runtime(), data, self.config, self.state, name)
        return written
