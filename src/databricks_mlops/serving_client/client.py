"""``ModelClient``: typed predictions from a Model Serving endpoint or a local scoring server.

One ``requests.Session`` (keep-alive, pool of ``max_connections``) serves every call.
A frame longer than ``batch_size`` is split into batches sent concurrently by a bounded
thread pool (``max_concurrency``), and the answers are put back in input order. Each
request is retried on ``retry_on_status`` (429/503/...) and connection errors with
exponential backoff and full jitter, honouring ``Retry-After``; any other 4xx/5xx raises
``ServingRequestError`` at once, with the server's message.

Logging (logger ``databricks_mlops.serving_client``, DEBUG): endpoint, URL, rows, status,
latency and attempt of each request, and the *names* of the headers sent; header values
never, bodies only with ``log_payloads``.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from databricks_mlops.config.serving import ClientConfig
from databricks_mlops.serving_client.endpoints import AuthHeaders, EndpointResolver
from databricks_mlops.serving_client.errors import (
    ServingError,
    ServingInputError,
    ServingRequestError,
    ServingResponseError,
    ServingRetriesExhaustedError,
)
from databricks_mlops.serving_client.payload import decode_predictions, encode_frame
from databricks_mlops.serving_client.response import (
    PredictionResponse,
    RequestMetrics,
    ResponseMetadata,
)
from databricks_mlops.serving_client.transport import (
    REQUEST_ID_HEADERS,
    SERVED_MODEL_HEADERS,
    VERSION_HEADERS,
    backoff_delay,
    build_session,
    first_header,
    retry_after_delay,
    server_error,
    sleep,
    status_hint,
)

if TYPE_CHECKING:
    import pandas as pd
    import requests

logger = logging.getLogger("databricks_mlops.serving_client")

MetricsHook = Callable[[RequestMetrics], None]


@dataclass(frozen=True)
class _BatchResult:
    columns: dict[str, list[Any]]
    attempts: int
    request_id: str | None
    model_version: str | None
    served_model_name: str | None


class ModelClient:
    """Typed client for one workspace (or local scoring servers); see the module doc.

    Thread-safe: one client may be shared by threads. Use it as a context manager or call
    :meth:`close` to release its connections and threads."""

    def __init__(self, config: ClientConfig, metrics_hook: MetricsHook | None = None) -> None:
        self.config = config
        self.metrics_hook = metrics_hook
        self._resolver = EndpointResolver(config)
        self._auth = AuthHeaders(config, local=self._resolver.local)
        self._session = build_session(config, local=self._resolver.local)
        # More batches in flight than pooled connections would only open throwaway ones.
        self._concurrency = min(config.max_concurrency, config.max_connections)
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._closed = False

    def predict(self, endpoint_name: str, features: pd.DataFrame) -> PredictionResponse:
        """Score ``features`` (one row per prediction) on ``endpoint_name``.

        Raises ``ServingInputError`` for features that cannot be sent,
        ``ServingRequestError`` when the server refuses them (not retried),
        ``ServingRetriesExhaustedError`` when every attempt failed, and
        ``ServingResponseError`` for an answer that is not one prediction per row."""
        started = time.perf_counter()
        rows = self._check_features(endpoint_name, features)
        client_request_id = uuid.uuid4().hex
        size = self.config.batch_size
        ranges = [(start, min(start + size, rows)) for start in range(0, rows, size)]
        if len(ranges) == 1:
            results = [self._send_batch(endpoint_name, features, 0, rows, client_request_id)]
        else:
            results = self._send_batches(endpoint_name, features, ranges, rows, client_request_id)
        columns = _merge_columns([result.columns for result in results])
        if "probability" in columns and "prediction" in columns and "class" not in columns:
            columns["class"] = list(columns["prediction"])
        first = results[0]
        metadata = ResponseMetadata(
            endpoint_name=endpoint_name,
            latency_ms=(time.perf_counter() - started) * 1000,
            rows=rows,
            request_id=first.request_id or client_request_id,
            model_version=first.model_version,
            served_model_name=first.served_model_name,
            batches=len(results),
            attempts=sum(result.attempts for result in results),
        )
        return PredictionResponse(predictions=columns, metadata=metadata)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
        self._session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _check_features(self, endpoint_name: str, features: Any) -> int:
        if self._closed:
            raise ServingError(
                "this ModelClient is closed: create a new one", endpoint=endpoint_name
            )
        import pandas as pd

        if not isinstance(features, pd.DataFrame):
            raise ServingInputError(
                f"features for endpoint {endpoint_name!r} must be a pandas DataFrame, got "
                f"{type(features).__name__}",
                endpoint=endpoint_name,
            )
        if len(features) == 0 or features.shape[1] == 0:
            raise ServingInputError(
                f"features for endpoint {endpoint_name!r} are empty ({features.shape[0]} rows, "
                f"{features.shape[1]} columns): nothing to score",
                endpoint=endpoint_name,
            )
        return len(features)

    def _send_batches(
        self,
        endpoint_name: str,
        features: pd.DataFrame,
        ranges: list[tuple[int, int]],
        rows: int,
        client_request_id: str,
    ) -> list[_BatchResult]:
        executor = self._pool()
        futures: list[Future[_BatchResult]] = [
            executor.submit(
                self._send_batch, endpoint_name, features, start, stop, client_request_id
            )
            for start, stop in ranges
        ]
        try:
            # Fail as soon as any batch fails, naming the first failed batch in row order.
            wait(futures, return_when=FIRST_EXCEPTION)
            for (start, stop), future in zip(ranges, futures, strict=True):
                if future.done() and future.exception() is not None:
                    error = future.exception()
                    if isinstance(error, ServingError):
                        raise error.for_rows(start, stop, rows) from error
                    raise ServingError(
                        f"Failed to score rows {start}-{stop - 1} (of {rows}) on endpoint "
                        f"{endpoint_name!r}: {error}",
                        endpoint=endpoint_name,
                    ) from error
            results = [future.result() for future in futures]
        finally:
            # One failed batch fails the call: do not send what has not started yet.
            for future in futures:
                future.cancel()
        return results

    def _pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    max_workers=self._concurrency, thread_name_prefix="model-client"
                )
            return self._executor

    def _send_batch(
        self,
        endpoint_name: str,
        features: pd.DataFrame,
        start: int,
        stop: int,
        client_request_id: str,
    ) -> _BatchResult:
        body = encode_frame(features, start, stop)
        rows = stop - start
        if self.config.log_payloads and logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "request body for %s rows %d-%d: %.2000s",
                endpoint_name,
                start,
                stop - 1,
                body.decode(),
            )
        retry = self.config.retry_config
        max_attempts = retry.max_retries + 1
        started = time.perf_counter()
        url = ""
        status: int | None = None
        last_error = ""
        for attempt in range(1, max_attempts + 1):
            # Resolved per attempt: a blue/green switch between attempts moves the URL.
            target = self._resolver.resolve(endpoint_name)
            url = target.url
            headers = self._auth.headers()
            headers["X-Request-Id"] = client_request_id
            sent = time.perf_counter()
            try:
                response = self._session.post(
                    url, data=body, headers=headers, timeout=retry.timeout_seconds
                )
            except _transport_errors() as exc:
                status, last_error = None, f"{type(exc).__name__}: {exc}"
                self._log(endpoint_name, url, rows, None, sent, attempt, headers, last_error)
                if attempt < max_attempts:
                    sleep(backoff_delay(attempt, self.config))
                    continue
                break
            status = response.status_code
            self._log(endpoint_name, url, rows, status, sent, attempt, headers, None)
            if status < 300:
                try:
                    result = self._parse(response, rows, attempt, target.version)
                except ServingResponseError as exc:
                    self._report(endpoint_name, url, rows, status, started, attempt, str(exc))
                    raise ServingResponseError(
                        f"endpoint {endpoint_name!r} at {url}: {exc.message}",
                        endpoint=endpoint_name,
                    ) from exc
                self._report(endpoint_name, url, rows, status, started, attempt, None)
                return result
            message, code = server_error(response)
            last_error = message
            if status in retry.retry_on_status and attempt < max_attempts:
                wait = retry_after_delay(
                    response.headers.get("Retry-After"), retry.max_backoff_seconds
                )
                sleep(backoff_delay(attempt, self.config) if wait is None else wait)
                continue
            if status in retry.retry_on_status:
                break
            self._report(endpoint_name, url, rows, status, started, attempt, message)
            raise ServingRequestError(
                status,
                message,
                endpoint=endpoint_name,
                url=url,
                error_code=code,
                hint=status_hint(status, self._resolver.local),
            )
        self._report(endpoint_name, url, rows, status, started, max_attempts, last_error)
        raise ServingRetriesExhaustedError(
            max_attempts, status, last_error, endpoint=endpoint_name, url=url
        )

    def _parse(
        self, response: requests.Response, rows: int, attempts: int, version: str | None
    ) -> _BatchResult:
        if self.config.log_payloads and logger.isEnabledFor(logging.DEBUG):
            logger.debug("response body from %s: %.2000s", response.url, response.text)
        try:
            body = response.json()
        except ValueError as exc:
            raise ServingResponseError(f"Failed to read the answer as JSON: {exc}") from exc
        return _BatchResult(
            columns=decode_predictions(body, rows),
            attempts=attempts,
            request_id=first_header(response, REQUEST_ID_HEADERS),
            model_version=first_header(response, VERSION_HEADERS) or version,
            served_model_name=first_header(response, SERVED_MODEL_HEADERS),
        )

    def _log(
        self,
        endpoint_name: str,
        url: str,
        rows: int,
        status: int | None,
        sent: float,
        attempt: int,
        headers: dict[str, str],
        error: str | None,
    ) -> None:
        if not logger.isEnabledFor(logging.DEBUG):
            return
        logger.debug(
            "POST %s endpoint=%s rows=%d status=%s latency_ms=%.1f attempt=%d headers=%s%s",
            url,
            endpoint_name,
            rows,
            status if status is not None else "-",
            (time.perf_counter() - sent) * 1000,
            attempt,
            sorted(headers),  # names only: values may be credentials
            f" error={error}" if error else "",
        )

    def _report(
        self,
        endpoint_name: str,
        url: str,
        rows: int,
        status: int | None,
        started: float,
        attempts: int,
        error: str | None,
    ) -> None:
        if self.metrics_hook is None:
            return
        metrics = RequestMetrics(
            endpoint_name=endpoint_name,
            url=url,
            rows=rows,
            status=status,
            latency_ms=(time.perf_counter() - started) * 1000,
            attempts=attempts,
            error=error,
        )
        try:
            self.metrics_hook(metrics)
        except Exception as exc:  # a broken metrics sink must not fail predictions
            logger.warning("metrics hook %r failed: %s", self.metrics_hook, exc, exc_info=True)


def _transport_errors() -> tuple[type[Exception], ...]:
    import requests

    # ConnectionError covers refused / reset / DNS and connect timeouts; Timeout adds read
    # timeouts (a prediction is idempotent, so resending it is safe).
    return (requests.ConnectionError, requests.Timeout)


def _merge_columns(parts: list[dict[str, list[Any]]]) -> dict[str, list[Any]]:
    if len(parts) == 1:
        return parts[0]
    names = list(dict.fromkeys(name for part in parts for name in part))
    merged: dict[str, list[Any]] = {name: [] for name in names}
    for part in parts:
        length = len(next(iter(part.values()))) if part else 0
        for name in names:
            values = part.get(name)
            merged[name].extend(values if values is not None else [None] * length)
    return merged
