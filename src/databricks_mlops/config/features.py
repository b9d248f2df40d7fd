"""Feature engineering config: the feature table and the transforms that build it.

Each transform is keyed by its output column; ``source_column`` defaults to that key,
so ``tenure: numeric_fillna`` fills ``tenure`` in place. What each transform does to
NULLs, unseen categories and out-of-range values is stated in
``databricks_mlops.feature_engineering`` (both backends implement the same rules).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, ConfigDict, Field, field_validator, model_validator

from databricks_mlops.config.base import CaseInsensitiveEnum, StrictModel
from databricks_mlops.errors import did_you_mean


class TransformationType(CaseInsensitiveEnum):
    NUMERIC_FILLNA = "numeric_fillna"
    BOOLEAN_ENCODE = "boolean_encode"
    BINNING = "binning"
    ONE_HOT_ENCODE = "one_hot_encode"
    SCALING = "scaling"
    LOG1P = "log1p"
    CLIP = "clip"
    DATE_PARTS = "date_parts"
    CUSTOM = "custom"


class _Transform(StrictModel):
    # Bin edges may be +-inf; the default JSON serialiser would write them as null and
    # a fitted state (which embeds these specs) would not load back.
    model_config = ConfigDict(ser_json_inf_nan="constants")

    source_column: str | None = Field(
        None, description="Input column; defaults to the key the transform is listed under."
    )

    def source_for(self, output: str) -> str:
        """The input column this transform reads when listed under ``output``."""
        return self.source_column or output


class NumericFillna(_Transform):
    type: Literal["numeric_fillna"]
    strategy: Literal["mean", "median", "constant"] = "mean"
    value: float | None = Field(None, description="The fill value for strategy: constant.")

    @model_validator(mode="after")
    def _value_for_constant(self) -> NumericFillna:
        if self.strategy == "constant" and self.value is None:
            raise ValueError("strategy 'constant' needs a value")
        return self


class BooleanEncode(_Transform):
    type: Literal["boolean_encode"]
    true_values: list[str] = Field(
        default_factory=lambda: ["yes", "true", "1", "y"],
        min_length=1,
        description="Strings encoded as 1 (compared case-insensitively); other non-null values are 0.",
    )

    @field_validator("true_values")
    @classmethod
    def _lower(cls, values: list[str]) -> list[str]:
        # Lower-cased once here so both backends compare against the same strings.
        return list(dict.fromkeys(value.lower() for value in values))


class Binning(_Transform):
    type: Literal["binning"]
    bins: list[float] = Field(min_length=2, description="Increasing bin edges (.inf allowed).")
    labels: list[str] | None = Field(None, description="One label per bin (len(bins) - 1).")

    @model_validator(mode="after")
    def _edges(self) -> Binning:
        if any(math.isnan(edge) for edge in self.bins):
            raise ValueError("bin edges must be numbers, not NaN")
        if any(b >= a for a, b in zip(self.bins[1:], self.bins, strict=False)):
            raise ValueError("bins must be strictly increasing")
        if self.labels is not None and len(self.labels) != len(self.bins) - 1:
            raise ValueError(
                f"{len(self.bins)} bin edges make {len(self.bins) - 1} bins, "
                f"but {len(self.labels)} labels were given"
            )
        return self


class OneHotEncode(_Transform):
    type: Literal["one_hot_encode"]
    output_columns: list[str] = Field(
        default_factory=list,
        description="One column per category, in category order; `<key>_<category>` when omitted.",
    )
    categories: list[str] | None = Field(
        None, description="Fixed categories, in output order; learned (sorted) when omitted."
    )

    @model_validator(mode="after")
    def _one_column_per_category(self) -> OneHotEncode:
        _no_duplicates("output_columns", self.output_columns)
        if self.categories is not None:
            _no_duplicates("categories", self.categories)
            if not self.categories:
                raise ValueError("categories must not be empty (omit it to learn them)")
            if self.output_columns and len(self.output_columns) != len(self.categories):
                raise ValueError(
                    f"{len(self.categories)} categories need {len(self.categories)} "
                    f"output_columns, but {len(self.output_columns)} were given"
                )
        return self


class Scaling(_Transform):
    type: Literal["scaling"]
    method: Literal["min_max", "standard"] = "standard"


class Log1p(_Transform):
    type: Literal["log1p"]


class Clip(_Transform):
    type: Literal["clip"]
    lower: float | None = None
    upper: float | None = None

    @model_validator(mode="after")
    def _bounds(self) -> Clip:
        if self.lower is None and self.upper is None:
            raise ValueError("clip needs lower, upper or both")
        if self.lower is not None and self.upper is not None and self.lower > self.upper:
            raise ValueError(f"clip lower {self.lower} is above upper {self.upper}")
        return self


DatePart = Literal["year", "month", "day", "dayofweek", "hour"]


def _default_date_parts() -> list[DatePart]:
    return ["year", "month", "dayofweek"]


class DateParts(_Transform):
    type: Literal["date_parts"]
    parts: list[DatePart] = Field(
        default_factory=_default_date_parts,
        min_length=1,
        description="Each part becomes `<key>_<part>`; dayofweek is ISO (Monday=1 .. Sunday=7).",
    )

    @field_validator("parts")
    @classmethod
    def _unique(cls, parts: list[DatePart]) -> list[DatePart]:
        _no_duplicates("parts", parts)
        return parts


class CustomTransform(_Transform):
    type: Literal["custom"]
    name: str = Field(
        min_length=1,
        description="Name given to @register_transform or to a `databricks_mlops.transforms` entry point.",
    )
    options: dict[str, Any] = Field(default_factory=dict)


TransformSpec = Annotated[
    NumericFillna
    | BooleanEncode
    | Binning
    | OneHotEncode
    | Scaling
    | Log1p
    | Clip
    | DateParts
    | CustomTransform,
    Field(discriminator="type"),
]


class FeatureConfig(StrictModel):
    feature_table_name: str = Field(
        validation_alias=AliasChoices("feature_table_name", "name"),
        description="Name of the output feature table.",
    )
    source_table: str | None = Field(
        None, description="Table the features are built from (required by the feature job)."
    )
    primary_keys: list[str] = Field(min_length=1)
    features: list[str] = Field(default_factory=list, description="Columns kept in the table.")
    timestamp_column: str | None = Field(
        None,
        description=(
            "Event time of a row: part of the feature table's key and what point-in-time "
            "joins (label_table + feature_table in the training config) match on. Leave it "
            "out when features are not looked up as of a time (one row per key)."
        ),
    )
    partition_columns: list[str] = Field(default_factory=list)
    description: str = ""
    tags: dict[str, str] = Field(default_factory=dict)
    online_store_enabled: bool = False
    offline_store_path: str | None = None
    feature_transformations: dict[str, TransformSpec] = Field(
        default_factory=dict,
        validation_alias=AliasChoices("feature_transformations", "transforms"),
        description="output column -> transform; a bare type name uses its defaults.",
    )
    derived: dict[str, str] = Field(
        default_factory=dict,
        description=(
            "output column -> expression over the input columns (`total_charges / tenure`); "
            "division by zero gives NULL. Transforms may read derived columns."
        ),
    )

    @property
    def table_keys(self) -> list[str]:
        """What identifies a feature-table row: the primary keys, then the event time if any."""
        return [*self.primary_keys, *([self.timestamp_column] if self.timestamp_column else [])]

    @field_validator("feature_transformations", mode="before")
    @classmethod
    def _bare_types(cls, transforms: Any) -> Any:
        # `tenure_months: numeric_fillna` is shorthand for `{type: numeric_fillna}`.
        if not isinstance(transforms, dict):
            return transforms
        normalised: dict[Any, Any] = {}
        for column, spec in transforms.items():
            if isinstance(spec, str):
                spec = {"type": spec}
            if isinstance(spec, dict) and isinstance(spec.get("type"), str):
                spec = {**spec, "type": _type_value(spec["type"])}
            normalised[column] = spec
        return normalised

    @field_validator("derived")
    @classmethod
    def _non_empty_expressions(cls, derived: dict[str, str]) -> dict[str, str]:
        for name, expression in derived.items():
            if not expression.strip():
                raise ValueError(f"derived column '{name}' has an empty expression")
        return derived


def _no_duplicates(field: str, values: Sequence[str]) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{field} repeats {value!r}")
        seen.add(value)


def _type_value(name: str) -> str:
    member = (
        TransformationType._missing_(name) if not isinstance(name, TransformationType) else name
    )
    if not isinstance(member, TransformationType):
        known = [t.value for t in TransformationType]
        raise ValueError(
            f"unknown transform type '{name}'{did_you_mean(name.lower(), known)}; "
            f"expected one of: {', '.join(known)}"
        )
    return member.value
