"""AlertConfig: the seed's shorthand, the YAML form, SMTP settings, retries, validation."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from databricks_mlops.config.alerting import (
    AlertConfig,
    AlertRetryConfig,
    EmailChannel,
    SlackChannel,
    WebhookChannel,
)
from databricks_mlops.config.monitoring import MonitoringConfig
from databricks_mlops.errors import ConfigError


def test_seed_shorthand_builds_email_and_slack_channels_with_smtp_defaults() -> None:
    config = AlertConfig(  # type: ignore[call-arg]
        email_recipients=["data-science@example.com"],
        slack_webhook="https://hooks.slack.com/services/XXX/YYY/ZZZ",
        thresholds={"accuracy": 0.85, "drift_score": 0.10},
    )
    email, slack = config.notification_channels
    assert isinstance(email, EmailChannel)
    assert email.recipients == ["data-science@example.com"]
    assert (email.smtp_host, email.smtp_port, email.use_starttls) == ("localhost", 587, True)
    assert email.username is None
    assert email.password is None
    assert isinstance(slack, SlackChannel)
    assert slack.webhook.get_secret_value().endswith("/ZZZ")
    assert "ZZZ" not in repr(config)
    assert config.thresholds == {"accuracy": 0.85, "drift_score": 0.10}
    assert config.retry == AlertRetryConfig()
    assert config.include_details is True
    assert config.aggregation_seconds == 3600


def test_yaml_form_with_smtp_credentials_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMTP_PASSWORD", "s3cret-pw")
    monkeypatch.setenv("HOOK_TOKEN", "tok-123")
    monkeypatch.setenv("SLACK_WEBHOOK_URL", "https://hooks.slack.com/services/T/B/SECRET")
    path = tmp_path / "monitoring.yml"
    path.write_text(
        """\
metrics: [accuracy]
alerting:
  notification_channels:
    - type: email
      recipients: [team@example.com, oncall@example.com]
      smtp_host: smtp.example.com
      username: alerts@example.com
      password: ${SMTP_PASSWORD}
      sender: alerts@example.com
      timeout_seconds: 5
    - type: slack
      webhook: ${SLACK_WEBHOOK_URL}
    - type: webhook
      url: https://ops.example.com/hooks/mlops
      headers:
        Authorization: Bearer ${HOOK_TOKEN}
  include_details: false
  aggregation_window: 30m
  retry:
    max_attempts: 5
    backoff_seconds: 0.5
""",
        encoding="utf-8",
    )
    config = MonitoringConfig.from_yaml(path)
    alerting = config.alerting
    assert alerting is not None
    email, slack, hook = alerting.notification_channels
    assert isinstance(email, EmailChannel)
    assert isinstance(slack, SlackChannel)
    assert isinstance(hook, WebhookChannel)
    assert email.smtp_host == "smtp.example.com"
    assert email.smtp_port == 587
    assert email.password is not None
    assert email.password.get_secret_value() == "s3cret-pw"
    assert email.timeout_seconds == 5
    assert hook.headers["Authorization"].get_secret_value() == "Bearer tok-123"
    assert alerting.include_details is False
    assert alerting.aggregation_seconds == 1800
    assert (alerting.retry.max_attempts, alerting.retry.backoff_seconds) == (5, 0.5)
    dumped = f"{config!r} {config.model_dump()}"
    for secret in ("s3cret-pw", "tok-123", "SECRET"):
        assert secret not in dumped


@pytest.mark.parametrize(
    ("window", "seconds"), [("45s", 45), ("30m", 1800), ("1h", 3600), ("2d", 172800), ("0s", 0)]
)
def test_aggregation_window_units(window: str, seconds: int) -> None:
    assert AlertConfig(aggregation_window=window).aggregation_seconds == seconds


def test_bad_aggregation_window_says_how_to_write_it() -> None:
    with pytest.raises(ValidationError, match=r"write a number and s, m, h or d"):
        AlertConfig(aggregation_window="an hour")


def test_username_without_password_is_rejected() -> None:
    with pytest.raises(ValidationError, match=r"username and password go together"):
        EmailChannel(type="email", recipients=["a@example.com"], username="me")


def test_starttls_and_implicit_ssl_exclude_each_other() -> None:
    with pytest.raises(ValidationError, match=r"use_ssl and use_starttls exclude each other"):
        EmailChannel(type="email", recipients=["a@example.com"], use_ssl=True)
    channel = EmailChannel(
        type="email", recipients=["a@example.com"], use_ssl=True, use_starttls=False, smtp_port=465
    )
    assert channel.use_ssl is True


def test_recipient_must_be_an_address() -> None:
    with pytest.raises(ValidationError, match=r"recipients \['team'\] are not email addresses"):
        EmailChannel(type="email", recipients=["team"])


def test_webhook_url_scheme_is_checked_without_printing_the_url() -> None:
    with pytest.raises(ValidationError, match=r"url must be an http:// or https:// URL") as info:
        WebhookChannel(type="webhook", url="ftp://example.com/very-secret-path")
    assert "very-secret-path" not in str(info.value)
    with pytest.raises(ValidationError, match=r"url must be an http:// or https:// URL") as info:
        AlertConfig.model_validate(
            {"notification_channels": [{"type": "webhook", "url": "ftp://x/very-secret-path"}]}
        )
    assert "very-secret-path" not in str(info.value)
    with pytest.raises(ValidationError, match=r"webhook must be an http:// or https:// URL"):
        SlackChannel(type="slack", webhook="hooks.slack.com/services/T/B/X")


def test_retry_bounds() -> None:
    with pytest.raises(ValidationError, match=r"max_attempts\n.*greater than or equal to 1"):
        AlertRetryConfig(max_attempts=0)
    with pytest.raises(ValidationError, match=r"jitter\n.*less than or equal to 1"):
        AlertRetryConfig(jitter=2)


def test_unknown_channel_field_is_an_error_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "monitoring.yml"
    path.write_text(
        "metrics: [a]\nalerting:\n  notification_channels:\n"
        "    - type: email\n      recipients: [a@example.com]\n      smtp_hots: mail\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"monitoring\.yml:6: .*smtp_hots"):
        MonitoringConfig.from_yaml(path)


def test_a_python_built_config_error_never_echoes_a_password() -> None:
    # The outermost model decides whether pydantic prints input values: MonitoringConfig,
    # not only the channel, must hide them.
    with pytest.raises(ValidationError, match=r"username and password go together") as info:
        MonitoringConfig.model_validate(
            {
                "metrics": ["accuracy"],
                "alerting": {
                    "notification_channels": [
                        {
                            "type": "email",
                            "recipients": ["a@example.com"],
                            "password": "hunter2-smtp-password",
                        }
                    ]
                },
            }
        )
    assert "hunter2-smtp-password" not in str(info.value)
    # Still in the structured errors, where models.loading words YAML errors without it.
    assert "hunter2" in repr(info.value.errors())
