"""Typed client for deployed models: Databricks Model Serving or local scoring servers.

``ModelClient(config).predict(endpoint_name, features)`` -> ``PredictionResponse``.
Importing this package is cheap: requests, pandas and databricks-sdk load on first use.
"""

from __future__ import annotations

from databricks_mlops.serving_client.client import MetricsHook, ModelClient
from databricks_mlops.serving_client.errors import (
    ServingAuthError,
    ServingError,
    ServingInputError,
    ServingRequestError,
    ServingResponseError,
    ServingRetriesExhaustedError,
)
from databricks_mlops.serving_client.response import (
    PredictionResponse,
    RequestMetrics,
    ResponseMetadata,
)

__all__ = [
    "MetricsHook",
    "ModelClient",
    "PredictionResponse",
    "RequestMetrics",
    "ResponseMetadata",
    "ServingAuthError",
    "ServingError",
    "ServingInputError",
    "ServingRequestError",
    "ServingResponseError",
    "ServingRetriesExhaustedError",
]
