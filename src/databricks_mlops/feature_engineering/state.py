"""The fitted state: plain, versioned data that carries a fit from Spark to serving."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError

from databricks_mlops.config.features import TransformSpec
from databricks_mlops.feature_engineering.errors import FeatureEngineeringError

FORMAT_VERSION: Literal[1] = 1

ColumnKind = Literal[
    "integer", "float", "decimal", "string", "boolean", "timestamp", "date", "null", "other"
]

_STATE_CONFIG = ConfigDict(extra="forbid", frozen=True, ser_json_inf_nan="constants")


class TransformState(BaseModel):
    """What one configured transform learned, and the columns it writes."""

    model_config = _STATE_CONFIG

    source_column: str
    output_columns: list[str] = Field(min_length=1)
    statistics: dict[str, float] = Field(
        default_factory=dict,
        description="fill_value / minimum / maximum / mean / std, as the transform needs.",
    )
    categories: list[str] | None = Field(None, description="One-hot categories, output order.")
    custom_state: dict[str, JsonValue] = Field(default_factory=dict)


class FittedFeatureState(BaseModel):
    """Everything ``transform`` needs, JSON round-trippable (``model_dump_json``)."""

    model_config = _STATE_CONFIG

    format_version: Literal[1] = FORMAT_VERSION
    feature_table_name: str
    primary_keys: list[str] = Field(min_length=1)
    timestamp_column: str | None = None
    derived: dict[str, str] = Field(default_factory=dict)
    transforms: dict[str, TransformSpec] = Field(default_factory=dict)
    fitted: dict[str, TransformState] = Field(
        default_factory=dict, description="Per transform (config key): statistics and outputs."
    )
    input_columns: dict[str, ColumnKind] = Field(
        default_factory=dict, description="Columns and kinds seen at fit, derived included."
    )
    row_count: int | None = Field(None, description="Rows the fit aggregated over.")
    median_accuracy: int = Field(description="percentile_approx accuracy used for medians.")

    @property
    def output_columns(self) -> list[str]:
        """Every column the transforms write, in config order."""
        return [name for state in self.fitted.values() for name in state.output_columns]

    @classmethod
    def from_json(cls, text: str | bytes) -> FittedFeatureState:
        """Load a saved state; a state from another format version is a clear error."""
        try:
            return cls.model_validate_json(text)
        except ValidationError as exc:
            if any(error["loc"] == ("format_version",) for error in exc.errors()):
                raise FeatureEngineeringError(
                    f"fitted state has an unsupported format_version (this version reads "
                    f"{FORMAT_VERSION}); re-fit the transformer: {exc}"
                ) from exc
            raise FeatureEngineeringError(f"Failed to load fitted feature state: {exc}") from exc
