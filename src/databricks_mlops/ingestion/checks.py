"""Checks on the data before anything is written: an empty source, column names Delta
cannot store. Each fails with what is wrong, where, and the config change that fixes it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from pyspark.sql import DataFrame
from pyspark.sql import types as T

from databricks_mlops.errors import IngestionError, InvalidColumnNamesError

# What Delta refuses in a column name while column mapping is off (Delta's own list, from
# DELTA_INVALID_CHARACTERS_IN_COLUMN_NAMES).
DELTA_FORBIDDEN_CHARACTERS = " ,;{}()\n\t="
_FORBIDDEN_RUN = re.compile("[" + re.escape(DELTA_FORBIDDEN_CHARACTERS) + "]+")


def require_data(df: DataFrame, source: str, fmt: str) -> None:
    """An empty source is refused before the transformation steps run: otherwise it
    surfaces as a puzzling "column not found" in a step, or replaces the table with
    nothing."""
    if not df.columns:
        what = "no header" if fmt == "csv" else "no columns"
        raise IngestionError(
            f"the source {source} has {what} (the file is empty): nothing to ingest; "
            "check that the upstream export finished and wrote the file"
        )
    if df.isEmpty():
        detail = " (only a header)" if fmt == "csv" else ""
        raise IngestionError(
            f"the source {source} has no rows{detail}: nothing to ingest; check that the "
            "upstream export finished and wrote the file"
        )


def invalid_column_names(schema: T.StructType) -> list[str]:
    """Column names (nested fields as ``parent.child``) that Delta cannot store."""
    return [path for path, name in _fields(schema, "") if _FORBIDDEN_RUN.search(name)]


def check_column_names(df: DataFrame) -> None:
    """Refuse column names Delta cannot store, listing all of them with the
    ``rename_columns`` step that fixes the top-level ones (Delta's own error comes only
    at write time, after a long Java stack trace)."""
    bad = invalid_column_names(df.schema)
    if not bad:
        return
    top_level = [name for name in df.columns if _FORBIDDEN_RUN.search(name)]
    listed = ", ".join(repr(name) for name in bad)
    message = (
        f"the data has {len(bad)} column name(s) Delta cannot store (a space or one of "
        f"',;{{}}()=', a tab or a newline): {listed}."
    )
    if top_level:
        mapping = "\n".join(
            f"        {json.dumps(name)}: {json.dumps(suggested_name(name))}" for name in top_level
        )
        message += (
            " Rename them with a transformation step in the data config (placed after any "
            "step that reads them by their old name), e.g.:\n"
            "  transformation_steps:\n"
            "    - type: rename_columns\n"
            f"      mapping:\n{mapping}"
        )
    if len(top_level) < len(bad):
        message += (
            "\nNested field names cannot be renamed by a step: drop or flatten those "
            "struct columns at the source."
        )
    raise InvalidColumnNamesError(message)


def suggested_name(name: str) -> str:
    """``'monthly charges'`` -> ``'monthly_charges'``, ``'plan(type)'`` -> ``'plan_type'``."""
    return _FORBIDDEN_RUN.sub("_", name).strip("_") or "column"


def _fields(schema: T.StructType, prefix: str) -> Iterator[tuple[str, str]]:
    for field in schema.fields:
        path = f"{prefix}{field.name}"
        yield path, field.name
        data_type = field.dataType
        while isinstance(data_type, T.ArrayType | T.MapType):
            data_type = (
                data_type.elementType if isinstance(data_type, T.ArrayType) else data_type.valueType
            )
        if isinstance(data_type, T.StructType):
            yield from _fields(data_type, f"{path}.")
