"""Where Databricks names land on this machine (pure functions, no Spark).

Unity Catalog ``catalog.schema.table`` -> database ``catalog__schema`` (Spark's local catalog
has two levels) whose files live under ``<home>/warehouse/catalog/schema/table``.
``dbfs:/x`` -> ``<home>/dbfs/x``; ``/Volumes/c/s/v/x`` -> ``<home>/volumes/c/s/v/x``.
The mapping is deterministic, so a later run (or a later job) finds what an earlier one wrote.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from databricks_mlops.errors import RuntimeSetupError

_IDENTIFIER = r"(?:`[^`]+`|[A-Za-z_][A-Za-z0-9_]*)"
_TABLE_NAME = re.compile(rf"^{_IDENTIFIER}(?:\.{_IDENTIFIER}){{0,2}}$")
DEFAULT_CATALOG = os.environ.get("MLOPS_DEFAULT_CATALOG", "main")
DEFAULT_SCHEMA = "default"


@dataclass(frozen=True)
class TableName:
    catalog: str
    schema: str
    table: str

    @classmethod
    def parse(cls, name: str) -> TableName:
        if not _TABLE_NAME.match(name):
            raise RuntimeSetupError(f"{name!r} is not a table name (expected catalog.schema.table)")
        parts = [part.strip("`") for part in re.findall(_IDENTIFIER, name)]
        while len(parts) < 3:
            parts.insert(0, DEFAULT_SCHEMA if len(parts) == 1 else DEFAULT_CATALOG)
        return cls(*parts)

    @property
    def full_name(self) -> str:
        return f"{self.catalog}.{self.schema}.{self.table}"

    @property
    def local_database(self) -> str:
        return f"{self.catalog}__{self.schema}"

    @property
    def local_name(self) -> str:
        return f"{self.local_database}.{self.table}"


def looks_like_table_name(text: str) -> bool:
    """A two- or three-part dotted name with no path separators (``main.churn.customers``)."""
    return (
        "/" not in text
        and ":" not in text
        and text.count(".") >= 1
        and bool(_TABLE_NAME.match(text))
    )


def local_path(path: str, home: Path) -> str:
    """Map a Databricks path to this machine; other paths are left as they are."""
    if path.startswith("dbfs:/"):
        return str(home / "dbfs" / path.removeprefix("dbfs:/").lstrip("/"))
    if path.startswith("/Volumes/"):
        return str(home / "volumes" / path.removeprefix("/Volumes/"))
    if path.startswith("/dbfs/"):
        return str(home / "dbfs" / path.removeprefix("/dbfs/"))
    return path


def volume_path_of(path: str) -> str:
    """``dbfs:/Volumes/c/s/v/x`` and ``/dbfs/Volumes/...`` are the volume path ``/Volumes/...``."""
    for prefix in ("dbfs:/Volumes/", "/dbfs/Volumes/"):
        if path.startswith(prefix):
            return "/Volumes/" + path.removeprefix(prefix)
    return path


def volume_root_of(path: str) -> str | None:
    """``/Volumes/<catalog>/<schema>/<volume>`` of a path inside a Unity Catalog volume."""
    parts = volume_path_of(path).split("/")
    if len(parts) >= 5 and parts[1] == "Volumes" and all(parts[2:5]):
        return "/".join(parts[:5])
    return None


def is_dbfs_root(path: str) -> bool:
    """A path on the DBFS root (``dbfs:/x``, ``/dbfs/x``), not in a Unity Catalog volume."""
    path = volume_path_of(path)
    return path.startswith(("dbfs:/", "/dbfs/"))


def table_location(table: TableName, home: Path) -> Path:
    return home / "warehouse" / table.catalog / table.schema / table.table


# ASCII letters, digits and ``_.-`` only, replaced one character for one (no collapsing):
# these names land on local disks, DBFS and UC Volumes alike, where anything else (``/``,
# spaces, ``:``, non-ASCII letters that macOS and Linux normalise differently) is a hazard;
# dots stay so ``main.churn.model`` is still readable, and replacing per character keeps the
# names monitoring already wrote (alert state, reports) where they are.
_UNSAFE_IN_SEGMENT = re.compile(r"[^A-Za-z0-9_.-]")


def path_segment(name: str) -> str:
    """``name`` as exactly one file or directory name: never empty, never ``.``/``..``."""
    segment = _UNSAFE_IN_SEGMENT.sub("_", name)
    if segment.strip("."):
        return segment
    return "_" * max(len(segment), 1)  # "", "." and ".." would name this or the parent dir
