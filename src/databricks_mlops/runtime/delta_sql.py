"""Delta writes that need more than a DataFrameWriter (MERGE, DELETE, OPTIMIZE), as SQL.

Why SQL and not ``delta.tables.DeltaTable``: on Spark Connect (serverless compute, and the
local runtime under ``MLOPS_SPARK_CONNECT=1``) the DeltaTable API sends plan extensions
that only a server with the Delta Connect plugin understands. SQL reaches every Delta
server the same way: a classic session, Databricks serverless, local Spark Connect.

A source DataFrame reaches ``MERGE INTO`` as a temporary view with a name of its own, so
two merges on one shared session never see each other's source.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING

from databricks_mlops.runtime.locations import looks_like_table_name

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from databricks_mlops.runtime import Runtime


def quote(name: str) -> str:
    """A column or table part as a backquoted SQL identifier.

    ``expressions.sql_backend.sql_identifier`` does the same; importing it here would load
    the expression package (its pandas and Spark backends) into ingestion, which has no
    other use for it."""
    return "`" + name.replace("`", "``") + "`"


def delta_identifier(runtime: Runtime, target: str) -> str:
    """``target`` (a table name or a Databricks path) as SQL names it."""
    if looks_like_table_name(target):
        # Quoted: Delta's parser reads a bare `history` or `limit` as its keyword.
        return ".".join(quote(part) for part in runtime.table(target).split("."))
    return "delta." + quote(runtime.path(target))


def add_missing_columns(runtime: Runtime, target: str, source: DataFrame) -> list[str]:
    """Columns of ``source`` the table lacks, added to it (NULL in the existing rows).

    This is the schema evolution of ``DeltaTable.merge(...).withSchemaEvolution()``, done
    as its own ALTER TABLE: OSS Delta's ``MERGE WITH SCHEMA EVOLUTION`` does not add the
    columns of an ``UPDATE SET *`` / ``INSERT *`` merge."""
    existing = {name.lower() for name in runtime.read_delta(target).columns}
    new = [field for field in source.schema.fields if field.name.lower() not in existing]
    if new:
        columns = ", ".join(f"{quote(field.name)} {field.dataType.simpleString()}" for field in new)
        runtime.spark.sql(
            f"ALTER TABLE {delta_identifier(runtime, target)} ADD COLUMNS ({columns})"
        )
    return [field.name for field in new]


def merge_into(
    runtime: Runtime,
    target: str,
    source: DataFrame,
    on: str,
    *,
    update: bool = True,
    update_condition: str | None = None,
    evolve_schema: bool = False,
) -> None:
    """``MERGE INTO target AS t USING source AS s ON <on>``: matched rows are updated from
    the source (all columns; only where ``update_condition`` holds, when given), the others
    inserted. ``on`` and ``update_condition`` name the two sides ``t`` and ``s``."""
    if evolve_schema:
        add_missing_columns(runtime, target, source)
    view = f"mlops_merge_source_{uuid.uuid4().hex}"
    source.createOrReplaceTempView(view)
    clauses = []
    if update:
        condition = f" AND ({update_condition})" if update_condition else ""
        clauses.append(f"WHEN MATCHED{condition} THEN UPDATE SET *")
    clauses.append("WHEN NOT MATCHED THEN INSERT *")
    try:
        runtime.spark.sql(
            f"MERGE INTO {delta_identifier(runtime, target)} AS t USING {view} AS s "
            f"ON {on} {' '.join(clauses)}"
        )
    finally:
        runtime.spark.catalog.dropTempView(view)


def delete_where(runtime: Runtime, target: str, predicate: str) -> None:
    """``DELETE FROM target WHERE <predicate>`` (one Delta commit)."""
    runtime.spark.sql(f"DELETE FROM {delta_identifier(runtime, target)} WHERE {predicate}")


def optimize(runtime: Runtime, target: str, z_order_by: Sequence[str] = ()) -> None:
    """``OPTIMIZE target [ZORDER BY (...)]``: compacts files, clustered by ``z_order_by``."""
    zorder = f" ZORDER BY ({', '.join(quote(c) for c in z_order_by)})" if z_order_by else ""
    runtime.spark.sql(f"OPTIMIZE {delta_identifier(runtime, target)}{zorder}")
