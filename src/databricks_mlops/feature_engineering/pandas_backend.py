"""pandas backend: apply a fitted state to a pandas DataFrame (inside a served model).

Gives the same values as the Spark backend: float outputs are ``float64`` (NaN for
NULL), integer outputs nullable ``Int32`` (``<NA>``), labels ``object`` (``None``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from databricks_mlops.config.features import (
    Binning,
    BooleanEncode,
    Clip,
    CustomTransform,
    DateParts,
    Log1p,
    NumericFillna,
    OneHotEncode,
    Scaling,
)
from databricks_mlops.expressions import evaluate_pandas, schema_from_pandas
from databricks_mlops.feature_engineering.derived import compile_derived
from databricks_mlops.feature_engineering.plan import PlannedTransform, bin_labels, plan_transforms
from databricks_mlops.feature_engineering.state import (
    ColumnKind,
    FittedFeatureState,
    TransformState,
)
from databricks_mlops.feature_engineering.user_transforms import get_transform

_INFERRED_KINDS: dict[str, ColumnKind] = {
    "string": "string",
    "boolean": "boolean",
    "integer": "integer",
    "floating": "float",
    "mixed-integer-float": "float",
    "decimal": "decimal",
    "datetime": "timestamp",
    "datetime64": "timestamp",
    "date": "date",
    "empty": "null",
}


def pandas_kinds(df: pd.DataFrame) -> dict[str, ColumnKind]:
    return {str(name): _kind(df[name]) for name in df.columns}


def _kind(series: pd.Series) -> ColumnKind:
    dtype = series.dtype
    if ptypes.is_bool_dtype(dtype):
        return "boolean"
    if ptypes.is_integer_dtype(dtype):
        return "integer"
    if ptypes.is_float_dtype(dtype):
        return "float"
    if ptypes.is_datetime64_any_dtype(dtype):
        return "timestamp"
    if ptypes.is_object_dtype(dtype) or ptypes.is_string_dtype(dtype):
        # Object columns (a JSON serving request, Python rows) are typed by their values.
        return _INFERRED_KINDS.get(pd.api.types.infer_dtype(series, skipna=True), "other")
    return "other"


def with_derived(df: pd.DataFrame, derived: dict[str, str]) -> pd.DataFrame:
    compiled = compile_derived(derived, schema_from_pandas(df))
    if not compiled:
        return df
    frame = df.copy()
    for column in compiled:
        value = evaluate_pandas(column.expression, frame)
        # A constant expression evaluates to a scalar; broadcast it like Spark's lit().
        frame[column.name] = (
            value
            if isinstance(value, pd.Series)
            else pd.Series([value] * len(frame), index=frame.index, dtype=object)
        )
    return frame


def _number(frame: pd.DataFrame, plan: PlannedTransform) -> pd.Series:
    """The source as float64; None, NA and NaN are all missing."""
    series = frame[plan.source]
    if plan.source_kind == "null":
        return pd.Series(np.nan, index=frame.index, dtype="float64")
    return pd.to_numeric(series).astype("float64")


def _outputs(
    frame: pd.DataFrame, plan: PlannedTransform, state: TransformState
) -> dict[str, pd.Series]:
    spec, stats, names = plan.spec, state.statistics, state.output_columns
    if isinstance(spec, NumericFillna):
        return {names[0]: _number(frame, plan).fillna(stats["fill_value"])}
    if isinstance(spec, Scaling):
        number = _number(frame, plan)
        if spec.method == "min_max":
            scaled = (number - stats["minimum"]) / (stats["maximum"] - stats["minimum"])
        else:
            scaled = (number - stats["mean"]) / stats["std"]
        return {names[0]: scaled}
    if isinstance(spec, Log1p):
        number = _number(frame, plan)
        # where() first, so numpy never sees a negative (no warning, NULL by definition).
        return {names[0]: np.log1p(number.where(number >= 0))}
    if isinstance(spec, Clip):
        return {names[0]: _number(frame, plan).clip(lower=spec.lower, upper=spec.upper)}
    if isinstance(spec, Binning):
        return {names[0]: _binned(_number(frame, plan), spec)}
    if isinstance(spec, BooleanEncode):
        return {names[0]: _boolean_encoded(frame[plan.source], spec)}
    if isinstance(spec, OneHotEncode):
        assert state.categories is not None
        values = frame[plan.source].astype(object)
        return {
            name: (values == category).astype("int32")
            for name, category in zip(names, state.categories, strict=True)
        }
    if isinstance(spec, DateParts):
        return dict(
            zip(names, (_date_part(frame[plan.source], part) for part in spec.parts), strict=True)
        )
    if isinstance(spec, CustomTransform):
        transform = get_transform(spec.name)
        return {
            names[0]: transform.apply_pandas(frame[plan.source], state.custom_state, spec.options)
        }
    raise AssertionError(f"no pandas implementation for {spec.type}")


def _binned(number: pd.Series, spec: Binning) -> pd.Series:
    labels = bin_labels(spec)
    edges = np.asarray(spec.bins, dtype="float64")
    values = number.to_numpy(dtype="float64", na_value=np.nan)
    # searchsorted(side="right") - 1 is the bin with edges[i] <= v < edges[i + 1]; the
    # last bin is closed on the right as well.
    index = np.searchsorted(edges, values, side="right") - 1
    index[values == edges[-1]] = len(labels) - 1
    valid = (index >= 0) & (index < len(labels)) & ~np.isnan(values)
    out: list[Any] = [labels[i] if ok else None for i, ok in zip(index, valid, strict=True)]
    return pd.Series(out, index=number.index, dtype=object)


def _is_missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))


def _boolean_encoded(series: pd.Series, spec: BooleanEncode) -> pd.Series:
    true_values = set(spec.true_values)

    def encode(value: Any) -> Any:
        if _is_missing(value):
            return pd.NA
        if isinstance(value, bool | np.bool_):
            return int(value)
        return int(str(value).lower() in true_values)

    return pd.Series([encode(v) for v in series.astype(object)], index=series.index, dtype="Int32")


def _date_part(series: pd.Series, part: str) -> pd.Series:
    timestamps = pd.to_datetime(series)
    if part == "year":
        value = timestamps.dt.year
    elif part == "month":
        value = timestamps.dt.month
    elif part == "day":
        value = timestamps.dt.day
    elif part == "dayofweek":
        value = timestamps.dt.dayofweek + 1  # ISO: Monday=1 .. Sunday=7
    else:
        value = timestamps.dt.hour
    return value.astype("Int32")


def transform_pandas(state: FittedFeatureState, df: pd.DataFrame) -> pd.DataFrame:
    """Same columns, order and values as the Spark backend."""
    frame = with_derived(df, state.derived)
    plans = plan_transforms(state.transforms, pandas_kinds(frame))
    outputs: dict[str, pd.Series] = {}
    for plan in plans:
        outputs |= _outputs(frame, plan, state.fitted[plan.output])
    columns: dict[str, pd.Series] = {}
    for name in frame.columns:
        columns[str(name)] = outputs.pop(str(name)) if name in outputs else frame[name]
    columns |= outputs
    return pd.DataFrame(columns, index=frame.index)
