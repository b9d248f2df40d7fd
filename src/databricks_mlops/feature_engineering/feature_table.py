"""Feature tables: Delta tables keyed by primary keys + timestamp, written by MERGE.

A re-run with the same input changes no row (matched rows are updated only when a value
differs), a changed source row updates exactly its key, new keys are inserted. Keys,
timestamp, description and tags are kept as table metadata so ``describe_feature_table``
answers the same way locally as the Feature Engineering client does on Databricks.

The table is created with its metadata in one commit (CREATE TABLE AS SELECT with table
properties), so no crash can leave a table that is not a feature table; a table left that
way by an older version (data first, properties in a second commit) is repaired on the
next write. Every commit turns a Delta conflict with a concurrent run into
:class:`~databricks_mlops.errors.ConcurrentWriteError`.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import shutil
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from databricks_mlops.errors import ConcurrentWriteError
from databricks_mlops.expressions.sql_backend import sql_identifier, sql_string
from databricks_mlops.feature_engineering.errors import FeatureEngineeringError
from databricks_mlops.runtime import Runtime
from databricks_mlops.runtime.delta_conflicts import delta_conflicts_as_errors
from databricks_mlops.runtime.delta_sql import delta_identifier, merge_into
from databricks_mlops.runtime.locations import TableName, looks_like_table_name, table_location

if TYPE_CHECKING:
    from databricks_mlops.config.features import FeatureConfig

_PREFIX = "databricks_mlops"
_KEYS_PROPERTY = f"{_PREFIX}.primary_keys"
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FeatureTableInfo:
    name: str
    primary_keys: list[str]
    timestamp_keys: list[str]
    description: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    partition_columns: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class FeatureTableWrite:
    name: str
    version: int
    operation: str
    rows_inserted: int
    rows_updated: int
    row_count: int


def _feature_client_available(runtime: Runtime) -> bool:
    if runtime.is_local:
        return False
    try:
        return importlib.util.find_spec("databricks.feature_engineering") is not None
    except ModuleNotFoundError:
        return False


def write_feature_table(
    runtime: Runtime, df: DataFrame, config: FeatureConfig, table_name: str
) -> FeatureTableWrite:
    keys = config.table_keys
    missing = [k for k in keys if k not in df.columns]
    if missing:
        raise FeatureEngineeringError(f"feature table {table_name}: key columns missing: {missing}")
    _check_keys(df, keys, table_name)
    if _feature_client_available(runtime):
        _write_with_feature_client(df, config, table_name)
    elif not runtime.delta_exists(table_name):
        _create(runtime, df, config, table_name)
    else:
        _repair_metadata(runtime, config, table_name)
        _merge(runtime, df, keys, table_name)
    history = runtime.delta_history(table_name, 1).collect()[0]
    metrics = history["operationMetrics"] or {}
    inserted = int(metrics.get("numTargetRowsInserted", metrics.get("numOutputRows", 0)))
    return FeatureTableWrite(
        name=table_name,
        version=int(history["version"]),
        operation=str(history["operation"]),
        rows_inserted=inserted,
        rows_updated=int(metrics.get("numTargetRowsUpdated", 0)),
        row_count=int(runtime.read_delta(table_name).count()),
    )


def _check_keys(df: DataFrame, keys: list[str], table_name: str) -> None:
    """NULL or repeated keys would make the first write succeed and every MERGE after it
    fail ("multiple source rows matched"): refuse them before writing anything."""
    null_key = " OR ".join(f"{sql_identifier(k)} IS NULL" for k in keys)
    counts = df.groupBy(*keys).count()
    problems = counts.agg(
        F.sum(F.when(F.col("count") > 1, 1).otherwise(0)).alias("repeated"),
        F.sum(F.when(F.expr(null_key), F.col("count")).otherwise(0)).alias("null_keys"),
    ).first()
    repeated = int((problems["repeated"] if problems else 0) or 0)
    null_keys = int((problems["null_keys"] if problems else 0) or 0)
    if repeated or null_keys:
        raise FeatureEngineeringError(
            f"feature table {table_name}: keys {keys} must be unique and not NULL; found "
            f"{repeated} repeated key(s) and {null_keys} row(s) with a NULL key "
            f"(deduplicate the source, e.g. a deduplicate ingestion step)"
        )


def _merge(runtime: Runtime, df: DataFrame, keys: list[str], table_name: str) -> None:
    on = " AND ".join(f"t.{sql_identifier(k)} <=> s.{sql_identifier(k)}" for k in keys)
    existing = set(runtime.read_delta(table_name).columns)
    values = [c for c in df.columns if c not in keys]
    # Only rows whose values changed are rewritten: an unchanged re-run updates nothing.
    # A column new to the table (schema evolution) counts as a change for every row.
    if any(c not in existing for c in values):
        changed = "TRUE"
    else:
        changed = (
            " OR ".join(f"NOT (t.{sql_identifier(c)} <=> s.{sql_identifier(c)})" for c in values)
            or "FALSE"
        )
    try:
        with delta_conflicts_as_errors(table_name, "feature table MERGE"):
            merge_into(runtime, table_name, df, on, update_condition=changed, evolve_schema=True)
    except ConcurrentWriteError:
        raise
    except Exception as exc:
        raise FeatureEngineeringError(
            f"Failed to MERGE into feature table {table_name} on {keys}: {str(exc).splitlines()[0]}"
        ) from exc


def _metadata(config: FeatureConfig) -> dict[str, str]:
    """The table properties that make a Delta table a feature table."""
    return {
        _KEYS_PROPERTY: json.dumps(config.primary_keys),
        f"{_PREFIX}.timestamp_keys": json.dumps(
            [config.timestamp_column] if config.timestamp_column else []
        ),
        f"{_PREFIX}.tags": json.dumps(config.tags),
        f"{_PREFIX}.partition_columns": json.dumps(config.partition_columns),
    }


def _create(runtime: Runtime, df: DataFrame, config: FeatureConfig, table_name: str) -> None:
    """Data, keys, tags and description in one commit (CREATE TABLE AS SELECT)."""
    if looks_like_table_name(table_name):
        writer = df.writeTo(runtime.table(table_name)).using("delta")
        if runtime.is_local:
            writer = writer.option("path", _fresh_local_location(runtime, table_name))
    else:
        writer = df.writeTo(f"delta.`{runtime.path(table_name)}`").using("delta")
    for key, value in _metadata(config).items():
        writer = writer.tableProperty(key, value)
    if config.description:
        writer = writer.tableProperty("comment", config.description)
    if config.partition_columns:
        writer = writer.partitionedBy(*(F.col(c) for c in config.partition_columns))
    try:
        with delta_conflicts_as_errors(table_name, "feature table create"):
            writer.create()
    except ConcurrentWriteError:
        raise
    except Exception as exc:
        if not runtime.delta_exists(table_name):
            raise
        # Absent when this run looked, present now: another run created it meanwhile.
        raise ConcurrentWriteError(
            f"Another run created feature table {table_name!r} while this run was creating "
            "it; nothing from this run was committed. Re-run the task once the other run "
            "has finished (is the job running twice?)."
        ) from exc


def _fresh_local_location(runtime: Runtime, table_name: str) -> str:
    """The table's deterministic local location, without files of a write that never
    committed (a first write killed mid-way leaves data files but no transaction log;
    Delta would refuse the location for good)."""
    location = table_location(TableName.parse(table_name), runtime.home)
    if location.is_dir() and not (location / "_delta_log").is_dir():
        logger.warning("%s: removing files of a write that never committed", table_name)
        shutil.rmtree(location)
    return str(location)


def _repair_metadata(runtime: Runtime, config: FeatureConfig, table_name: str) -> None:
    """Restore metadata a table lacks, leaving what it has alone.

    Earlier versions created the table, then set its properties in a second commit: a run
    stopped in between left a Delta table that is not a feature table. One commit fixes it."""
    reference = delta_identifier(runtime, table_name)
    detail = runtime.spark.sql(f"DESCRIBE DETAIL {reference}").first()
    if detail is None:
        return
    present = dict(detail["properties"] or {})
    missing = {key: value for key, value in _metadata(config).items() if key not in present}
    if config.description and not detail["description"]:
        missing["comment"] = config.description  # Delta stores it as the table's comment
    if not missing:
        return
    logger.warning(
        "feature table %s lacks its metadata %s (a run stopped before setting it); restoring it",
        table_name,
        sorted(missing),
    )
    assignments = ", ".join(f"{sql_string(k)} = {sql_string(v)}" for k, v in missing.items())
    with delta_conflicts_as_errors(table_name, "feature table metadata repair"):
        runtime.spark.sql(f"ALTER TABLE {reference} SET TBLPROPERTIES ({assignments})")


def describe_feature_table(runtime: Runtime, table_name: str) -> FeatureTableInfo:
    """Keys, timestamp and tags of a feature table, from the same place on every backend."""
    if _feature_client_available(runtime):
        from databricks.feature_engineering import FeatureEngineeringClient

        table = FeatureEngineeringClient().get_table(name=table_name)
        return FeatureTableInfo(
            name=table_name,
            primary_keys=list(table.primary_keys),
            timestamp_keys=list(table.timestamp_keys or []),
            description=table.description or "",
            tags=dict(table.tags or {}),
            partition_columns=list(table.partition_columns or []),
        )
    detail = runtime.spark.sql(f"DESCRIBE DETAIL {delta_identifier(runtime, table_name)}").first()
    if detail is None:
        raise FeatureEngineeringError(f"feature table {table_name} not found")
    props = dict(detail["properties"] or {})
    if _KEYS_PROPERTY not in props:
        raise FeatureEngineeringError(
            f"{table_name} is a Delta table but not a feature table (it has no "
            f"{_KEYS_PROPERTY} property); build it with the feature job, which also restores "
            "the metadata of a table whose first run stopped before setting it"
        )
    return FeatureTableInfo(
        name=table_name,
        primary_keys=json.loads(props[_KEYS_PROPERTY]),
        timestamp_keys=json.loads(props[f"{_PREFIX}.timestamp_keys"]),
        description=detail["description"] or "",
        tags=json.loads(props.get(f"{_PREFIX}.tags", "{}")),
        partition_columns=json.loads(props.get(f"{_PREFIX}.partition_columns", "[]")),
    )


def _write_with_feature_client(df: DataFrame, config: FeatureConfig, table_name: str) -> None:
    from databricks.feature_engineering import FeatureEngineeringClient

    client = FeatureEngineeringClient()
    try:
        client.get_table(name=table_name)
        client.write_table(name=table_name, df=df, mode="merge")
    except Exception as missing:  # get_table raises when the table does not exist yet
        if "not found" not in str(missing).lower() and "does not exist" not in str(missing).lower():
            raise FeatureEngineeringError(
                f"Failed to write feature table {table_name}: {missing}"
            ) from missing
        client.create_table(
            name=table_name,
            primary_keys=config.table_keys,
            timeseries_columns=config.timestamp_column,
            partition_columns=config.partition_columns or None,
            df=df,
            description=config.description,
            tags=config.tags,
        )
