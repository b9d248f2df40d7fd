from __future__ import annotations

from pathlib import Path

import pytest

from databricks_mlops.errors import RuntimeSetupError
from databricks_mlops.runtime.locations import (
    TableName,
    local_path,
    looks_like_table_name,
    table_location,
)


def test_three_level_name_maps_to_a_local_database() -> None:
    name = TableName.parse("main.churn_dev.customers")
    assert (name.local_database, name.local_name) == (
        "main__churn_dev",
        "main__churn_dev.customers",
    )
    assert table_location(name, Path("/h")) == Path("/h/warehouse/main/churn_dev/customers")


def test_short_names_take_the_default_catalog_and_schema() -> None:
    assert TableName.parse("churn.customers").full_name == "main.churn.customers"
    assert TableName.parse("customers").full_name == "main.default.customers"
    assert TableName.parse("`my cat`.s.t").catalog == "my cat"


def test_not_a_table_name() -> None:
    with pytest.raises(RuntimeSetupError, match="is not a table name"):
        TableName.parse("a/b.c")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("main.s.t", True),
        ("s.t", True),
        ("dbfs:/a.b", False),
        ("/tmp/x.csv", False),
        ("data.csv", True),
        ("t", False),
    ],
)
def test_looks_like_table_name(text: str, expected: bool) -> None:
    assert looks_like_table_name(text) is expected


def test_databricks_paths_map_under_the_home() -> None:
    home = Path("/h")
    assert local_path("dbfs:/mnt/raw/x", home) == "/h/dbfs/mnt/raw/x"
    assert local_path("/Volumes/main/s/raw/f.csv", home) == "/h/volumes/main/s/raw/f.csv"
    assert local_path("/dbfs/tmp/y", home) == "/h/dbfs/tmp/y"
    assert local_path("/tmp/plain", home) == "/tmp/plain"
