"""Data ingestion config: where data comes from, how it is cleaned, where it lands."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from databricks_mlops.config.base import StrictModel
from databricks_mlops.config.validation import ValidationRule, ValidationSettings
from databricks_mlops.errors import did_you_mean

_SIMPLE_TYPES = (
    "string", "int", "integer", "bigint", "long", "smallint", "short", "tinyint", "byte",
    "double", "float", "real", "boolean", "bool", "date", "timestamp", "timestamp_ntz", "binary",
)  # fmt: skip
_DECIMAL = re.compile(r"^decimal\(\s*\d+\s*(,\s*\d+\s*)?\)$")


class DropColumns(StrictModel):
    type: Literal["drop_columns"]
    columns: list[str] = Field(
        min_length=1, description="Columns to remove (missing ones are ignored)."
    )


class RenameColumns(StrictModel):
    type: Literal["rename_columns"]
    mapping: dict[str, str] = Field(min_length=1, description="old name -> new name.")


class CastColumns(StrictModel):
    """Values that do not parse become NULL (``try_cast``) so validation can report them."""

    type: Literal["cast_columns"]
    mapping: dict[str, str] = Field(min_length=1, description="column -> Spark SQL type.")

    @field_validator("mapping")
    @classmethod
    def _known_types(cls, mapping: dict[str, str]) -> dict[str, str]:
        for column, spark_type in mapping.items():
            lowered = spark_type.lower()
            if lowered not in _SIMPLE_TYPES and not _DECIMAL.match(lowered):
                hint = did_you_mean(lowered, _SIMPLE_TYPES)
                raise ValueError(f"column {column!r}: unknown type {spark_type!r}{hint}")
        return mapping


class FilterRows(StrictModel):
    type: Literal["filter_rows"]
    condition: str = Field(
        min_length=1, description="Spark SQL predicate; rows where it is TRUE stay."
    )


class Deduplicate(StrictModel):
    type: Literal["deduplicate"]
    keys: list[str] = Field(min_length=1, description="Columns that identify a record.")
    order_by: str | None = Field(None, description="Column deciding which duplicate is kept.")
    keep: Literal["last", "first"] = Field(
        "last", description="Keep the row with the highest / lowest order_by."
    )


class AddIngestionTimestamp(StrictModel):
    type: Literal["add_ingestion_timestamp"]
    column: str = Field("_ingested_at", description="Name of the timestamp column added.")


TransformStep = Annotated[
    DropColumns | RenameColumns | CastColumns | FilterRows | Deduplicate | AddIngestionTimestamp,
    Field(discriminator="type"),
]


class DataConfig(StrictModel):
    source_path: str = Field(description="Source files (path, dbfs:/, /Volumes/) or a table name.")
    destination_path: str = Field(
        description="Where the Delta table is written: a path, or `catalog.schema.table`."
    )
    table_name: str | None = Field(
        None, description="Register the output under this table name (`catalog.schema.table`)."
    )
    validation_rules: list[ValidationRule] = Field(default_factory=list)
    validation: ValidationSettings = Field(default_factory=ValidationSettings)
    format: Literal["delta", "parquet", "csv", "json", "table"] = Field(
        "delta", description="Format of the source; `table` reads source_path as a table name."
    )
    read_options: dict[str, str] = Field(
        default_factory=dict,
        description="Spark reader options (csv defaults: header, inferSchema).",
    )
    transformation_steps: list[TransformStep] = Field(default_factory=list)
    partitioning_columns: list[str] = Field(default_factory=list)
    z_order_by: list[str] = Field(default_factory=list)
    write_mode: Literal["overwrite", "merge"] = Field(
        "overwrite",
        description="overwrite replaces the table in one Delta commit; merge upserts on merge_keys.",
    )
    merge_keys: list[str] = Field(default_factory=list, description="Keys for write_mode: merge.")
    environment_vars: dict[str, str] = Field(
        default_factory=dict, description="Variables available to ${...} in this file."
    )

    @field_validator("validation_rules", mode="before")
    @classmethod
    def _rules_from_strings(cls, rules: Any) -> Any:
        # The documented YAML writes bare expressions (`"column_count > 5"`): each is an ERROR rule.
        if not isinstance(rules, list):
            return rules
        return [
            {"name": f"rule_{index + 1}", "condition": rule} if isinstance(rule, str) else rule
            for index, rule in enumerate(rules)
        ]

    @model_validator(mode="after")
    def _consistent(self) -> DataConfig:
        if self.write_mode == "merge" and not self.merge_keys:
            raise ValueError("write_mode 'merge' needs merge_keys (the columns identifying a row)")
        clash = sorted(set(self.z_order_by) & set(self.partitioning_columns))
        if clash:
            raise ValueError(f"z_order_by cannot include partitioning columns: {clash}")
        names = [rule.name for rule in self.validation_rules]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"validation rule names must be unique, repeated: {duplicates}")
        return self
