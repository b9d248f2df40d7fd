"""Alerting config: where breaches are sent, how often, and how hard we try.

Credentials (SMTP password, webhook URLs, header values) are ``EnvSecret``: write
``${SMTP_PASSWORD}`` and let the job's environment supply it (on Databricks, a job
environment variable set from ``{{secrets/scope/key}}``). They never print.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, model_validator

from databricks_mlops.config.base import EnvSecret, EnvStr, StrictModel

_WINDOW = re.compile(r"^(\d+)\s*([smhd])$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _check_http_url(field: str, value: SecretStr) -> None:
    # The message names the field and the scheme only: the URL itself is the secret.
    scheme = urlsplit(value.get_secret_value()).scheme
    if scheme not in ("http", "https"):
        raise ValueError(f"{field} must be an http:// or https:// URL (got scheme {scheme!r})")


class AlertRetryConfig(StrictModel):
    """Delivery retries: exponential backoff with jitter, capped.

    Retried: connection errors and timeouts, HTTP 429 and 5xx, SMTP 4xx replies.
    Anything else (a 404 webhook, a rejected SMTP login) fails at once: retrying
    cannot fix it."""

    max_attempts: int = Field(3, ge=1, le=10, description="Tries per channel, first one included.")
    backoff_seconds: float = Field(1.0, ge=0, description="Wait before the 2nd try; doubles after.")
    max_backoff_seconds: float = Field(30.0, ge=0, description="Cap on a single wait.")
    jitter: float = Field(
        0.25, ge=0, le=1, description="Each wait is stretched by up to this fraction at random."
    )


class EmailChannel(StrictModel):
    type: Literal["email"]
    recipients: list[str] = Field(min_length=1)
    smtp_host: EnvStr = "localhost"
    smtp_port: int = Field(587, ge=1, le=65535)
    use_starttls: bool = Field(True, description="Upgrade to TLS before login (port 587).")
    use_ssl: bool = Field(False, description="Implicit TLS from the first byte (SMTPS, port 465).")
    username: EnvStr | None = None
    password: EnvSecret | None = None
    sender: EnvStr | None = Field(
        None, description="From address; default databricks-mlops@<this host>."
    )
    ca_file: str | None = Field(
        None, description="CA bundle to verify the server's certificate (private relays)."
    )
    timeout_seconds: float = Field(30.0, gt=0)

    @model_validator(mode="after")
    def _consistent(self) -> EmailChannel:
        if self.use_ssl and self.use_starttls:
            raise ValueError("use_ssl and use_starttls exclude each other: pick one")
        if (self.username is None) != (self.password is None):
            raise ValueError("username and password go together: set both or neither")
        bad = [r for r in self.recipients if "@" not in r]
        if bad:
            raise ValueError(f"recipients {bad} are not email addresses")
        return self


class SlackChannel(StrictModel):
    type: Literal["slack"]
    webhook: EnvSecret
    timeout_seconds: float = Field(10.0, gt=0)

    @model_validator(mode="after")
    def _url(self) -> SlackChannel:
        _check_http_url("webhook", self.webhook)
        return self


class WebhookChannel(StrictModel):
    type: Literal["webhook"]
    url: EnvSecret
    headers: dict[str, EnvSecret] = Field(default_factory=dict)
    timeout_seconds: float = Field(10.0, gt=0)

    @model_validator(mode="after")
    def _url(self) -> WebhookChannel:
        _check_http_url("url", self.url)
        return self


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
    retry: AlertRetryConfig = Field(default_factory=AlertRetryConfig)

    @model_validator(mode="before")
    @classmethod
    def _shorthand_channels(cls, data: Any) -> Any:
        # The documented Python form: `email_recipients=[...]`, `slack_webhook="https://..."`.
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
