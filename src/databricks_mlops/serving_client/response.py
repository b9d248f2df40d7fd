"""What ``ModelClient.predict`` returns, and what its metrics hook receives."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    import pandas as pd


class ResponseMetadata(BaseModel):
    model_config = ConfigDict(frozen=True)

    endpoint_name: str
    latency_ms: float = Field(description="Wall time of the whole predict call, retries included.")
    rows: int
    request_id: str | None = Field(
        None,
        description="The server's x-request-id (first batch), else the id the client sent.",
    )
    model_version: str | None = Field(
        None,
        description="Served model version: response headers when the server sends them, "
        "else the local endpoint registry's entry.",
    )
    served_model_name: str | None = Field(
        None, description="Databricks' served-model-name header (which served entity answered)."
    )
    batches: int = Field(1, description="HTTP requests the frame was split into.")
    attempts: int = Field(1, description="HTTP requests sent, retries included.")


class PredictionResponse(BaseModel):
    """Predictions as columns, in the order of the input rows.

    ``predictions`` holds what the model answered (the churn model: ``prediction`` and
    ``probability``). When the answer has a ``probability`` column and a ``prediction``
    column but no ``class`` column, ``class`` is added as an alias of ``prediction`` (the
    predicted class), which is what ``response.predictions["class"]`` reads."""

    model_config = ConfigDict(frozen=True)

    predictions: dict[str, list[Any]]
    metadata: ResponseMetadata

    def to_pandas(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self.predictions)


@dataclass(frozen=True)
class RequestMetrics:
    """One HTTP exchange (one batch, after its retries) as the metrics hook sees it.

    ``status`` is the last HTTP status, ``None`` when no answer came (connection error);
    ``latency_ms`` covers every attempt and wait of this batch."""

    endpoint_name: str
    url: str
    rows: int
    status: int | None
    latency_ms: float
    attempts: int
    error: str | None = None
