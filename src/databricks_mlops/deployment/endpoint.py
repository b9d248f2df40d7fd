"""What a deployment returns, whichever backend served it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

EndpointState = Literal["READY", "NOT_READY", "UPDATING", "FAILED", "STOPPED"]


class ServedVersion(BaseModel):
    model_config = ConfigDict(frozen=True)

    model_name: str
    version: str
    traffic_percent: int = Field(ge=0, le=100)


class Endpoint(BaseModel):
    """A serving endpoint: Model Serving on Databricks, the MLflow scoring server locally."""

    model_config = ConfigDict(frozen=True)

    name: str
    url: str = Field(description="Where to send requests (the invocations base URL).")
    state: EndpointState
    backend: Literal["databricks", "local"]
    served: list[ServedVersion] = Field(default_factory=list)

    @property
    def main_served(self) -> ServedVersion | None:
        """The served version answering most requests (all of them once a rollout completed);
        None when nothing is served."""
        return max(self.served, key=lambda served: served.traffic_percent, default=None)

    @property
    def served_versions(self) -> list[str]:
        return [served.version for served in self.served]

    @property
    def traffic(self) -> dict[str, int]:
        """Version -> percent of requests it answers."""
        return {served.version: served.traffic_percent for served in self.served}
