"""Errors of the serving client: each names the endpoint, the URL and what to do next."""

from __future__ import annotations

from typing import Self

from databricks_mlops.errors import MLOpsError


class ServingError(MLOpsError):
    """Base of every error ``ModelClient`` raises.

    ``rows`` is the ``(start, stop)`` row range of the batch that failed when the frame
    was sent in batches (``None`` for a single request)."""

    def __init__(self, message: str, *, endpoint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.endpoint = endpoint
        self.rows: tuple[int, int] | None = None

    def for_rows(self, start: int, stop: int, total: int) -> Self:
        """A copy of this error (same type and fields) that names the failed batch."""
        # Not copy.copy: that re-runs __init__ with ``args``, which the subclasses' keyword
        # signatures do not accept.
        error = type(self).__new__(type(self))
        error.__dict__.update(self.__dict__)
        error.rows = (start, stop)
        error.message = f"batch of rows {start}-{stop - 1} (of {total}) failed: {self.message}"
        error.args = (error.message,)
        return error

    def __str__(self) -> str:
        return self.message


class ServingInputError(ServingError):
    """The features cannot be sent (not a DataFrame, no rows, not JSON-serialisable)."""


class ServingAuthError(ServingError):
    """Credentials for the workspace could not be resolved by databricks-sdk."""


class ServingRequestError(ServingError):
    """The server refused the request with a status that is not retried (e.g. 400).

    ``status`` is the HTTP status, ``server_message`` / ``error_code`` what the server said
    (MLflow and Model Serving answer ``{"error_code": ..., "message": ...}``)."""

    def __init__(
        self,
        status: int,
        server_message: str,
        *,
        endpoint: str | None = None,
        url: str | None = None,
        error_code: str | None = None,
        hint: str = "",
    ) -> None:
        code = f" {error_code}" if error_code else ""
        where = f" from {url}" if url else ""
        message = f"endpoint {endpoint!r} answered HTTP {status}{code}{where}: {server_message}"
        super().__init__(message + (f" ({hint})" if hint else ""), endpoint=endpoint)
        self.status = status
        self.server_message = server_message
        self.error_code = error_code
        self.url = url


class ServingRetriesExhaustedError(ServingError):
    """Every attempt failed with a retryable status or a connection error.

    ``last_status`` is ``None`` when the last attempt got no HTTP answer at all."""

    def __init__(
        self,
        attempts: int,
        last_status: int | None,
        last_error: str,
        *,
        endpoint: str | None = None,
        url: str | None = None,
    ) -> None:
        status = f"HTTP {last_status}" if last_status is not None else "no HTTP answer"
        message = (
            f"endpoint {endpoint!r} at {url} failed after {attempts} attempt(s), last: "
            f"{status}: {last_error}. Check that the endpoint is up (local: "
            "`databricks-mlops endpoints list` shows the registered servers, the "
            "model_deployment job starts one; Databricks: endpoint state READY) "
            "or raise retry_config.max_retries / timeout_seconds"
        )
        super().__init__(message, endpoint=endpoint)
        self.attempts = attempts
        self.last_status = last_status
        self.last_error = last_error
        self.url = url


class ServingResponseError(ServingError):
    """The server answered 2xx but the body is not a prediction response we understand."""
