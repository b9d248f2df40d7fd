"""Errors of the monitoring stage, under one base: ``except MonitoringError`` catches them all.

Each is still importable from the module that raises it (``monitoring.drift``,
``monitoring.performance``, ``monitoring.alerts``, ``monitoring.run``, ...).
``MetricsTableError`` lives in ``monitoring.metrics_table`` and derives from this base.
"""

from __future__ import annotations

from databricks_mlops.errors import MLOpsError


class MonitoringError(MLOpsError):
    """Base of every monitoring error."""


class MonitoringRunError(MonitoringError):
    """A monitoring run failed after reading its inputs (report, MLflow...)."""


class MonitoringInputError(MonitoringError):
    """The monitoring run's inputs are missing (no inference log, reference or rows)."""


class MonitoringSetupError(MonitoringError):
    """The monitoring job or quality monitor could not be created, or no status exists."""


class DriftError(MonitoringError):
    """Drift cannot be computed for these inputs (unknown feature, empty window, ...)."""


class PerformanceError(MonitoringError):
    """Performance cannot be computed (missing columns, non-numeric labels...)."""


class AlertDeliveryError(MonitoringError):
    """One attempt to deliver an alert failed. ``retryable`` says whether trying again can
    help (connection errors, 429, 5xx, SMTP 4xx) or not (404, rejected login).

    Never escapes ``AlertDispatcher.notify``; the message is already free of secrets."""

    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after
