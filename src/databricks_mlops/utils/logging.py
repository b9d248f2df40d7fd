"""``setup_logger`` (documented API): one consistent format for framework and task logs; and
secret redaction for every log record of the process.

Redaction: ``register_secrets`` takes the values that must never be logged (a webhook
URL's path and query, header values, an SMTP password). From the first call on, every
``LogRecord`` created in the process, by any logger, ours or a library's, at any level,
has them replaced by ``***`` when it is made (a wrapper around the log record factory),
so no handler, formatter or capture ever sees them. That matters because libraries log
what we cannot word ourselves: urllib3 logs the request line
(``"POST /services/T0/B0/XXXX?token=... HTTP/1.1" 200``) at DEBUG, and a handler
installed by the platform (Databricks' driver logs) or by pytest may be the one that
writes it. ``RedactingFilter`` is the same redaction as a ``logging.Filter``, for
handlers that must hold it themselves; ``setup_logger``'s handler has it.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable, Iterable
from typing import Any

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
MASK = "***"
# One character (a "/" path, an "a" password) is no secret worth masking every log for.
_MIN_SECRET_LENGTH = 2

_lock = threading.Lock()
# Longest first, so a URL is replaced whole before its path is. A tuple, swapped whole,
# so readers on other threads need no lock.
_secrets: tuple[str, ...] = ()


def setup_logger(name: str = "databricks_mlops", level: int | str = logging.INFO) -> logging.Logger:
    logger = logging.getLogger(name)
    logger.setLevel(level)
    if not any(getattr(h, "_mlops", False) for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(_FORMAT))
        handler.addFilter(RedactingFilter())
        handler._mlops = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    return logger


def register_secrets(values: Iterable[str]) -> None:
    """Never log any of ``values`` again in this process (see the module doc)."""
    global _secrets
    fresh = {v for v in values if len(v) >= _MIN_SECRET_LENGTH}
    with _lock:
        if not fresh <= set(_secrets):
            _secrets = tuple(sorted(set(_secrets) | fresh, key=lambda s: (-len(s), s)))
        _install_record_factory()


def redact(text: str) -> str:
    """``text`` with every registered secret replaced by ``***``."""
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def _contains_secret(text: str) -> bool:
    return any(secret in text for secret in _secrets)


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Redact the message, the traceback and the stack of ``record`` in place.

    A record holding a secret has its message rendered now (``msg`` = the redacted text,
    ``args`` emptied) and its traceback rendered to the redacted ``exc_text`` (with
    ``exc_info`` dropped: a formatter would render the original again). Records without
    a secret are left as they are."""
    if not _secrets:
        return record
    try:
        message = record.getMessage()
    except Exception:
        # Arguments that do not fit the format: logging would print both raw in its
        # "--- Logging error ---" report, so they are flattened (and redacted) instead.
        message = f"{record.msg} {record.args!r}"
    if _contains_secret(message):
        record.msg, record.args = redact(message), ()
    if record.exc_info and record.exc_info[1] is not None:
        rendered = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        if _contains_secret(rendered):
            record.exc_text, record.exc_info = redact(rendered), None
    if record.exc_text and _contains_secret(record.exc_text):
        record.exc_text = redact(record.exc_text)
    if record.stack_info and _contains_secret(record.stack_info):
        record.stack_info = redact(record.stack_info)
    return record


class RedactingFilter(logging.Filter):
    """Redacts the registered secrets from each record it sees; never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


def _install_record_factory() -> None:
    # Called under _lock. Re-checked on each registration: a library that installs its
    # own factory later replaces ours, and the next registration wraps it in turn.
    current = logging.getLogRecordFactory()
    if getattr(current, "_mlops_redacting", False):
        return
    previous: Callable[..., logging.LogRecord] = current

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return redact_record(previous(*args, **kwargs))

    factory._mlops_redacting = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
