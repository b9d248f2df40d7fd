"""Delta's optimistic-concurrency conflicts as one clear, retryable error.

Two writers committing to the same table at once: the loser gets one of Delta's
``Concurrent*Exception`` / ``MetadataChangedException`` / ``ProtocolChangedException``
(a 300-line ``Py4JJavaError`` through Py4J, a ``SparkConnectGrpcException`` over Spark
Connect). Both carry the Java class name or Delta's ``DELTA_CONCURRENT_*`` error class in
their text, which is what is matched here, so the check works on either kind of session.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from databricks_mlops.errors import ConcurrentWriteError

# Delta's conflict exceptions (io.delta.exceptions / delta.exceptions) and error classes.
_CONFLICT_MARKERS = (
    "ConcurrentAppendException",
    "ConcurrentDeleteReadException",
    "ConcurrentDeleteDeleteException",
    "ConcurrentTransactionException",
    "ConcurrentWriteException",
    "MetadataChangedException",
    "ProtocolChangedException",
    "DELTA_CONCURRENT_",
    "DELTA_METADATA_CHANGED",
    "DELTA_PROTOCOL_CHANGED",
)


def is_delta_conflict(exc: BaseException) -> bool:
    """Whether ``exc`` (or anything in its cause chain) is a Delta commit conflict."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        text = f"{type(current).__name__}: {current}"
        if any(marker in text for marker in _CONFLICT_MARKERS):
            return True
        current = current.__cause__ or current.__context__
    return False


@contextmanager
def delta_conflicts_as_errors(target: str, operation: str = "write") -> Iterator[None]:
    """Turn a Delta commit conflict on ``target`` into :class:`ConcurrentWriteError`;
    any other exception passes through unchanged."""
    try:
        yield
    except ConcurrentWriteError:
        raise
    except Exception as exc:
        if not is_delta_conflict(exc):
            raise
        kind = next((m for m in _CONFLICT_MARKERS if m in str(exc)), type(exc).__name__)
        raise ConcurrentWriteError(
            f"Another run committed to {target!r} while this {operation} was in progress "
            f"({kind.rstrip('_')}); nothing from this {operation} was committed. "
            "Re-run the task once the other run has finished (is the job running twice?)."
        ) from exc
