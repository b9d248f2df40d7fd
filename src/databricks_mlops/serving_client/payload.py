"""Request bodies and response parsing for the ``dataframe_split`` protocol.

Both Databricks Model Serving and the MLflow scoring server accept
``{"dataframe_split": {"columns": [...], "data": [[...], ...]}}`` and answer
``{"predictions": ...}``. JSON has no NaN, timestamps or numpy scalars, so values are
converted column by column (one vectorised pass per column, not per cell, for the
common dtypes): NaN / None / NA / +-inf -> ``null``, datetimes -> ISO 8601 strings,
numpy scalars -> Python numbers.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from databricks_mlops.serving_client.errors import ServingInputError, ServingResponseError

if TYPE_CHECKING:
    import pandas as pd

# Frames up to this many rows are converted cell by cell, larger ones column by column.
SMALL_FRAME_ROWS = 32


def encode_frame(frame: pd.DataFrame, start: int = 0, stop: int | None = None) -> bytes:
    """The ``dataframe_split`` body for rows ``[start, stop)`` of ``frame``, as UTF-8 JSON."""
    part = frame if start == 0 and (stop is None or stop >= len(frame)) else frame.iloc[start:stop]
    columns = [str(name) for name in part.columns]
    try:
        if len(part) <= SMALL_FRAME_ROWS:
            # One object array for the whole frame: for a few rows per-column dtype work costs
            # more than converting each cell (a single-row call stays ~30 us, not ~700 us).
            cells = part.to_numpy(dtype=object).tolist()
            data = [[_json_value(value) for value in row] for row in cells]
        else:
            values = [_column_values(column) for _, column in part.items()]
            data = [list(row) for row in zip(*values, strict=True)]
        payload = {"dataframe_split": {"columns": columns, "data": data}}
        return json.dumps(
            payload, default=_json_default, allow_nan=False, separators=(",", ":")
        ).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise ServingInputError(
            f"Failed to encode features as JSON (columns {columns}): {exc}. Convert the "
            "column to numbers, strings or timestamps before predicting"
        ) from exc


def _column_values(column: pd.Series[Any]) -> list[Any]:
    import numpy as np
    import pandas as pd

    dtype = column.dtype
    if isinstance(dtype, np.dtype):
        kind = dtype.kind
        if kind in "biu":
            return column.to_numpy().tolist()
        if kind == "f":
            array = column.to_numpy()
            values: list[Any] = array.tolist()
            if not np.isfinite(array).all():
                values = [value if math.isfinite(value) else None for value in values]
            return values
        if kind == "M":
            return [None if value is pd.NaT else value.isoformat() for value in column]
    if isinstance(dtype, pd.DatetimeTZDtype):
        return [None if value is pd.NaT else value.isoformat() for value in column]
    # object, string, categorical, nullable extension dtypes, timedeltas: value by value.
    return [_json_value(value) for value in column.to_numpy(dtype=object).tolist()]


def _json_value(value: Any) -> Any:
    import numpy as np
    import pandas as pd

    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, np.generic):
        return _json_value(value.item())
    return _json_default(value)


def _json_default(value: Any) -> Any:
    """Values ``json`` cannot write natively (also used for nested lists and dicts)."""
    import numpy as np
    import pandas as pd

    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, pd.Timedelta | dt.timedelta):
        return pd.Timedelta(value).isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, np.ndarray):
        return [_json_value(item) for item in value.tolist()]
    if isinstance(value, np.generic):
        return _json_value(value.item())
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} value {value!r} is not JSON serialisable")


def decode_predictions(body: Any, rows: int) -> dict[str, list[Any]]:
    """``{"predictions": ...}`` as columns of ``rows`` values each.

    Accepted shapes: a list with one dict per row (the MLflow scoring server's answer for
    a DataFrame output), a list of scalars or lists (one per row, column ``prediction``),
    or a dict of columns. A bare list (older servers) is read as ``predictions``.
    """
    predictions = body.get("predictions") if isinstance(body, dict) else body
    if predictions is None:
        keys = sorted(body) if isinstance(body, dict) else type(body).__name__
        raise ServingResponseError(
            f"the response has no 'predictions' (got {keys}); the endpoint does not speak "
            "the MLflow scoring protocol"
        )
    if isinstance(predictions, dict):
        columns = {
            str(name): list(value) if isinstance(value, list) else [value]
            for name, value in predictions.items()
        }
    elif isinstance(predictions, list):
        columns = _columns_from_rows(predictions)
    else:
        columns = {"prediction": [predictions]}
    for name, values in columns.items():
        if len(values) != rows:
            raise ServingResponseError(
                f"the response has {len(values)} value(s) in column {name!r} for {rows} "
                "row(s) sent; the model must answer one prediction per input row"
            )
    return columns


def _columns_from_rows(items: Sequence[Any]) -> dict[str, list[Any]]:
    if not items or not all(isinstance(item, dict) for item in items):
        return {"prediction": list(items)}
    names: dict[str, None] = {}
    for item in items:
        names.update(dict.fromkeys(item))
    return {str(name): [item.get(name) for item in items] for name in names}
