"""Write a sample dataset to CSV or parquet, atomically and readable by Spark.

The files are what the example's ingestion stage reads with Spark, so the CSV
spelling is chosen for Spark's reader with ``inferSchema``: booleans as
``true``/``false`` and timestamps as ISO 8601 with a ``T``.
"""

from __future__ import annotations

import importlib.util
import os
import uuid
from pathlib import Path
from typing import Literal, get_args

import numpy as np
import numpy.typing as npt
import pandas as pd

from databricks_mlops.errors import DatasetError, did_you_mean

DatasetFormat = Literal["csv", "parquet"]
FORMATS: tuple[str, ...] = get_args(DatasetFormat)
FORMAT_BY_SUFFIX: dict[str, DatasetFormat] = {".csv": "csv", ".parquet": "parquet"}


def write_dataset(df: pd.DataFrame, out: Path, fmt: DatasetFormat | None = None) -> Path:
    """Write ``df`` to ``out`` and return the path written.

    The format is ``fmt`` when given, else the suffix of ``out``. Parent directories
    are created. The file is written beside ``out`` under a temporary name and renamed
    over it, so a crash leaves either the old file or the new one, never half of one.
    """
    out = Path(out)
    chosen = _resolve_format(out, fmt)
    temp = out.with_name(f".{out.name}.{uuid.uuid4().hex}.tmp")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        if chosen == "csv":
            _write_csv(df, temp)
        else:
            _write_parquet(df, temp)
        _flush_to_disk(temp)
        os.replace(temp, out)
    # pyarrow's conversion errors subclass ValueError / TypeError.
    except (OSError, ValueError, TypeError) as exc:
        raise DatasetError(f"Failed to write {chosen} dataset to {out}: {exc}") from exc
    finally:
        temp.unlink(missing_ok=True)
    return out


def _resolve_format(out: Path, fmt: str | None) -> DatasetFormat:
    if fmt is not None:
        if fmt not in FORMAT_BY_SUFFIX.values():
            raise DatasetError(
                f"Unknown dataset format '{fmt}'{did_you_mean(fmt, FORMATS)}; "
                f"use one of {', '.join(FORMATS)}"
            )
        return FORMAT_BY_SUFFIX[f".{fmt}"]
    suffix = out.suffix.lower()
    if suffix not in FORMAT_BY_SUFFIX:
        shown = f"its suffix '{suffix}'" if suffix else "its name, which has no suffix"
        raise DatasetError(
            f"Cannot tell the format of {out} from {shown}"
            f"{did_you_mean(suffix, FORMAT_BY_SUFFIX)}: name it with one of "
            f"{', '.join(FORMAT_BY_SUFFIX)}, or pass the format explicitly"
        )
    return FORMAT_BY_SUFFIX[suffix]


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    df_for_csv = df.copy(deep=False)
    for name in df.columns:
        column = df[name]
        if pd.api.types.is_bool_dtype(column.dtype):
            df_for_csv[name] = _spark_booleans(column)
        elif pd.api.types.is_datetime64_any_dtype(column.dtype):
            df_for_csv[name] = _iso_timestamps(column)
    df_for_csv.to_csv(path, index=False)


def _spark_booleans(column: pd.Series) -> npt.NDArray[np.object_]:
    # pandas writes True/False; lower case is the spelling every CSV reader accepts.
    present = column.notna().to_numpy()
    truth = column.fillna(False).to_numpy(dtype=bool)
    spelled = np.where(truth, "true", "false").astype(object)
    spelled[~present] = None
    return spelled


def _iso_timestamps(column: pd.Series) -> npt.NDArray[np.object_]:
    """ISO 8601 with a ``T`` (pandas writes a space); UTC with ``Z`` when tz-aware."""
    timezone: Literal["naive", "UTC"] = "naive"
    if isinstance(column.dtype, pd.DatetimeTZDtype):
        column = column.dt.tz_convert("UTC").dt.tz_localize(None)
        timezone = "UTC"
    values: npt.NDArray[np.datetime64] = column.to_numpy(dtype="datetime64[us]")
    present = ~np.isnat(values)
    whole_seconds = bool((values[present].view(np.int64) % 1_000_000 == 0).all())
    text = np.datetime_as_string(values, unit="s" if whole_seconds else "us", timezone=timezone)
    spelled = text.astype(object)
    spelled[~present] = None
    return spelled


def _write_parquet(df: pd.DataFrame, path: Path) -> None:
    if importlib.util.find_spec("pyarrow") is None:
        raise DatasetError("Writing parquet needs pyarrow: pip install pyarrow")
    # Microseconds, because Spark cannot read parquet nanosecond timestamps.
    df.to_parquet(
        path,
        engine="pyarrow",
        index=False,
        coerce_timestamps="us",
        allow_truncated_timestamps=True,
    )


def _flush_to_disk(path: Path) -> None:
    """Make the bytes durable before the rename makes them visible."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
