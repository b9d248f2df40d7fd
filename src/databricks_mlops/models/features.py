"""Feature engineering config: the feature table and the transforms that build it."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, field_validator, model_validator

from databricks_mlops.models.base import CaseInsensitiveEnum, StrictModel


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
    source_column: str | None = Field(
        None, description="Input column; defaults to the key the transform is listed under."
    )


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
    true_values: list[str] = Field(default_factory=lambda: ["yes", "true", "1", "y"])


class Binning(_Transform):
    type: Literal["binning"]
    bins: list[float] = Field(min_length=2, description="Increasing bin edges (.inf allowed).")
    labels: list[str] | None = Field(None, description="One label per bin (len(bins) - 1).")

    @model_validator(mode="after")
    def _edges(self) -> Binning:
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
    output_columns: list[str] = Field(default_factory=list, description="One column per category.")
    categories: list[str] | None = Field(
        None, description="Fixed categories; learned when omitted."
    )


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


class DateParts(_Transform):
    type: Literal["date_parts"]
    parts: list[Literal["year", "month", "day", "dayofweek", "hour"]] = Field(
        default_factory=lambda: ["year", "month", "dayofweek"]  # type: ignore[arg-type]
    )


class CustomTransform(_Transform):
    type: Literal["custom"]
    name: str = Field(description="Name a transform was registered under in the project package.")
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
    timestamp_column: str = Field(description="Column for point-in-time lookups.")
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


def _type_value(name: str) -> str:
    member = (
        TransformationType._missing_(name) if not isinstance(name, TransformationType) else name
    )
    return member.value if isinstance(member, TransformationType) else name
