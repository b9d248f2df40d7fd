"""The fitted state lives with the feature table (a table property), versioned with it.

Reading the table ``VERSION AS OF n`` and its state at ``n`` always match, so training
and serving reuse exactly the statistics the features were built with.
"""

from __future__ import annotations

from pyspark.sql import DataFrame

from databricks_mlops.feature_engineering.errors import FeatureEngineeringError
from databricks_mlops.feature_engineering.state import FittedFeatureState
from databricks_mlops.runtime import Runtime

STATE_PROPERTY = "databricks_mlops.fitted_state"


def select_feature_columns(
    df: DataFrame, state: FittedFeatureState, features: list[str]
) -> DataFrame:
    """Keys, timestamp, the configured ``features`` and every derived / transformed output."""
    if not features:
        return df
    wanted = [
        *state.primary_keys,
        state.timestamp_column,
        *features,
        *state.derived,
        *state.output_columns,
    ]
    missing = [c for c in features if c not in df.columns]
    if missing:
        raise FeatureEngineeringError(f"features not in the source: {missing}")
    return df.select(*dict.fromkeys(wanted))  # keeps order, drops repeats


def save_state(runtime: Runtime, table_name: str, state: FittedFeatureState) -> bool:
    """Store the state on the table; returns False when the stored one is already equal."""
    text = state.model_dump_json()
    if _stored_text(runtime, table_name) == text:
        return False
    reference = runtime.table(table_name)
    escaped = text.replace("\\", "\\\\").replace("'", "\\'")
    runtime.spark.sql(
        f"ALTER TABLE {reference} SET TBLPROPERTIES ('{STATE_PROPERTY}' = '{escaped}')"
    )
    return True


def load_state(runtime: Runtime, table_name: str) -> FittedFeatureState:
    text = _stored_text(runtime, table_name)
    if text is None:
        raise FeatureEngineeringError(
            f"feature table {table_name} has no fitted state; run the feature job (build_features) first"
        )
    return FittedFeatureState.from_json(text)


def _stored_text(runtime: Runtime, table_name: str) -> str | None:
    detail = runtime.spark.sql(f"DESCRIBE DETAIL {runtime.table(table_name)}").first()
    properties = dict((detail["properties"] if detail else None) or {})
    value = properties.get(STATE_PROPERTY)
    return str(value) if value is not None else None
