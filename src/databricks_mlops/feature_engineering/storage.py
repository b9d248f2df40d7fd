"""Fitted states live in a Delta table beside the feature table, referenced by content hash.

Every write of the feature table carries the hash of the state it was built with in its
Delta commit (``userMetadata``), so the table ``VERSION AS OF n`` and the state used for
it always match, with no size limit on the state (a table property would have one) and no
second commit between data and state.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from contextlib import AbstractContextManager

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from databricks_mlops.feature_engineering.errors import FeatureEngineeringError
from databricks_mlops.feature_engineering.state import FittedFeatureState
from databricks_mlops.runtime import Runtime, delta_commits
from databricks_mlops.runtime.delta_conflicts import delta_conflicts_as_errors
from databricks_mlops.runtime.delta_sql import merge_into

_STAMP = "databricks_mlops.fitted_state:"
STATE_SCHEMA = T.StructType(
    [
        T.StructField("state_hash", T.StringType(), False),
        T.StructField("format_version", T.IntegerType(), False),
        T.StructField("state_json", T.StringType(), False),
        T.StructField("saved_at", T.TimestampType(), False),
    ]
)


def state_table_for(table_name: str) -> str:
    return f"{table_name}_fitted_state"


def state_hash(state: FittedFeatureState) -> str:
    return hashlib.sha256(state.model_dump_json().encode("utf-8")).hexdigest()[:16]


def select_feature_columns(
    df: DataFrame, state: FittedFeatureState, features: list[str]
) -> DataFrame:
    """Keys, timestamp, the configured ``features`` and every derived / transformed output."""
    if not features:
        return df
    missing = [c for c in features if c not in df.columns]
    if missing:
        raise FeatureEngineeringError(f"features not in the source: {missing}")
    wanted = [
        *state.primary_keys,
        *([state.timestamp_column] if state.timestamp_column else []),
        *features,
        *state.derived,
        *state.output_columns,
    ]
    return df.select(*dict.fromkeys(wanted))  # keeps order, drops repeats


def save_state(runtime: Runtime, table_name: str, state: FittedFeatureState) -> str:
    """Store ``state`` (once per distinct content) and return its hash."""
    digest = state_hash(state)
    target = state_table_for(table_name)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    row = runtime.spark.createDataFrame(
        [(digest, state.format_version, state.model_dump_json(), now)], STATE_SCHEMA
    )
    with delta_conflicts_as_errors(target, "fitted-state write"):
        if not runtime.delta_exists(target):
            runtime.write_delta(row.write.format("delta").mode("overwrite"), target)
        else:
            merge_into(runtime, target, row, "t.state_hash = s.state_hash", update=False)
    return digest


def stamped_commits(runtime: Runtime, digest: str) -> AbstractContextManager[None]:
    """Delta commits made inside carry the state hash in their ``userMetadata``."""
    return delta_commits.stamped_commits(runtime.spark, f"{_STAMP}{digest}")


def load_state(runtime: Runtime, table_name: str, version: int | None = None) -> FittedFeatureState:
    """The state the table (at ``version``, default latest) was written with."""
    history = runtime.delta_history(table_name)
    if version is not None:
        history = history.where(F.col("version") <= version)
    stamped = (
        history.where(F.col("userMetadata").startswith(_STAMP))
        .orderBy(F.col("version").desc())
        .select("userMetadata")
        .first()
    )
    if stamped is None:
        raise FeatureEngineeringError(
            f"feature table {table_name} has no fitted state; run the feature job (build_features) first"
        )
    digest = str(stamped["userMetadata"]).removeprefix(_STAMP)
    found = (
        runtime.read_delta(state_table_for(table_name))
        .where(F.col("state_hash") == digest)
        .select("state_json")
        .first()
    )
    if found is None:
        raise FeatureEngineeringError(
            f"fitted state {digest} of {table_name} is missing from its state table"
        )
    return FittedFeatureState.from_json(str(found["state_json"]))
