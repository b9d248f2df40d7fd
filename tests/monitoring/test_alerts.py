"""Alerts against real receivers on 127.0.0.1: an aiosmtpd SMTP server (STARTTLS with a
certificate made here, AUTH) and a stdlib HTTP server standing in for Slack and a webhook."""

from __future__ import annotations

import base64
import datetime as dt
import email
import email.policy
import ipaddress
import json
import logging
import random
import smtplib
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from databricks_mlops.config.alerting import AlertConfig
from databricks_mlops.monitoring.alerts import (
    AlertDispatcher,
    AlertOutcome,
    Breach,
    backoff_delay,
)
from databricks_mlops.runtime.environment import detect_environment

MODEL = "churn_model"
SMTP_USER = "alerts@example.com"
SMTP_PASSWORD = "pw-Sup3rSecret"
SLACK_PATH = "/services/T000/B000/SLACKSECRET"
HOOK_PATH = "/hooks/HOOKSECRET"
HOOK_TOKEN = "tok-HEADERSECRET"
SECRETS = (SMTP_PASSWORD, "SLACKSECRET", "HOOKSECRET", "HEADERSECRET")
T0 = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)

DRIFT = Breach(
    metric="drift:tenure",
    feature="tenure",
    value=0.3125,
    threshold=0.1,
    direction="above",
    details={"method": "ks_test", "p_value": 0.0004},
)
ACCURACY = Breach(metric="accuracy", value=0.7125, threshold=0.85, direction="below")


# -- receivers -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class HttpReceiver:
    port: int
    requests: list[Received] = field(default_factory=list)
    # Per path, the statuses to answer in order (then 200): a scripted flaky receiver.
    script: dict[str, list[tuple[int, dict[str, str]]]] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def bodies(self, path: str) -> list[Any]:
        return [r.body for r in self.requests if r.path == path]


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    lock = threading.Lock()
    state = HttpReceiver(port=0)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                state.requests.append(Received(self.path, dict(self.headers), json.loads(raw)))
                planned = state.script.get(self.path) or []
                status, headers = planned.pop(0) if planned else (200, {})
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            reply = b"ok" if status == 200 else b"server_error"
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@dataclass
class SmtpReceiver:
    port: int
    cert: Path | None
    messages: list[dict[str, Any]] = field(default_factory=list)

    def only(self) -> dict[str, Any]:
        assert len(self.messages) == 1, self.messages
        return self.messages[0]


class StoringHandler:
    def __init__(self, box: SmtpReceiver) -> None:
        self.box = box

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.box.messages.append(
            {
                "mail_from": envelope.mail_from,
                "rcpt_tos": list(envelope.rcpt_tos),
                "message": email.message_from_bytes(envelope.content, policy=email.policy.default),
                "tls": session.ssl is not None,
                "login": session.auth_data,
            }
        )
        return "250 Message accepted"


def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        SMTP_USER.encode(),
        SMTP_PASSWORD.encode(),
    )
    return AuthResult(success=ok, auth_data=data.login.decode() if ok else None, handled=False)


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (it is its own CA: the client's ca_file)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def start_smtp(box: SmtpReceiver, **kwargs: Any) -> Controller:
    controller = Controller(StoringHandler(box), hostname="127.0.0.1", port=box.port, **kwargs)
    controller.start()
    return controller


@pytest.fixture
def tls_smtp(tls_files: tuple[Path, Path]) -> Iterator[SmtpReceiver]:
    """STARTTLS required, AUTH required and only over TLS: what a submission relay does."""
    cert, key = tls_files
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    box = SmtpReceiver(port=free_port(), cert=cert)
    controller = start_smtp(
        box,
        tls_context=context,
        require_starttls=True,
        authenticator=authenticate,
        auth_required=True,
        auth_require_tls=True,
    )
    yield box
    controller.stop()


@pytest.fixture
def smtps(tls_files: tuple[Path, Path]) -> Iterator[SmtpReceiver]:
    """Implicit TLS from the first byte (port 465 style), AUTH required."""
    cert, key = tls_files
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    box = SmtpReceiver(port=free_port(), cert=cert)
    # aiosmtpd only counts STARTTLS as TLS for AUTH; this connection is TLS throughout.
    controller = start_smtp(
        box,
        ssl_context=context,
        authenticator=authenticate,
        auth_required=True,
        auth_require_tls=False,
    )
    yield box
    controller.stop()


@pytest.fixture
def plain_smtp() -> Iterator[SmtpReceiver]:
    """No TLS, no AUTH: an internal relay."""
    box = SmtpReceiver(port=free_port(), cert=None)
    controller = start_smtp(box)
    yield box
    controller.stop()


# -- helpers ---------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += dt.timedelta(**kwargs)


FAST_RETRY = {"max_attempts": 3, "backoff_seconds": 0.001, "max_backoff_seconds": 0.01}


def tls_email_channel(box: SmtpReceiver, **overrides: Any) -> dict[str, Any]:
    return {
        "type": "email",
        "recipients": ["team@example.com", "oncall@example.com"],
        "smtp_host": "127.0.0.1",
        "smtp_port": box.port,
        "username": SMTP_USER,
        "password": SMTP_PASSWORD,
        "sender": "mlops@example.com",
        "ca_file": str(box.cert),
        "timeout_seconds": 5,
        **overrides,
    }


def plain_email_channel(box: SmtpReceiver, **overrides: Any) -> dict[str, Any]:
    return {
        "type": "email",
        "recipients": ["team@example.com"],
        "smtp_host": "127.0.0.1",
        "smtp_port": box.port,
        "use_starttls": False,
        "timeout_seconds": 5,
        **overrides,
    }


def dispatcher(
    tmp_path: Path,
    channels: list[dict[str, Any]],
    *,
    clock: Clock | None = None,
    sleeps: list[float] | None = None,
    **config: Any,
) -> AlertDispatcher:
    alert_config = AlertConfig.model_validate(
        {"notification_channels": channels, "retry": FAST_RETRY, **config}
    )
    return AlertDispatcher(
        alert_config,
        model_name=MODEL,
        state_path=tmp_path / "state" / "alerts.json",
        clock=clock or Clock(),
        sleep=(sleeps.append if sleeps is not None else lambda _: None),
        rng=random.Random(7),
    )


def assert_no_secrets(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text, f"{secret!r} leaked into: {text}"


def outcome_text(outcome: AlertOutcome) -> str:
    return outcome.model_dump_json()


# -- email -----------------------------------------------------------------------------


def test_email_over_starttls_with_login_carries_the_breach_table(
    tmp_path: Path, tls_smtp: SmtpReceiver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="databricks_mlops")
    alerts = dispatcher(tmp_path, [tls_email_channel(tls_smtp)])

    outcome = alerts.notify(
        [DRIFT, ACCURACY], run_id="run-42", report_path="/Volumes/main/mon/reports/42.html"
    )

    assert outcome.delivered
    assert [(d.channel, d.ok, d.attempts) for d in outcome.sent] == [("email", True, 1)]
    assert (
        outcome.sent[0].target
        == f"team@example.com,oncall@example.com via 127.0.0.1:{tls_smtp.port}"
    )
    got = tls_smtp.only()
    assert got["tls"] is True
    assert got["login"] == SMTP_USER
    assert got["mail_from"] == "mlops@example.com"
    assert got["rcpt_tos"] == ["team@example.com", "oncall@example.com"]
    message: EmailMessage = got["message"]
    assert message["Subject"] == "[databricks-mlops] churn_model: 2 monitoring breaches"
    assert message["To"] == "team@example.com, oncall@example.com"
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert plain is not None
    assert html is not None
    text = plain.get_content()
    assert (
        "drift:tenure (tenure): 0.3125 above threshold 0.1 [method=ks_test, p_value=0.0004]" in text
    )
    assert "accuracy: 0.7125 below threshold 0.85" in text
    assert "run run-42" in text
    assert "report /Volumes/main/mon/reports/42.html" in text
    page = html.get_content()
    assert "<table" in page
    assert "<td>drift:tenure</td><td>tenure</td><td>0.3125</td><td>above</td><td>0.1</td>" in page
    assert "<td>accuracy</td><td></td><td>0.7125</td><td>below</td><td>0.85</td>" in page
    assert_no_secrets(outcome_text(outcome), caplog.text)


def test_smtp_debuglevel_does_not_print_the_login(
    tmp_path: Path,
    tls_smtp: SmtpReceiver,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A process-wide debugging switch: smtplib then prints every command to stderr.
    monkeypatch.setattr(smtplib.SMTP, "debuglevel", 1)

    outcome = dispatcher(tmp_path, [tls_email_channel(tls_smtp)]).notify([DRIFT])

    assert outcome.delivered
    printed = capsys.readouterr().err
    assert "connect:" in printed  # the switch was on (until the channel turned it off)
    assert "AUTH" not in printed
    password = SMTP_PASSWORD.encode()
    for encoded in (password, b"\0" + SMTP_USER.encode() + b"\0" + password):
        assert base64.b64encode(encoded).decode() not in printed
    assert SMTP_PASSWORD not in printed


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_email_over_implicit_tls(tmp_path: Path, smtps: SmtpReceiver) -> None:
    channel = tls_email_channel(smtps, use_starttls=False, use_ssl=True)
    alerts = dispatcher(tmp_path, [channel])

    outcome = alerts.notify([ACCURACY])

    assert [(d.ok, d.attempts) for d in outcome.sent] == [(True, 1)]
    got = smtps.only()
    assert got["login"] == SMTP_USER
    assert got["message"]["Subject"] == "[databricks-mlops] churn_model: 1 monitoring breach"


def test_email_without_details_is_one_line(tmp_path: Path, plain_smtp: SmtpReceiver) -> None:
    alerts = dispatcher(tmp_path, [plain_email_channel(plain_smtp)], include_details=False)

    outcome = alerts.notify([DRIFT, ACCURACY], run_id="run-7")

    assert outcome.delivered
    message: EmailMessage = plain_smtp.only()["message"]
    assert message["Subject"] == "[databricks-mlops] churn_model: 2 monitoring breaches"
    assert not message.is_multipart()  # no HTML table
    body = message.get_content()
    assert body.splitlines()[0] == (
        "Model churn_model breached 2 threshold(s): drift:tenure, accuracy"
    )
    assert "run run-7" in body
    for detail in ("0.3125", "0.7125", "0.85", "p_value", "ks_test"):
        assert detail not in body


def test_starttls_not_offered_fails_at_once_instead_of_sending_in_clear(
    tmp_path: Path, plain_smtp: SmtpReceiver
) -> None:
    channel = plain_email_channel(plain_smtp, use_starttls=True)
    alerts = dispatcher(tmp_path, [channel])

    outcome = alerts.notify([DRIFT])

    assert not outcome.delivered
    (failure,) = outcome.failed
    assert failure.attempts == 1  # a missing STARTTLS does not heal by retrying
    assert failure.error is not None
    assert "STARTTLS extension not supported by server" in failure.error
    assert "use_starttls: false only if the relay is trusted" in failure.error
    assert plain_smtp.messages == []


def test_rejected_login_is_not_retried_and_keeps_the_password_out(
    tmp_path: Path, tls_smtp: SmtpReceiver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="databricks_mlops")
    wrong = "pw-Sup3rSecret-but-wrong"
    alerts = dispatcher(tmp_path, [tls_email_channel(tls_smtp, password=wrong)])

    outcome = alerts.notify([DRIFT])

    (failure,) = outcome.failed
    assert failure.attempts == 1
    assert failure.error is not None
    assert "SMTP login as 'alerts@example.com' rejected" in failure.error
    assert tls_smtp.messages == []
    assert wrong not in outcome_text(outcome)
    assert wrong not in caplog.text


def test_untrusted_certificate_is_refused(tmp_path: Path, tls_smtp: SmtpReceiver) -> None:
    alerts = dispatcher(tmp_path, [tls_email_channel(tls_smtp, ca_file=None)])

    outcome = alerts.notify([DRIFT])

    (failure,) = outcome.failed
    assert failure.error is not None
    assert "TLS with SMTP server" in failure.error
    assert "set ca_file" in failure.error
    assert tls_smtp.messages == []


# -- Slack and webhook -----------------------------------------------------------------


def test_slack_blocks_and_webhook_json_arrive(
    tmp_path: Path, receiver: HttpReceiver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="databricks_mlops")
    channels = [
        {"type": "slack", "webhook": receiver.url(SLACK_PATH)},
        {
            "type": "webhook",
            "url": receiver.url(HOOK_PATH),
            "headers": {"Authorization": f"Bearer {HOOK_TOKEN}", "X-Source": "monitoring"},
        },
    ]
    alerts = dispatcher(tmp_path, channels)

    outcome = alerts.notify([DRIFT, ACCURACY], run_id="run-42", report_path="reports/42.html")

    assert [(d.channel, d.ok, d.attempts) for d in outcome.sent] == [
        ("slack", True, 1),
        ("webhook", True, 1),
    ]
    assert {d.target for d in outcome.sent} == {f"http://127.0.0.1:{receiver.port}/***"}

    (slack,) = receiver.bodies(SLACK_PATH)
    assert slack["text"] == "Model churn_model breached 2 threshold(s): drift:tenure, accuracy"
    blocks = slack["blocks"]
    assert [b["type"] for b in blocks] == ["header", "section", "section", "context"]
    assert blocks[0]["text"] == {"type": "plain_text", "text": "churn_model: 2 monitoring breaches"}
    drift_text = blocks[1]["text"]["text"]
    assert blocks[1]["text"]["type"] == "mrkdwn"
    assert "*drift:tenure* (feature `tenure`)" in drift_text
    assert "value `0.3125` is above threshold `0.1`" in drift_text
    assert "p_value=0.0004" in drift_text
    assert "value `0.7125` is below threshold `0.85`" in blocks[2]["text"]["text"]
    context = blocks[3]["elements"][0]["text"]
    assert "run run-42" in context
    assert "report reports/42.html" in context
    assert "sent at 2025-03-01T12:00:00+00:00" in context

    (hook_request,) = [r for r in receiver.requests if r.path == HOOK_PATH]
    assert hook_request.headers["Authorization"] == f"Bearer {HOOK_TOKEN}"
    assert hook_request.headers["X-Source"] == "monitoring"
    assert hook_request.headers["Content-Type"].startswith("application/json")
    document = hook_request.body
    assert document["model"] == MODEL
    assert document["run_id"] == "run-42"
    assert document["report_path"] == "reports/42.html"
    assert document["sent_at"] == "2025-03-01T12:00:00+00:00"
    assert document["breaches"] == [
        {
            "metric": "drift:tenure",
            "feature": "tenure",
            "direction": "above",
            "value": 0.3125,
            "threshold": 0.1,
            "details": {"method": "ks_test", "p_value": 0.0004},
        },
        {
            "metric": "accuracy",
            "feature": None,
            "direction": "below",
            "value": 0.7125,
            "threshold": 0.85,
            "details": {},
        },
    ]
    assert_no_secrets(outcome_text(outcome), caplog.text)


def test_slack_message_stays_within_the_block_limit() -> None:
    from databricks_mlops.monitoring.alert_channels import AlertMessage, slack_payload

    many = tuple(
        Breach(metric=f"drift:f{i}", feature=f"f{i}", value=1.0, threshold=0.1, direction="above")
        for i in range(60)
    )
    message = AlertMessage(MODEL, many, None, None, None, T0, include_details=True)

    blocks = slack_payload(message)["blocks"]

    assert len(blocks) <= 50  # Slack rejects more
    assert blocks[-2]["text"]["text"] == "...and 15 more"
    assert blocks[0]["text"]["text"] == "churn_model: 60 monitoring breaches"


def test_slack_control_characters_are_escaped_once() -> None:
    from databricks_mlops.monitoring.alert_channels import AlertMessage, slack_payload

    odd = Breach(
        metric="rmse<p90>", value=2.0, threshold=1.0, direction="above", details={"note": "a & b"}
    )
    message = AlertMessage(MODEL, (odd,), None, None, None, T0, include_details=True)

    text = slack_payload(message)["blocks"][1]["text"]["text"]

    assert text.startswith("*rmse&lt;p90&gt;*\n")
    assert text.endswith("note=a &amp; b")


def test_without_details_slack_and_webhook_name_the_breaches_only(
    tmp_path: Path, receiver: HttpReceiver
) -> None:
    channels = [
        {"type": "slack", "webhook": receiver.url(SLACK_PATH)},
        {"type": "webhook", "url": receiver.url(HOOK_PATH)},
    ]
    alerts = dispatcher(tmp_path, channels, include_details=False)

    assert alerts.notify([DRIFT, ACCURACY], summary="churn model drifted").delivered

    (slack,) = receiver.bodies(SLACK_PATH)
    assert [b["type"] for b in slack["blocks"]] == ["header", "section", "context"]
    assert slack["blocks"][1]["text"]["text"] == "churn model drifted"
    (document,) = receiver.bodies(HOOK_PATH)
    assert document["summary"] == "churn model drifted"
    assert document["breaches"] == [
        {"metric": "drift:tenure", "feature": "tenure", "direction": "above"},
        {"metric": "accuracy", "feature": None, "direction": "below"},
    ]
    for detail in ("0.3125", "0.7125", "p_value"):
        assert detail not in json.dumps(slack) + json.dumps(document)


# -- retries ---------------------------------------------------------------------------


def test_500_twice_then_200_is_delivered_on_the_third_attempt(
    tmp_path: Path, receiver: HttpReceiver
) -> None:
    receiver.script[HOOK_PATH] = [(500, {}), (503, {})]
    sleeps: list[float] = []
    alerts = dispatcher(
        tmp_path, [{"type": "webhook", "url": receiver.url(HOOK_PATH)}], sleeps=sleeps
    )

    outcome = alerts.notify([DRIFT])

    assert [(d.ok, d.attempts) for d in outcome.sent] == [(True, 3)]
    assert len(receiver.bodies(HOOK_PATH)) == 3
    assert len(sleeps) == 2
    assert 0.001 <= sleeps[0] <= 0.002 * 1.25  # base, stretched by jitter at most 25%
    assert 0.002 <= sleeps[1] <= 0.002 * 1.25


def test_unreachable_webhook_fails_after_retries_and_other_channels_deliver(
    tmp_path: Path, receiver: HttpReceiver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="databricks_mlops")
    closed = f"http://127.0.0.1:{free_port()}{HOOK_PATH}?token=HOOKSECRET"
    channels = [
        {"type": "webhook", "url": closed, "headers": {"X-Api-Key": HOOK_TOKEN}},
        {"type": "slack", "webhook": receiver.url(SLACK_PATH)},
    ]
    sleeps: list[float] = []
    alerts = dispatcher(tmp_path, channels, sleeps=sleeps)

    outcome = alerts.notify([DRIFT])  # must not raise

    assert outcome.delivered
    assert [d.channel for d in outcome.sent] == ["slack"]
    (failure,) = outcome.failed
    assert (failure.channel, failure.ok, failure.attempts) == ("webhook", False, 3)
    assert failure.target.endswith("/***")
    assert failure.error is not None
    assert failure.error.startswith("Failed to reach http://127.0.0.1:")
    assert len(sleeps) == 2
    warnings = [
        r
        for r in caplog.records
        if r.name == "databricks_mlops.monitoring.alerts" and r.levelno == logging.WARNING
    ]
    assert any("failed after 3 attempt(s)" in r.getMessage() for r in warnings)
    assert_no_secrets(outcome_text(outcome), caplog.text)


def test_client_error_is_not_retried(tmp_path: Path, receiver: HttpReceiver) -> None:
    receiver.script[SLACK_PATH] = [(404, {})]
    alerts = dispatcher(tmp_path, [{"type": "slack", "webhook": receiver.url(SLACK_PATH)}])

    outcome = alerts.notify([DRIFT])

    (failure,) = outcome.failed
    assert failure.attempts == 1
    assert failure.error is not None
    assert "answered HTTP 404" in failure.error
    assert "not retried" in failure.error


def test_429_retry_after_is_honoured_up_to_the_cap(tmp_path: Path, receiver: HttpReceiver) -> None:
    receiver.script[SLACK_PATH] = [(429, {"Retry-After": "30"})]
    sleeps: list[float] = []
    alerts = dispatcher(
        tmp_path, [{"type": "slack", "webhook": receiver.url(SLACK_PATH)}], sleeps=sleeps
    )

    outcome = alerts.notify([DRIFT])

    assert [(d.ok, d.attempts) for d in outcome.sent] == [(True, 2)]
    assert sleeps == [0.01]  # asked for 30 s, capped at max_backoff_seconds


def test_backoff_doubles_with_bounded_jitter_and_is_capped() -> None:
    retry = AlertConfig(
        retry={"backoff_seconds": 1, "max_backoff_seconds": 10, "jitter": 0.5}
    ).retry
    rng = random.Random(1)
    delays = [backoff_delay(retry, attempt, rng) for attempt in range(1, 7)]
    for attempt, delay in enumerate(delays[:4], start=1):
        base = 2 ** (attempt - 1)
        assert base <= delay <= min(10, base * 1.5)
    assert delays[4:] == [10, 10]


# -- aggregation window ----------------------------------------------------------------


def test_same_breach_inside_the_window_sends_nothing_and_after_it_sends_again(
    tmp_path: Path, receiver: HttpReceiver
) -> None:
    clock = Clock()
    alerts = dispatcher(
        tmp_path,
        [{"type": "webhook", "url": receiver.url(HOOK_PATH)}],
        clock=clock,
        aggregation_window="1h",
    )
    assert alerts.notify([DRIFT]).delivered
    state = json.loads((tmp_path / "state" / "alerts.json").read_text())
    assert state["last_sent"] == {MODEL: {DRIFT.key: "2025-03-01T12:00:00+00:00"}}

    clock.advance(minutes=59)
    worse = DRIFT.model_copy(update={"value": 0.5})
    quiet = alerts.notify([worse])
    assert quiet == AlertOutcome(suppressed=[worse])
    assert not quiet.delivered
    assert len(receiver.bodies(HOOK_PATH)) == 1

    # A new breach inside the window goes out alone; the repeated one stays quiet.
    mixed = alerts.notify([worse, ACCURACY])
    assert mixed.suppressed == [worse]
    assert [b["metric"] for b in receiver.bodies(HOOK_PATH)[-1]["breaches"]] == ["accuracy"]

    clock.advance(minutes=2)  # 61 minutes after the first alert
    again = alerts.notify([worse])
    assert again.delivered
    assert again.suppressed == []
    assert len(receiver.bodies(HOOK_PATH)) == 3


def test_a_total_outage_is_not_remembered_so_the_next_run_alerts(
    tmp_path: Path, receiver: HttpReceiver
) -> None:
    receiver.script[HOOK_PATH] = [(502, {})] * 3
    alerts = dispatcher(tmp_path, [{"type": "webhook", "url": receiver.url(HOOK_PATH)}])

    first = alerts.notify([DRIFT])
    assert not first.delivered
    assert first.failed[0].attempts == 3
    assert not (tmp_path / "state" / "alerts.json").exists()

    second = alerts.notify([DRIFT])
    assert second.delivered
    assert len(receiver.bodies(HOOK_PATH)) == 4


def test_nothing_happens_without_breaches(tmp_path: Path, receiver: HttpReceiver) -> None:
    alerts = dispatcher(tmp_path, [{"type": "webhook", "url": receiver.url(HOOK_PATH)}])

    assert alerts.notify([]) == AlertOutcome()
    assert receiver.requests == []
    assert not (tmp_path / "state").exists()


def test_a_key_repeated_in_one_call_is_sent_once(tmp_path: Path, receiver: HttpReceiver) -> None:
    alerts = dispatcher(tmp_path, [{"type": "webhook", "url": receiver.url(HOOK_PATH)}])
    twin = DRIFT.model_copy(update={"value": 0.9})

    outcome = alerts.notify([DRIFT, twin])

    assert outcome.suppressed == [twin]
    (document,) = receiver.bodies(HOOK_PATH)
    assert [b["value"] for b in document["breaches"]] == [0.3125]


def test_state_file_keeps_other_models_and_survives_corruption(
    tmp_path: Path, receiver: HttpReceiver, caplog: pytest.LogCaptureFixture
) -> None:
    state_path = tmp_path / "state" / "alerts.json"
    state_path.parent.mkdir()
    state_path.write_text("{not json", encoding="utf-8")
    channels = [{"type": "webhook", "url": receiver.url(HOOK_PATH)}]
    alerts = dispatcher(tmp_path, channels)

    assert alerts.notify([DRIFT]).delivered  # unreadable state: alert rather than stay silent
    assert "Ignoring unreadable alert state" in caplog.text

    other = AlertDispatcher(
        alerts.config, model_name="fraud_model", state_path=state_path, clock=Clock()
    )
    assert other.notify([DRIFT]).delivered  # same key, different model: not suppressed
    state = json.loads(state_path.read_text())
    assert set(state["last_sent"]) == {MODEL, "fraud_model"}
    assert list(state_path.parent.iterdir()) == [state_path]  # no temp files left behind


def test_breach_key_ignores_the_value() -> None:
    assert DRIFT.key == "drift:tenure|tenure|above"
    assert DRIFT.model_copy(update={"value": 9.0}).key == DRIFT.key
    assert ACCURACY.key == "accuracy||below"


# -- a loopback receiver is reachable from this machine, never from Databricks compute --


@pytest.fixture
def on_databricks(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("MLOPS_RUNTIME", "databricks")
    detect_environment.cache_clear()
    yield
    monkeypatch.delenv("MLOPS_RUNTIME")
    detect_environment.cache_clear()


def test_on_databricks_a_loopback_webhook_fails_at_once_and_says_why(
    tmp_path: Path, receiver: HttpReceiver, on_databricks: None
) -> None:
    alerts = dispatcher(tmp_path, [{"type": "webhook", "url": receiver.url(HOOK_PATH)}])
    outcome = alerts.notify([DRIFT], run_id="r1")
    assert not outcome.delivered
    [failed] = outcome.failed
    assert failed.attempts == 1  # not retried: a retry cannot make it reachable
    assert "loopback address" in (failed.error or "")
    assert "alert_webhook_url" in (failed.error or "")
    assert receiver.requests == []  # refused before any connection


def test_locally_the_same_webhook_is_delivered(tmp_path: Path, receiver: HttpReceiver) -> None:
    detect_environment.cache_clear()
    assert detect_environment().is_local
    alerts = dispatcher(tmp_path, [{"type": "webhook", "url": receiver.url(HOOK_PATH)}])
    assert alerts.notify([DRIFT], run_id="r1").delivered
    assert len(receiver.requests) == 1
