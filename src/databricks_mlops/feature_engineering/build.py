"""Build a feature table from a config: reuse the stored fitted state, or fit anew.

Reusing the state is the default, so one changed source row changes exactly one feature
row (a refit would move every mean, min/max and category set). The state is refitted when
asked, when there is none yet, or when the config's transforms no longer match it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pyspark.sql import DataFrame

from databricks_mlops.config.features import FeatureConfig
from databricks_mlops.errors import ConfigError
from databricks_mlops.feature_engineering.errors import FeatureEngineeringError
from databricks_mlops.feature_engineering.feature_table import (
    FeatureTableWrite,
    write_feature_table,
)
from databricks_mlops.feature_engineering.state import FittedFeatureState
from databricks_mlops.feature_engineering.storage import (
    load_state,
    save_state,
    select_feature_columns,
    stamped_commits,
)
from databricks_mlops.feature_engineering.transformer import FeatureTransformer
from databricks_mlops.runtime import Runtime

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FeatureBuild:
    write: FeatureTableWrite
    state_hash: str
    refitted: bool
    reason: str
    columns: int


def write_features(
    runtime: Runtime,
    df: DataFrame,
    config: FeatureConfig,
    state: FittedFeatureState,
    table_name: str,
) -> tuple[FeatureTableWrite, str]:
    """Select the feature columns, store the state, write the table stamped with it."""
    features = select_feature_columns(df, state, config.features)
    digest = save_state(runtime, table_name, state)
    with stamped_commits(runtime, digest):
        written = write_feature_table(runtime, features, config, table_name)
    return written, digest


def build_feature_table(
    runtime: Runtime, config: FeatureConfig, *, refit: bool = False, source: DataFrame | None = None
) -> FeatureBuild:
    if source is None:
        if config.source_table is None:
            raise ConfigError("source_table is required to build the feature table")
        source = runtime.read_delta(config.source_table)
    if config.online_store_enabled or config.offline_store_path:
        logger.warning(
            "online_store_enabled / offline_store_path are not supported yet and are ignored"
        )
    name = config.feature_table_name
    transformer = FeatureTransformer(config)
    stored, reason = _reusable_state(runtime, config, refit)
    if stored is None:
        transformer.fit(source)
    else:
        transformer = FeatureTransformer.from_state(stored)
    written, digest = write_features(
        runtime, transformer.transform(source), config, transformer.state, name
    )
    return FeatureBuild(
        written, digest, stored is None, reason, len(runtime.read_delta(name).columns)
    )


def _reusable_state(
    runtime: Runtime, config: FeatureConfig, refit: bool
) -> tuple[FittedFeatureState | None, str]:
    if refit:
        return None, "refit requested"
    if not runtime.delta_exists(config.feature_table_name):
        return None, "new feature table"
    try:
        state = load_state(runtime, config.feature_table_name)
    except FeatureEngineeringError:
        return None, "no stored state"
    if state.transforms != config.feature_transformations or state.derived != config.derived:
        return None, "the config's transforms changed"
    return state, "stored state reused"
