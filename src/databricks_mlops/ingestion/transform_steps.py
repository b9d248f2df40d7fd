"""The ingestion ``transformation_steps``: each a typed ``DataFrame -> DataFrame`` function."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from databricks_mlops.config.data import (
    AddIngestionTimestamp,
    CastColumns,
    Deduplicate,
    DropColumns,
    FilterRows,
    RenameColumns,
    TransformStep,
)
from databricks_mlops.errors import IngestionError, did_you_mean


def require_columns(df: DataFrame, columns: Iterable[str], what: str) -> None:
    present = df.columns
    for column in columns:
        if column not in present:
            raise IngestionError(
                f"{what}: column {column!r} not found{did_you_mean(column, present)}; "
                f"columns are: {', '.join(present)}"
            )


def drop_columns(df: DataFrame, step: DropColumns) -> DataFrame:
    return df.drop(*step.columns)


def rename_columns(df: DataFrame, step: RenameColumns) -> DataFrame:
    require_columns(df, step.mapping, "rename_columns")
    return df.withColumnsRenamed(step.mapping)


def cast_columns(df: DataFrame, step: CastColumns) -> DataFrame:
    require_columns(df, step.mapping, "cast_columns")
    # try_cast: a malformed value becomes NULL instead of aborting the job (Spark 4 is ANSI);
    # the validate task then reports those NULLs by rule.
    return df.withColumns(
        {column: F.col(column).try_cast(spark_type) for column, spark_type in step.mapping.items()}
    )


def filter_rows(df: DataFrame, step: FilterRows) -> DataFrame:
    return df.where(F.expr(step.condition))


def deduplicate(df: DataFrame, step: Deduplicate) -> DataFrame:
    require_columns(df, [*step.keys, *([step.order_by] if step.order_by else [])], "deduplicate")
    if step.order_by is None:
        return df.dropDuplicates(step.keys)
    order = (
        F.col(step.order_by).desc_nulls_last()
        if step.keep == "last"
        else F.col(step.order_by).asc_nulls_last()
    )
    # Ties on order_by are broken by every column so the same input keeps the same row.
    ranking = Window.partitionBy(*step.keys).orderBy(order, *[F.col(c) for c in df.columns])
    rank = "__mlops_rank"
    return df.withColumn(rank, F.row_number().over(ranking)).where(F.col(rank) == 1).drop(rank)


def add_ingestion_timestamp(df: DataFrame, step: AddIngestionTimestamp) -> DataFrame:
    return df.withColumn(step.column, F.current_timestamp())


_STEPS: dict[type[Any], Callable[[DataFrame, Any], DataFrame]] = {
    DropColumns: drop_columns,
    RenameColumns: rename_columns,
    CastColumns: cast_columns,
    FilterRows: filter_rows,
    Deduplicate: deduplicate,
    AddIngestionTimestamp: add_ingestion_timestamp,
}


def apply_steps(df: DataFrame, steps: Iterable[TransformStep]) -> DataFrame:
    for index, step in enumerate(steps):
        try:
            df = _STEPS[type(step)](df, step)
            # Classic Spark analyses each step as it is built; Spark Connect (serverless)
            # only when the plan is first used, which would blame a later step or the
            # write. A semantic hash analyses the plan here without running a job (one
            # round trip on Connect); the schema would not, as Connect reuses the parent's
            # for schema-preserving steps such as a filter.
            df.semanticHash()
        except IngestionError as exc:
            raise IngestionError(f"transformation_steps[{index}] ({step.type}): {exc}") from None
        except Exception as exc:  # Spark analysis errors surface here
            first_line = (
                str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            )
            raise IngestionError(
                f"Failed to apply transformation_steps[{index}] ({step.type}): {first_line}"
            ) from exc
    return df
