"""One error tree for everything the framework raises on purpose.

Every message says what went wrong, where, and (when we can tell) how to fix it.
The CLI and the task entry points print these as one line and exit non-zero;
anything that is *not* an ``MLOpsError`` is a bug and keeps its traceback.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import ClassVar


class MLOpsError(Exception):
    """Base of every error the framework raises deliberately.

    ``deterministic``: the same input fails the same way every time (a bad config, a
    missing entry point, column names Delta cannot store), so retrying the task only
    repeats the failure; the local runner does not retry these."""

    deterministic: ClassVar[bool] = False


class ConfigError(MLOpsError):
    """A configuration file or object is invalid (names file, line and field)."""

    deterministic = True


class BundleError(MLOpsError):
    """A bundle (databricks.yml and its includes) cannot be loaded or resolved."""


class RunnerError(MLOpsError):
    """The local job runner cannot run what it was asked to run."""


class EntryPointNotFoundError(RunnerError):
    """A python_wheel_task's package or entry point cannot be found (names both, lists
    the entry points the package declares); a retry would look in the same place."""

    deterministic = True


class TaskEnvironmentError(RunnerError):
    """A task's isolated Python environment cannot be built from what the bundle declares
    (an artifact build fails, a wheel is missing, a requirement does not install); a retry
    would install the same declaration."""

    deterministic = True


class RuntimeSetupError(MLOpsError):
    """The Spark / MLflow runtime could not be set up."""


class IngestionError(MLOpsError):
    """Reading, transforming or writing data in the ingestion stage failed."""


class InvalidColumnNamesError(IngestionError):
    """The data has column names Delta cannot store (column mapping off): the same input
    fails the same way on every run until the config renames them."""

    deterministic = True


class DatasetError(MLOpsError):
    """A sample dataset cannot be generated or written."""


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """Return ``" (did you mean 'x'?)"`` for the closest candidate, or ``""``."""
    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean '{matches[0]}'?)" if matches else ""


class ExpressionError(MLOpsError):
    """A rule expression does not parse or type-check; points at the offending span.

    ``str()`` is the message, then the expression with a ``^`` under ``[start, end)``::

        unknown column 'agee' (did you mean 'age'?)
          agee >= 18
          ^^^^
    """

    deterministic = True

    def __init__(self, message: str, expression: str, start: int, end: int | None = None) -> None:
        self.message = message
        self.expression = expression
        self.start = max(0, min(start, len(expression)))
        self.end = max(
            self.start + 1, min(end if end is not None else start + 1, len(expression) + 1)
        )
        super().__init__(str(self))

    def __str__(self) -> str:
        caret = " " * self.start + "^" * (self.end - self.start)
        return f"{self.message}\n  {self.expression}\n  {caret}"


class ValidationFailedError(MLOpsError):
    """Rules of severity ERROR failed on the data."""


class ConcurrentWriteError(MLOpsError):
    """Another run committed to the same Delta table first; re-running the task is safe.

    ``retryable`` tells the local runner (and the reader) that this is a race, not a
    deterministic failure: the same input succeeds once the other writer is done."""

    retryable: ClassVar[bool] = True
