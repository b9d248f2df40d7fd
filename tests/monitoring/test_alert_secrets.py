"""Secret webhook paths, query tokens and header values reach no log record and no printed
traceback, from our loggers or third-party ones (urllib3 logs the request line at DEBUG,
http.client prints the whole request when its debuglevel is on), on success and failure."""

from __future__ import annotations

import datetime as dt
import http.client
import logging
import socket
import threading
import traceback
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from databricks_mlops.config.alerting import AlertConfig, WebhookChannel
from databricks_mlops.monitoring.alert_channels import AlertMessage, send
from databricks_mlops.monitoring.alerts import AlertDeliveryError, AlertDispatcher, Breach
from databricks_mlops.utils.logging import RedactingFilter, redact, register_secrets

PATH_SECRET = "PATHSECRET-9f3a"
QUERY_SECRET = "QUERYSECRET-77c1"
HEADER_SECRET = "HEADERSECRET-d2e8"
SECRETS = (PATH_SECRET, QUERY_SECRET, HEADER_SECRET)
BREACH = Breach(metric="accuracy", value=0.7, threshold=0.85, direction="below")


@pytest.fixture
def receiver() -> Iterator[str]:
    """``http://127.0.0.1:PORT``: answers 200 under /ok/ and 500 under /fail/."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            status = 200 if self.path.startswith("/ok/") else 500
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"no")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def secret_url(base: str, outcome: str) -> str:
    return f"{base}/{outcome}/services/T0/B0/{PATH_SECRET}?token={QUERY_SECRET}&v=1"


def webhook(url: str) -> dict[str, Any]:
    return {"type": "webhook", "url": url, "headers": {"X-Api-Key": HEADER_SECRET}}


def assert_clean(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} leaked into: {text}"


def every_record_text(caplog: pytest.LogCaptureFixture) -> list[str]:
    texts = [caplog.text]
    for record in caplog.records:
        texts += [record.getMessage(), repr(record.args), str(record.msg)]
        if record.exc_info:
            texts.append("".join(traceback.format_exception(*record.exc_info)))
        texts += [record.exc_text or "", record.stack_info or ""]
    return texts


@pytest.fixture
def debug_everywhere(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> pytest.LogCaptureFixture:
    """Every logger at DEBUG (urllib3's included) and http.client printing its traffic."""
    caplog.set_level(logging.DEBUG)
    for name in ("urllib3", "requests", "databricks_mlops"):
        caplog.set_level(logging.DEBUG, logger=name)
    monkeypatch.setattr(http.client.HTTPConnection, "debuglevel", 1)
    return caplog


def test_no_secret_reaches_any_log_on_success_500_and_refused_connection(
    tmp_path: Path, receiver: str, debug_everywhere: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    caplog = debug_everywhere
    refused = (
        f"http://127.0.0.1:{closed_port()}/ok/services/T0/B0/{PATH_SECRET}?token={QUERY_SECRET}"
    )
    config = AlertConfig.model_validate(
        {
            "notification_channels": [
                webhook(secret_url(receiver, "ok")),
                {"type": "slack", "webhook": secret_url(receiver, "ok")},
                webhook(secret_url(receiver, "fail")),
                webhook(refused),
            ],
            "retry": {"max_attempts": 2, "backoff_seconds": 0, "max_backoff_seconds": 0},
        }
    )
    alerts = AlertDispatcher(
        config, model_name="churn", state_path=tmp_path / "alerts.json", sleep=lambda _: None
    )

    outcome = alerts.notify([BREACH])

    assert [d.ok for d in outcome.sent] == [True, True]
    assert [d.attempts for d in outcome.failed] == [2, 2]
    # urllib3 did log the request line, redacted; the host is still there to debug with.
    request_lines = [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("urllib3") and "POST" in r.getMessage()
    ]
    assert request_lines, [r.getMessage() for r in caplog.records]
    assert any('"POST *** HTTP/1.1" 200' in line for line in request_lines), request_lines
    assert any(
        "127.0.0.1" in r.getMessage() for r in caplog.records if r.name.startswith("urllib3")
    )
    for text in every_record_text(caplog):
        assert_clean(text)
    assert_clean(outcome.model_dump_json())
    printed = capsys.readouterr()
    assert_clean(printed.out + printed.err)


@pytest.mark.parametrize("outcome", ["fail", "refused"])
def test_a_failed_send_raises_an_error_whose_traceback_holds_no_secret(
    receiver: str, outcome: str, debug_everywhere: pytest.LogCaptureFixture
) -> None:
    base = receiver if outcome == "fail" else f"http://127.0.0.1:{closed_port()}"
    channel = WebhookChannel.model_validate(webhook(secret_url(base, "fail")))
    message = AlertMessage(
        model_name="churn", breaches=(BREACH,), run_id=None, report_path=None, summary=None,
        sent_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC), include_details=True,
    )  # fmt: skip

    with pytest.raises(AlertDeliveryError, match=r"http://127\.0\.0\.1:\d+/\*\*\*") as caught:
        send(channel, message)

    # The chained requests/urllib3 exception would carry the URL into any printed traceback.
    printed = "".join(traceback.format_exception(caught.value))
    assert "AlertDeliveryError" in printed
    assert_clean(printed)
    assert caught.value.__context__ is None
    for text in every_record_text(debug_everywhere):
        assert_clean(text)


def test_registered_secrets_are_redacted_from_records_of_any_logger(
    caplog: pytest.LogCaptureFixture,
) -> None:
    register_secrets(["s3cr3t-value-1234", "x"])  # one character is not worth hiding
    caplog.set_level(logging.DEBUG)

    logging.getLogger("some.library").debug("GET %s -> %d", "/a/s3cr3t-value-1234?x=1", 200)
    try:
        raise ValueError("bad token s3cr3t-value-1234")
    except ValueError:
        logging.getLogger("another").exception("failed")

    # Only this test's two loggers: at DEBUG, other threads (Spark's py4j, servers left
    # by earlier tests) may log into the capture too.
    (first, second) = [r for r in caplog.records if r.name in ("some.library", "another")]
    assert first.getMessage() == "GET /a/***?x=1 -> 200"
    assert "s3cr3t-value-1234" not in caplog.text
    # The record itself, not caplog.text: an earlier test's formatter may leave tracebacks
    # out of the text (the JSON log format), while every handler renders exc_text.
    assert second.exc_info is None and second.exc_text is not None
    assert "ValueError: bad token ***" in second.exc_text
    assert redact("x s3cr3t-value-1234 x") == "x *** x"
    # The same redaction as a handler filter, for records built before it was installed.
    record = logging.LogRecord("n", logging.INFO, __file__, 1, "%s", ("s3cr3t-value-1234",), None)
    assert RedactingFilter().filter(record)
    assert record.getMessage() == "***"
