"""Spark backend: fit in ONE aggregation job for every column, apply in one projection."""

from __future__ import annotations

from collections.abc import Mapping
from itertools import pairwise
from typing import Any

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from databricks_mlops.config.features import (
    Binning,
    BooleanEncode,
    Clip,
    CustomTransform,
    DateParts,
    FeatureConfig,
    Log1p,
    NumericFillna,
    OneHotEncode,
    Scaling,
)
from databricks_mlops.expressions import schema_from_spark, to_spark
from databricks_mlops.feature_engineering.derived import compile_derived
from databricks_mlops.feature_engineering.errors import FeatureEngineeringError
from databricks_mlops.feature_engineering.plan import (
    PlannedTransform,
    bin_labels,
    check_unique_outputs,
    finish_transform,
    plan_transforms,
)
from databricks_mlops.feature_engineering.state import (
    ColumnKind,
    FittedFeatureState,
    TransformState,
)
from databricks_mlops.feature_engineering.user_transforms import get_transform

_ROWS = "__mlops_fe_rows"

_KINDS: dict[str, ColumnKind] = {
    "ByteType": "integer",
    "ShortType": "integer",
    "IntegerType": "integer",
    "LongType": "integer",
    "FloatType": "float",
    "DoubleType": "float",
    "DecimalType": "decimal",
    "StringType": "string",
    "CharType": "string",
    "VarcharType": "string",
    "BooleanType": "boolean",
    "DateType": "date",
    "TimestampType": "timestamp",
    "TimestampNTZType": "timestamp",
    "NullType": "null",
}


def spark_kinds(schema: StructType) -> dict[str, ColumnKind]:
    return {f.name: _KINDS.get(type(f.dataType).__name__, "other") for f in schema.fields}


def _col(name: str) -> Column:
    # Backticks keep "a.b" a column name rather than a struct field access.
    return F.col("`" + name.replace("`", "``") + "`")


def _number(plan: PlannedTransform) -> Column:
    """The source as a double; NaN counts as missing, as it does in pandas."""
    column = _col(plan.source).cast("double")
    if plan.source_kind == "float":
        column = F.nanvl(column, F.lit(None).cast("double"))
    return column


def with_derived(df: DataFrame, derived: Mapping[str, str]) -> DataFrame:
    """``df`` plus the derived columns, checked against its schema first."""
    compiled = compile_derived(derived, schema_from_spark(df.schema))
    column_count = len(df.columns)
    for column in compiled:
        df = df.withColumn(column.name, to_spark(column.expression, column_count=column_count))
    return df


def _aggregates(plan: PlannedTransform, median_accuracy: int) -> dict[str, Column]:
    spec = plan.spec
    if isinstance(spec, NumericFillna):
        if spec.strategy == "mean":
            return {"fill_value": F.avg(_number(plan))}
        if spec.strategy == "median":
            return {"fill_value": F.percentile_approx(_number(plan), F.lit(0.5), median_accuracy)}
        return {}
    if isinstance(spec, Scaling):
        number = _number(plan)
        stats = {"minimum": F.min(number), "maximum": F.max(number)}
        if spec.method == "standard":
            stats |= {"mean": F.avg(number), "std": F.stddev_pop(number)}
        return stats
    if isinstance(spec, OneHotEncode) and spec.categories is None:
        return {"categories": F.array_sort(F.collect_set(_col(plan.source).cast("string")))}
    if isinstance(spec, CustomTransform):
        return get_transform(spec.name).aggregates(_col(plan.source), spec.options)
    return {}


def fit_spark(config: FeatureConfig, df: DataFrame, *, median_accuracy: int) -> FittedFeatureState:
    """Learn every statistic in one ``df.agg`` (none at all when nothing needs learning)."""
    frame = with_derived(df, config.derived)
    kinds = spark_kinds(frame.schema)
    plans = plan_transforms(config.feature_transformations, kinds)
    aliases: dict[tuple[int, str], str] = {}
    aggregates: list[Column] = []
    for index, plan in enumerate(plans):
        for stat, aggregate in _aggregates(plan, median_accuracy).items():
            aliases[index, stat] = f"__mlops_fe_{index}_{len(aliases)}"
            aggregates.append(aggregate.alias(aliases[index, stat]))
    row: Mapping[str, Any] = {}
    row_count: int | None = None
    if aggregates:
        try:
            first = frame.agg(F.count(F.lit(1)).alias(_ROWS), *aggregates).first()
        except Exception as exc:  # Spark analysis / execution errors, reported with context
            raise FeatureEngineeringError(f"Failed to fit feature transforms: {exc}") from exc
        assert first is not None  # a global aggregation returns exactly one row
        row = first.asDict()
        row_count = int(row[_ROWS])
    fitted: dict[str, TransformState] = {}
    for index, plan in enumerate(plans):
        values = {stat: row[alias] for (i, stat), alias in aliases.items() if i == index}
        custom: dict[str, Any] = {}
        if isinstance(plan.spec, CustomTransform):
            custom = get_transform(plan.spec.name).finish(values, plan.spec.options)
            values = {}
        fitted[plan.output] = finish_transform(plan, values, custom)
    check_unique_outputs(fitted)
    return FittedFeatureState(
        feature_table_name=config.feature_table_name,
        primary_keys=config.primary_keys,
        timestamp_column=config.timestamp_column,
        derived=config.derived,
        transforms=config.feature_transformations,
        fitted=fitted,
        input_columns=kinds,
        row_count=row_count,
        median_accuracy=median_accuracy,
    )


def _outputs(plan: PlannedTransform, state: TransformState) -> dict[str, Column]:
    spec, stats, names = plan.spec, state.statistics, state.output_columns
    if isinstance(spec, NumericFillna):
        return {names[0]: F.coalesce(_number(plan), F.lit(stats["fill_value"]))}
    if isinstance(spec, Scaling):
        number = _number(plan)
        if spec.method == "min_max":
            scaled = (number - stats["minimum"]) / (stats["maximum"] - stats["minimum"])
        else:
            scaled = (number - stats["mean"]) / stats["std"]
        return {names[0]: scaled}
    if isinstance(spec, Log1p):
        number = _number(plan)
        return {names[0]: F.when(number >= 0, F.log1p(number))}
    if isinstance(spec, Clip):
        number = _number(plan)
        clipped = number
        if spec.lower is not None:
            clipped = F.greatest(clipped, F.lit(spec.lower))
        if spec.upper is not None:
            clipped = F.least(clipped, F.lit(spec.upper))
        # greatest/least skip NULLs: guard so a NULL stays NULL rather than becoming a bound.
        return {names[0]: F.when(number.isNotNull(), clipped)}
    if isinstance(spec, Binning):
        return {names[0]: _binned(_number(plan), spec)}
    if isinstance(spec, BooleanEncode):
        return {names[0]: _boolean_encoded(plan, spec)}
    if isinstance(spec, OneHotEncode):
        value = _col(plan.source).cast("string")
        assert state.categories is not None
        return {
            name: F.when(value == F.lit(category), 1).otherwise(0).cast("int")
            for name, category in zip(names, state.categories, strict=True)
        }
    if isinstance(spec, DateParts):
        return dict(zip(names, (_date_part(plan, part) for part in spec.parts), strict=True))
    if isinstance(spec, CustomTransform):
        transform = get_transform(spec.name)
        return {
            names[0]: transform.apply_spark(_col(plan.source), state.custom_state, spec.options)
        }
    raise AssertionError(f"no Spark implementation for {spec.type}")


def _binned(number: Column, spec: Binning) -> Column:
    labels = bin_labels(spec)
    last = len(labels) - 1
    result: Column | None = None
    for index, ((low, high), label) in enumerate(zip(pairwise(spec.bins), labels, strict=True)):
        upper = number <= high if index == last else number < high
        condition = (number >= low) & upper
        result = F.when(condition, label) if result is None else result.when(condition, label)
    assert result is not None  # Binning has at least two edges
    return result


def _boolean_encoded(plan: PlannedTransform, spec: BooleanEncode) -> Column:
    source = _col(plan.source)
    if plan.source_kind == "boolean":
        encoded = F.when(source, 1).otherwise(0)
    else:
        encoded = F.when(F.lower(source.cast("string")).isin(spec.true_values), 1).otherwise(0)
    return F.when(source.isNotNull(), encoded).cast("int")


def _date_part(plan: PlannedTransform, part: str) -> Column:
    source = _col(plan.source)
    if part == "year":
        value = F.year(source)
    elif part == "month":
        value = F.month(source)
    elif part == "day":
        value = F.dayofmonth(source)
    elif part == "dayofweek":
        value = F.weekday(source) + 1  # ISO: Monday=1 .. Sunday=7 (Spark's weekday is Monday=0)
    elif plan.source_kind == "date":
        value = F.when(source.isNotNull(), F.lit(0))
    else:
        value = F.hour(source)
    return value.cast("int")


def transform_spark(state: FittedFeatureState, df: DataFrame) -> DataFrame:
    """Apply a fitted state: input columns (replaced in place when a transform writes
    one), then derived and new columns in config order, in a single projection."""
    frame = with_derived(df, state.derived)
    plans = plan_transforms(state.transforms, spark_kinds(frame.schema))
    outputs: dict[str, Column] = {}
    for plan in plans:
        outputs |= _outputs(plan, state.fitted[plan.output])
    kept = [
        outputs.pop(name).alias(name) if name in outputs else _col(name) for name in frame.columns
    ]
    return frame.select(*kept, *(column.alias(name) for name, column in outputs.items()))
