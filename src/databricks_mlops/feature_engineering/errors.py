"""The error feature engineering raises on purpose (bad config for this data, bad data)."""

from __future__ import annotations

from databricks_mlops.errors import MLOpsError


class FeatureEngineeringError(MLOpsError):
    """A transform cannot run on this input: missing or mistyped column, constant column,
    unknown custom transform, or a fitted state that does not match the data."""
