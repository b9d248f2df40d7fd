"""The HTTP side: one pooled session, waits between attempts, reading server errors."""

from __future__ import annotations

import json
import random
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

from databricks_mlops.config.serving import ClientConfig

if TYPE_CHECKING:
    import requests

# Response headers that carry the request id / served model, in order of preference.
REQUEST_ID_HEADERS = ("x-request-id", "x-databricks-request-id")
VERSION_HEADERS = ("x-model-version", "model-version", "x-mlflow-model-version")
SERVED_MODEL_HEADERS = ("served-model-name", "x-served-model-name")


def build_session(config: ClientConfig, local: bool) -> requests.Session:
    """A keep-alive session whose pool holds ``max_connections`` connections per host.

    urllib3's own retries are off: retries are ours (Retry-After, jitter, typed errors).
    For local servers the environment is ignored: proxies and ~/.netrc never apply to
    127.0.0.1, and reading them costs time on every request."""
    import requests
    from requests.adapters import HTTPAdapter

    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=config.max_connections, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.trust_env = not local
    session.headers.update({"Content-Type": "application/json", "Accept": "application/json"})
    return session


def backoff_delay(attempt: int, config: ClientConfig) -> float:
    """Exponential backoff with full jitter: uniform in [0, min(cap, factor * 2^(n-1))]."""
    retry = config.retry_config
    ceiling = min(retry.max_backoff_seconds, retry.backoff_factor * 2 ** (attempt - 1))
    return random.uniform(0, ceiling)  # jitter, not cryptography


def retry_after_delay(value: str | None, cap: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date), capped."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    return min(max(seconds, 0.0), cap)


def server_error(response: requests.Response) -> tuple[str, str | None]:
    """``(message, error_code)`` from an error response (JSON or text), shortened."""
    text = response.text
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    if isinstance(body, dict):
        message = body.get("message") or body.get("error") or body.get("detail")
        code = body.get("error_code")
        if message:
            return _shorten(str(message)), str(code) if code else None
    return _shorten(text.strip() or response.reason or "no message"), None


def _shorten(text: str, limit: int = 2000) -> str:
    # MLflow appends the server's stack trace to the message; the first part says why.
    return text if len(text) <= limit else text[:limit] + " ...[truncated]"


def first_header(response: requests.Response, names: tuple[str, ...]) -> str | None:
    for name in names:
        value = response.headers.get(name)
        if value:
            return value
    return None


def sleep(seconds: float) -> None:
    if seconds > 0:
        time.sleep(seconds)


def status_hint(status: int, local: bool) -> str:
    if status in (401, 403):
        return (
            "check the client's auth: the token or service principal needs CAN_QUERY on the "
            "endpoint"
        )
    if status == 404:
        if local:
            return (
                "no scoring server answers at this URL: deploy the endpoint locally or point "
                "workspace_url at a running `mlflow models serve`"
            )
        return "no serving endpoint with this name in the workspace: check the name"
    if status in (400, 422):
        return "the features do not match the model's input schema"
    return ""
