"""Delta's optimistic-concurrency conflicts as one clear, retryable error.

Two writers committing to the same table at once: the loser gets one of Delta's
``Concurrent*Exception`` / ``MetadataChangedException`` / ``ProtocolChangedException``
(a 300-line ``Py4JJavaError`` through Py4J, a ``SparkConnectGrpcException`` over Spark
Connect). Both carry the Java class name or Delta's ``DELTA_CONCURRENT_*`` error class in
their text, which is what is matched here, so the check works on either kind of session.
"""

from __future__ import annotations

import re
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


# Delta's own sentence after "[DELTA_CONCURRENT_APPEND] ConcurrentAppendException: ".
_DELTA_REASON = re.compile(r"\[DELTA_[A-Z_]+\]\s*(?:[\w.]+Exception:\s*)?([^\n]*)")


def _conflict_text(exc: BaseException) -> str | None:
    """The text of the first exception in ``exc``'s chain that is a Delta conflict."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        text = f"{type(current).__name__}: {current}"
        if any(marker in text for marker in _CONFLICT_MARKERS):
            return text
        current = current.__cause__ or current.__context__
    return None


def is_delta_conflict(exc: BaseException) -> bool:
    """Whether ``exc`` (or anything in its cause chain) is a Delta commit conflict."""
    return _conflict_text(exc) is not None


def describe_conflict(text: str) -> str:
    """``"ConcurrentAppendException: Files were added ... by a concurrent update"``: the
    exception's name and Delta's one-sentence reason, out of a Java stack trace."""
    found_markers = [marker for marker in _CONFLICT_MARKERS if marker in text]
    # The exception's class name reads better than Delta's error class.
    kind = next(
        (marker for marker in found_markers if marker.endswith("Exception")),
        found_markers[0].rstrip("_") if found_markers else "conflict",
    )
    found = _DELTA_REASON.search(text)
    reason = found.group(1).replace("Please try the operation again.", "").strip() if found else ""
    return f"{kind}: {reason.rstrip('.')}" if reason else kind


@contextmanager
def delta_conflicts_as_errors(target: str, operation: str = "write") -> Iterator[None]:
    """Turn a Delta commit conflict on ``target`` into :class:`ConcurrentWriteError`;
    any other exception passes through unchanged."""
    try:
        yield
    except ConcurrentWriteError:
        raise
    except Exception as exc:
        text = _conflict_text(exc)
        if text is None:
            raise
        raise ConcurrentWriteError(
            f"Another run committed to {target!r} while this {operation} was in progress "
            f"({describe_conflict(text)}); nothing from this {operation} was committed. "
            "Re-run the task once the other run has finished (is the job running twice?); "
            "the local runner retries it when the task sets max_retries."
        ) from exc
