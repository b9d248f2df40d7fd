"""Rendering and one delivery attempt per channel: SMTP email, Slack webhook, JSON webhook.

Each ``send`` either returns (delivered) or raises ``AlertDeliveryError`` whose message has
been scrubbed of every secret the channel holds (webhook URL and path, header values,
SMTP password), with no chained exception (a requests error names the URL). The same
secrets are registered with ``utils.logging.register_secrets``, so no log record of the
process carries them either: urllib3 logs each request line at DEBUG. Retrying is the
dispatcher's job, not this module's.
"""

from __future__ import annotations

import html
import json
import logging
import socket
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import urlsplit

from databricks_mlops.config.alerting import EmailChannel, SlackChannel, WebhookChannel
from databricks_mlops.monitoring.alerts import AlertDeliveryError
from databricks_mlops.utils.logging import register_secrets

if TYPE_CHECKING:
    from databricks_mlops.config.alerting import NotificationChannel
    from databricks_mlops.monitoring.alerts import Breach

logger = logging.getLogger("databricks_mlops.monitoring.alerts")

# Slack rejects a message with more than 50 blocks or a section longer than 3000 characters.
_SLACK_MAX_BREACH_SECTIONS = 45
_SLACK_TEXT_LIMIT = 2900
_ERROR_TEXT_LIMIT = 300


@dataclass(frozen=True)
class AlertMessage:
    """Everything a channel renders: one message per ``notify`` call."""

    model_name: str
    breaches: tuple[Breach, ...]
    run_id: str | None
    report_path: str | None
    summary: str | None
    sent_at: datetime
    include_details: bool

    @property
    def title(self) -> str:
        n = len(self.breaches)
        return f"{self.model_name}: {n} monitoring breach{'es' if n != 1 else ''}"

    @property
    def one_line(self) -> str:
        if self.summary:
            return self.summary
        metrics = ", ".join(dict.fromkeys(b.metric for b in self.breaches))
        return f"Model {self.model_name} breached {len(self.breaches)} threshold(s): {metrics}"

    def context_lines(self) -> list[str]:
        lines = [f"sent at {self.sent_at.isoformat(timespec='seconds')}"]
        if self.run_id:
            lines.insert(0, f"run {self.run_id}")
        if self.report_path:
            lines.insert(len(lines) - 1, f"report {self.report_path}")
        return lines


def fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def describe(breach: Breach) -> str:
    """``accuracy 0.71 below threshold 0.85``."""
    subject = breach.metric if breach.feature is None else f"{breach.metric} ({breach.feature})"
    return f"{subject}: {fmt(breach.value)} {breach.direction} threshold {fmt(breach.threshold)}"


def details_text(breach: Breach) -> str:
    return ", ".join(f"{k}={fmt(v)}" for k, v in breach.details.items())


# -- redaction -----------------------------------------------------------------------


def mask_url(url: str) -> str:
    """``https://hooks.slack.com/***``: scheme and host only; the path and query of a
    webhook URL are its credential, and user:password@ is dropped."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    port = f":{parts.port}" if parts.port else ""
    hidden = "/***" if (parts.path not in ("", "/") or parts.query) else ""
    return f"{parts.scheme}://{host}{port}{hidden}"


def channel_target(channel: NotificationChannel) -> str:
    if isinstance(channel, EmailChannel):
        return f"{','.join(channel.recipients)} via {channel.smtp_host}:{channel.smtp_port}"
    if isinstance(channel, SlackChannel):
        return mask_url(channel.webhook.get_secret_value())
    return mask_url(channel.url.get_secret_value())


def _url_secrets(url: str) -> list[str]:
    parts = urlsplit(url)
    values = [url, parts.path, parts.query, parts.password or ""]
    if parts.query:
        values.append(f"{parts.path}?{parts.query}")
    return values


def _secrets(channel: NotificationChannel) -> list[str]:
    values: list[str] = []
    if isinstance(channel, EmailChannel):
        if channel.password is not None:
            values.append(channel.password.get_secret_value())
    else:
        url = (
            channel.webhook if isinstance(channel, SlackChannel) else channel.url
        ).get_secret_value()
        values += _url_secrets(url)
        # requests re-quotes the URL (spaces, non-ASCII) before urllib3 logs it: the
        # request line in a log is this form, not necessarily the configured one.
        import requests

        try:
            prepared = requests.Request("POST", url).prepare().url or ""
        except requests.RequestException:
            prepared = ""  # a URL requests cannot prepare is never sent, so never logged
        values += _url_secrets(prepared) if prepared else []
        if isinstance(channel, WebhookChannel):
            values += [v.get_secret_value() for v in channel.headers.values()]
    # Longest first so a URL is replaced whole before its path; "/" alone is no secret.
    return sorted({v for v in values if len(v) > 1}, key=len, reverse=True)


def register_channel_secrets(channel: NotificationChannel) -> None:
    """Keep the channel's secrets out of every log record of the process."""
    register_secrets(_secrets(channel))


def scrub(text: str, channel: NotificationChannel) -> str:
    for secret in _secrets(channel):
        text = text.replace(secret, "***")
    if len(text) > _ERROR_TEXT_LIMIT:
        text = text[:_ERROR_TEXT_LIMIT] + "..."
    return text


def _fail(channel: NotificationChannel, message: str, *, retryable: bool, **kw: Any) -> NoReturn:
    raise AlertDeliveryError(scrub(message, channel), retryable=retryable, **kw)


# -- dispatch ------------------------------------------------------------------------


def send(channel: NotificationChannel, message: AlertMessage) -> None:
    """One attempt; raises ``AlertDeliveryError`` (scrubbed) on failure, nothing else."""
    register_channel_secrets(channel)
    try:
        _send(channel, message)
    except AlertDeliveryError as exc:
        error = exc
    except Exception as exc:
        # A bug or an odd library error must still not fail the monitoring job; it is
        # reported as a failed delivery (scrubbed, with its type) and not retried.
        error = AlertDeliveryError(
            scrub(
                f"Unexpected error delivering to {channel_target(channel)}: "
                f"{type(exc).__name__}: {exc}",
                channel,
            ),
            retryable=False,
        )
    else:
        return
    # Not `raise ... from exc`, on purpose: the original (a requests or smtplib error)
    # names the webhook URL, and any printed traceback would show it. Its text is in the
    # scrubbed message already. Raised outside the handler, so nothing is chained.
    error.__cause__ = error.__context__ = None
    raise error


_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0"})


def _refuse_loopback_off_this_machine(channel: NotificationChannel) -> None:
    """A loopback receiver is this machine's: fine locally (a receiver beside the run), but
    on Databricks compute it is the compute itself, where nothing listens. Say so instead of
    retrying a connection refused that looks like an outage of the receiver."""
    from databricks_mlops.runtime.environment import detect_environment

    if detect_environment().is_local:
        return
    if isinstance(channel, EmailChannel):
        host = channel.smtp_host
    else:
        url = channel.webhook if isinstance(channel, SlackChannel) else channel.url
        host = urlsplit(url.get_secret_value()).hostname or ""
    if host.lower() in _LOOPBACK_HOSTS or host.startswith("127."):
        _fail(
            channel,
            f"{channel_target(channel)} is a loopback address: on Databricks compute nothing "
            "listens there; set the target's receiver (the bundle variable alert_webhook_url, "
            "or the channel in the monitoring config)",
            retryable=False,
        )


def _send(channel: NotificationChannel, message: AlertMessage) -> None:
    _refuse_loopback_off_this_machine(channel)
    if isinstance(channel, EmailChannel):
        send_email(channel, message)
    elif isinstance(channel, SlackChannel):
        _post_json(channel, channel.webhook.get_secret_value(), slack_payload(message), {})
    else:
        headers = {k: v.get_secret_value() for k, v in channel.headers.items()}
        _post_json(channel, channel.url.get_secret_value(), webhook_payload(message), headers)


# -- HTTP (Slack, generic webhook) ---------------------------------------------------


def slack_payload(message: AlertMessage) -> dict[str, Any]:
    """Block Kit: a header, a section per breach (value vs threshold), a context line."""

    def mrkdwn(text: str) -> str:
        # Slack's three control characters; everything else is literal.
        escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return escaped[:_SLACK_TEXT_LIMIT]

    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": message.title[:150]}}
    ]
    if message.include_details:
        shown = message.breaches[:_SLACK_MAX_BREACH_SECTIONS]
        for breach in shown:
            subject = f"*{breach.metric}*"
            if breach.feature is not None:
                subject += f" (feature `{breach.feature}`)"
            text = (
                f"{subject}\nvalue `{fmt(breach.value)}` is {breach.direction} "
                f"threshold `{fmt(breach.threshold)}`"
            )
            if breach.details:
                text += f"\n{details_text(breach)}"
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn(text)}})
        hidden = len(message.breaches) - len(shown)
        if hidden:
            blocks.append(
                {"type": "section", "text": {"type": "mrkdwn", "text": f"...and {hidden} more"}}
            )
    else:
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn(message.one_line)}}
        )
    blocks.append(
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": mrkdwn(" | ".join(message.context_lines()))}],
        }
    )
    # `text` is what notifications and clients without blocks show.
    return {"text": message.one_line, "blocks": blocks}


def webhook_payload(message: AlertMessage) -> dict[str, Any]:
    """A stable JSON document; without ``include_details`` each breach is only named."""
    breaches: list[dict[str, Any]] = []
    for breach in message.breaches:
        item: dict[str, Any] = {
            "metric": breach.metric,
            "feature": breach.feature,
            "direction": breach.direction,
        }
        if message.include_details:
            item |= {"value": breach.value, "threshold": breach.threshold}
            item["details"] = breach.details
        breaches.append(item)
    return {
        "source": "databricks-mlops",
        "model": message.model_name,
        "summary": message.one_line,
        "breaches": breaches,
        "run_id": message.run_id,
        "report_path": message.report_path,
        "sent_at": message.sent_at.isoformat(),
    }


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff


def _quiet_session() -> Any:
    """A ``requests.Session`` whose connections never print their traffic.

    ``http.client.HTTPConnection.debuglevel = 1`` (a common debugging switch) makes every
    connection print the request line and headers to stdout, secret path, query and
    header values included, outside logging and so outside its redaction. The
    connection classes here pin ``debuglevel`` to 0 for our requests only."""
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3 import connection, connectionpool

    # Named like urllib3's classes: their names show in the error messages we pass on.
    class HTTPConnection(connection.HTTPConnection):
        debuglevel = 0

    class HTTPSConnection(connection.HTTPSConnection):
        debuglevel = 0

    class HTTPConnectionPool(connectionpool.HTTPConnectionPool):
        ConnectionCls = HTTPConnection

    class HTTPSConnectionPool(connectionpool.HTTPSConnectionPool):
        ConnectionCls = HTTPSConnection

    class QuietAdapter(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = {
                "http": HTTPConnectionPool,
                "https": HTTPSConnectionPool,
            }

    session = requests.Session()
    adapter = QuietAdapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def _post_json(
    channel: SlackChannel | WebhookChannel,
    url: str,
    payload: dict[str, Any],
    headers: dict[str, str],
) -> None:
    import requests

    target = mask_url(url)
    body = json.dumps(payload, default=str).encode("utf-8")
    try:
        with _quiet_session() as session:
            response = session.post(
                url,
                data=body,
                headers={"Content-Type": "application/json; charset=utf-8", **headers},
                timeout=channel.timeout_seconds,
                # A redirected POST becomes a GET in requests: better to fail and say so.
                allow_redirects=False,
            )
    except (requests.ConnectionError, requests.Timeout) as exc:
        _fail(channel, f"Failed to reach {target}: {exc}", retryable=True)
    except requests.RequestException as exc:
        _fail(channel, f"Failed to post to {target}: {exc}", retryable=False)
    status = response.status_code
    if 200 <= status < 300:
        return
    reply = response.text[:200].strip()
    retryable = status == 429 or status >= 500
    hint = "" if retryable else " (check the webhook URL and its headers; not retried)"
    _fail(
        channel,
        f"{target} answered HTTP {status}: {reply or response.reason}{hint}",
        retryable=retryable,
        retry_after=_retry_after(response.headers.get("Retry-After")),
    )


# -- email ---------------------------------------------------------------------------


def email_bodies(message: AlertMessage) -> tuple[str, str | None]:
    """Plain text and HTML (with the breaches table) or, without details, one line."""
    context = "\n".join(message.context_lines())
    if not message.include_details:
        return f"{message.one_line}\n\n{context}\n", None
    text_rows = [
        f"- {describe(b)}" + (f" [{details_text(b)}]" if b.details else "")
        for b in message.breaches
    ]
    intro = (
        message.summary
        or f"Monitoring found {len(message.breaches)} breach(es) for model {message.model_name}."
    )
    text = f"{intro}\n\n" + "\n".join(text_rows) + f"\n\n{context}\n"

    def cell(value: Any) -> str:
        return f"<td>{html.escape(fmt(value))}</td>"

    rows = "".join(
        "<tr>"
        + cell(b.metric)
        + cell(b.feature or "")
        + cell(b.value)
        + cell(b.direction)
        + cell(b.threshold)
        + cell(details_text(b))
        + "</tr>"
        for b in message.breaches
    )
    context_html = "<br>".join(html.escape(line) for line in message.context_lines())
    page = (
        "<html><body>"
        f"<h2>{html.escape(message.title)}</h2><p>{html.escape(intro)}</p>"
        '<table border="1" cellpadding="4" cellspacing="0">'
        "<tr><th>metric</th><th>feature</th><th>value</th><th>direction</th>"
        f"<th>threshold</th><th>details</th></tr>{rows}</table>"
        f"<p>{context_html}</p></body></html>"
    )
    return text, page


def build_email(channel: EmailChannel, message: AlertMessage) -> Any:
    from email.message import EmailMessage
    from email.utils import formatdate, make_msgid

    host = socket.gethostname() or "localhost"
    sender = channel.sender or f"databricks-mlops@{host}"
    email = EmailMessage()
    email["Subject"] = f"[databricks-mlops] {message.title}"
    email["From"] = sender
    email["To"] = ", ".join(channel.recipients)
    email["Date"] = formatdate(message.sent_at.timestamp(), usegmt=True)
    email["Message-ID"] = make_msgid(domain=host)
    text, page = email_bodies(message)
    email.set_content(text)
    if page is not None:
        email.add_alternative(page, subtype="html")
    return email


def send_email(channel: EmailChannel, message: AlertMessage) -> None:
    import smtplib
    import ssl

    where = f"{channel.smtp_host}:{channel.smtp_port}"
    email = build_email(channel, message)
    try:
        context = ssl.create_default_context(cafile=channel.ca_file)
    except (OSError, ssl.SSLError) as exc:
        _fail(channel, f"Failed to load ca_file {channel.ca_file!r}: {exc}", retryable=False)
    try:
        smtp_class = smtplib.SMTP_SSL if channel.use_ssl else smtplib.SMTP
        kwargs: dict[str, Any] = {"context": context} if channel.use_ssl else {}
        with smtp_class(
            channel.smtp_host, channel.smtp_port, timeout=channel.timeout_seconds, **kwargs
        ) as smtp:
            # smtplib.SMTP.debuglevel set globally would print the AUTH exchange (the
            # password, base64-encoded) to stderr.
            smtp.set_debuglevel(0)
            smtp.ehlo()
            if channel.use_starttls:
                # Never fall back to plain text: credentials and content would travel in clear.
                smtp.starttls(context=context)
                smtp.ehlo()
            if channel.username is not None and channel.password is not None:
                smtp.login(channel.username, channel.password.get_secret_value())
            refused = smtp.send_message(email, to_addrs=channel.recipients)
    except smtplib.SMTPNotSupportedError as exc:
        if "STARTTLS" in str(exc):
            hint = (
                "set use_starttls: false only if the relay is trusted, "
                "or use a port that offers STARTTLS (587)"
            )
        else:
            hint = "the server offers no login here: drop username/password or use its TLS port"
        _fail(channel, f"SMTP server {where}: {exc} ({hint})", retryable=False)
    except smtplib.SMTPAuthenticationError as exc:
        _fail(
            channel,
            f"SMTP login as {channel.username!r} rejected by {where} ({exc.smtp_code}); "
            "check username and password",
            retryable=False,
        )
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        _fail(
            channel,
            f"SMTP server {where} refused every recipient: {sorted(exc.recipients)} {codes}",
            retryable=all(400 <= c < 500 for c in codes),
        )
    except smtplib.SMTPResponseException as exc:
        # 4xx is "try again later" in SMTP; 5xx is final.
        _fail(
            channel,
            f"SMTP server {where} answered {exc.smtp_code}: {exc.smtp_error!r}",
            retryable=400 <= exc.smtp_code < 500,
        )
    except smtplib.SMTPServerDisconnected as exc:
        _fail(channel, f"SMTP server {where} disconnected: {exc}", retryable=True)
    except ssl.SSLError as exc:
        _fail(
            channel,
            f"TLS with SMTP server {where} failed: {exc}; set ca_file if it uses a private CA",
            retryable=False,
        )
    except smtplib.SMTPException as exc:
        _fail(channel, f"Failed to send email via {where}: {exc}", retryable=False)
    except OSError as exc:
        _fail(channel, f"Failed to reach SMTP server {where}: {exc}", retryable=True)
    if refused:
        # Some recipients took it: the alert is out; the rest is worth a log line.
        logger.warning("SMTP server %s refused recipients %s", where, sorted(refused))
