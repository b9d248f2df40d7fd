"""Monitoring alerts: threshold breaches to email, Slack and webhooks, at most once per window.

``AlertDispatcher.notify`` takes the breaches of one monitoring run and:

1. drops the ones already alerted inside ``aggregation_window`` (a small JSON state file,
   on Databricks a Volume path; plain file I/O works there);
2. sends one message with the rest to every configured channel, each retried with
   capped exponential backoff on transient failures;
3. records the breaches as alerted only if at least one channel took the message, so a
   total outage alerts again on the next run.

A failed delivery is logged (without secrets) and returned, never raised: an alert that
cannot be sent must not fail the monitoring job that found the problem. The channels'
secrets are registered for redaction from every log record of the process as soon as
the dispatcher is built (``utils.logging.register_secrets``).
"""

from __future__ import annotations

import json
import logging
import os
import random
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from databricks_mlops.monitoring.errors import AlertDeliveryError as AlertDeliveryError

if TYPE_CHECKING:
    from databricks_mlops.config.alerting import (
        AlertConfig,
        AlertRetryConfig,
        NotificationChannel,
    )
    from databricks_mlops.monitoring.alert_channels import AlertMessage

logger = logging.getLogger("databricks_mlops.monitoring.alerts")

_STATE_VERSION = 1


def now_utc() -> datetime:
    return datetime.now(UTC)


class Breach(BaseModel):
    """One metric on the wrong side of its threshold."""

    model_config = ConfigDict(frozen=True)

    metric: str = Field(description='"drift:tenure", "accuracy", "prediction_drift", ...')
    value: float
    threshold: float
    direction: Literal["above", "below"] = Field(description="Which side of the threshold.")
    feature: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)

    @property
    def key(self) -> str:
        """Identity inside the aggregation window: the same metric, feature and side is the
        same problem, whatever its value this time."""
        return f"{self.metric}|{self.feature or ''}|{self.direction}"


class Delivery(BaseModel):
    """What happened to one channel: ``target`` is redacted (no credentials, webhook paths
    masked) so the record can be logged and stored."""

    model_config = ConfigDict(frozen=True)

    channel: str
    target: str
    ok: bool
    attempts: int
    error: str | None = None


class AlertOutcome(BaseModel):
    model_config = ConfigDict(frozen=True)

    sent: list[Delivery] = Field(default_factory=list)
    failed: list[Delivery] = Field(default_factory=list)
    suppressed: list[Breach] = Field(default_factory=list)

    @property
    def delivered(self) -> bool:
        """At least one channel took the message."""
        return bool(self.sent)


def backoff_delay(retry: AlertRetryConfig, attempt: int, rng: random.Random) -> float:
    """Wait after failed try number ``attempt`` (1-based): base * 2^(attempt-1), stretched by
    up to ``jitter`` so parallel jobs do not retry in lockstep, never above the cap."""
    base = retry.backoff_seconds * 2 ** (attempt - 1)
    return float(min(retry.max_backoff_seconds, base * (1 + retry.jitter * rng.random())))


class AlertDispatcher:
    """Send breaches to the channels of ``config``, once per ``aggregation_window``."""

    def __init__(
        self,
        config: AlertConfig,
        *,
        model_name: str,
        state_path: Path,
        clock: Callable[[], datetime] = now_utc,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        self.model_name = model_name
        self.state_path = Path(state_path)
        self._clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()
        from databricks_mlops.monitoring.alert_channels import register_channel_secrets

        # Before anything is sent or logged: libraries log request lines at DEBUG.
        for channel in config.notification_channels:
            register_channel_secrets(channel)

    def notify(
        self,
        breaches: Sequence[Breach],
        *,
        run_id: str | None = None,
        report_path: str | None = None,
        summary: str | None = None,
    ) -> AlertOutcome:
        if not breaches:
            return AlertOutcome()
        now = self._now()
        fresh, suppressed = self._split(breaches, now)
        if suppressed:
            logger.info(
                "Suppressed %d alert(s) for %s already sent within %s: %s",
                len(suppressed),
                self.model_name,
                self.config.aggregation_window,
                ", ".join(b.key for b in suppressed),
            )
        if not fresh:
            return AlertOutcome(suppressed=suppressed)
        if not self.config.notification_channels:
            logger.warning(
                "%d breach(es) for %s but no notification_channels are configured: nothing sent",
                len(fresh),
                self.model_name,
            )
            return AlertOutcome(suppressed=suppressed)

        from databricks_mlops.monitoring.alert_channels import AlertMessage

        message = AlertMessage(
            model_name=self.model_name,
            breaches=tuple(fresh),
            run_id=run_id,
            report_path=report_path,
            summary=summary,
            sent_at=now,
            include_details=self.config.include_details,
        )
        deliveries = [
            self._deliver(channel, message) for channel in self.config.notification_channels
        ]
        sent = [d for d in deliveries if d.ok]
        failed = [d for d in deliveries if not d.ok]
        if sent:
            self._remember(fresh, now)
        else:
            logger.warning(
                "No channel delivered the alert for %s (%d breach(es)); it will be sent again "
                "on the next run",
                self.model_name,
                len(fresh),
            )
        return AlertOutcome(sent=sent, failed=failed, suppressed=suppressed)

    # -- delivery ---------------------------------------------------------------------

    def _deliver(self, channel: NotificationChannel, message: AlertMessage) -> Delivery:
        from databricks_mlops.monitoring.alert_channels import channel_target, send

        retry = self.config.retry
        target = channel_target(channel)
        attempts = 0
        while True:
            attempts += 1
            try:
                send(channel, message)
            except AlertDeliveryError as exc:
                error = exc
            else:
                logger.info(
                    "Alert for %s delivered to %s %s (attempt %d)",
                    self.model_name,
                    channel.type,
                    target,
                    attempts,
                )
                return Delivery(channel=channel.type, target=target, ok=True, attempts=attempts)
            if not error.retryable or attempts >= retry.max_attempts:
                break
            delay = backoff_delay(retry, attempts, self._rng)
            if error.retry_after is not None:
                # The receiver said how long to wait (429 Retry-After); still capped.
                delay = min(retry.max_backoff_seconds, max(delay, error.retry_after))
            logger.debug("Retrying %s %s in %.2fs: %s", channel.type, target, delay, error)
            self._sleep(delay)
        logger.warning(
            "Alert delivery for %s to %s %s failed after %d attempt(s): %s",
            self.model_name,
            channel.type,
            target,
            attempts,
            error,
        )
        return Delivery(
            channel=channel.type, target=target, ok=False, attempts=attempts, error=str(error)
        )

    # -- aggregation window -----------------------------------------------------------

    def _now(self) -> datetime:
        now = self._clock()
        # A naive clock is taken as UTC so state written by any clock compares.
        return now if now.tzinfo is not None else now.replace(tzinfo=UTC)

    def _split(
        self, breaches: Sequence[Breach], now: datetime
    ) -> tuple[list[Breach], list[Breach]]:
        window = timedelta(seconds=self.config.aggregation_seconds)
        last_sent = self._read_state().get(self.model_name, {})
        fresh: list[Breach] = []
        suppressed: list[Breach] = []
        seen: set[str] = set()
        for breach in breaches:
            when = _parse_time(last_sent.get(breach.key))
            # A repeat of a key within this same call is the same alert, sent once.
            if breach.key in seen or (when is not None and now - when < window):
                suppressed.append(breach)
            else:
                fresh.append(breach)
                seen.add(breach.key)
        return fresh, suppressed

    def _read_state(self) -> dict[str, dict[str, str]]:
        if not self.state_path.exists():
            return {}
        try:
            data = json.loads(self.state_path.read_text(encoding="utf-8"))
            models = data["last_sent"]
            if not isinstance(models, dict):
                raise TypeError("last_sent is not an object")
            return {str(m): {str(k): str(v) for k, v in keys.items()} for m, keys in models.items()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            # Alerting twice beats never alerting: an unreadable state is treated as empty.
            logger.warning(
                "Ignoring unreadable alert state %s (%s); breaches will be alerted again",
                self.state_path,
                exc,
            )
            return {}

    def _remember(self, breaches: Sequence[Breach], now: datetime) -> None:
        # Re-read just before writing so another model's entries written meanwhile survive.
        state = self._read_state()
        window = timedelta(seconds=self.config.aggregation_seconds)
        keys = {
            key: stamp
            for key, stamp in state.get(self.model_name, {}).items()
            if (when := _parse_time(stamp)) is not None and now - when < window
        }
        keys.update({b.key: now.isoformat() for b in breaches})
        state[self.model_name] = keys
        try:
            _write_atomic(self.state_path, {"version": _STATE_VERSION, "last_sent": state})
        except OSError as exc:
            logger.warning(
                "Could not write alert state %s (%s): the same breaches may alert again "
                "next run; check the path is writable",
                self.state_path,
                exc,
            )


def _parse_time(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _write_atomic(path: Path, data: dict[str, Any]) -> None:
    """Temp file in the same directory, then rename: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, indent=2, sort_keys=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError:
        Path(tmp).unlink(missing_ok=True)
        raise
