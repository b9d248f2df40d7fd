"""Alerting config: where breaches are sent and how often."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from databricks_mlops.models.base import EnvSecret, StrictModel

_WINDOW = re.compile(r"^(\d+)\s*([smhd])$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class EmailChannel(StrictModel):
    type: Literal["email"]
    recipients: list[str] = Field(min_length=1)


class SlackChannel(StrictModel):
    type: Literal["slack"]
    webhook: EnvSecret


class WebhookChannel(StrictModel):
    type: Literal["webhook"]
    url: EnvSecret
    headers: dict[str, EnvSecret] = Field(default_factory=dict)


NotificationChannel = Annotated[
    EmailChannel | SlackChannel | WebhookChannel, Field(discriminator="type")
]


class AlertConfig(StrictModel):
    notification_channels: list[NotificationChannel] = Field(default_factory=list)
    include_details: bool = True
    aggregation_window: str = Field(
        "1h", description="No repeat alert for the same breach inside this window (30m, 1h, 1d)."
    )
    thresholds: dict[str, float] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _shorthand_channels(cls, data: Any) -> Any:
        # The seed's Python form: `email_recipients=[...]`, `slack_webhook="https://..."`.
        if not isinstance(data, dict) or not ({"email_recipients", "slack_webhook"} & set(data)):
            return data
        data = dict(data)
        channels = list(data.get("notification_channels") or [])
        recipients = data.pop("email_recipients", None)
        if recipients:
            channels.append({"type": "email", "recipients": recipients})
        webhook = data.pop("slack_webhook", None)
        if webhook:
            channels.append({"type": "slack", "webhook": webhook})
        return {**data, "notification_channels": channels}

    @model_validator(mode="after")
    def _window(self) -> AlertConfig:
        if not _WINDOW.match(self.aggregation_window):
            raise ValueError(
                f"aggregation_window {self.aggregation_window!r}: write a number and s, m, h or d"
            )
        return self

    @property
    def aggregation_seconds(self) -> int:
        match = _WINDOW.match(self.aggregation_window)
        assert match is not None  # checked by the validator
        return int(match.group(1)) * _SECONDS[match.group(2)]
