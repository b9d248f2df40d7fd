"""One monitoring run: the current window of the inference log vs the reference.

read reference + window -> drift -> performance (labelled rows) -> breaches -> metrics
table -> HTML report (file + MLflow artifact) -> alerts. All data work is Spark
aggregations; the driver only sees counts, bins and metric values.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from databricks_mlops.config.monitoring import (
    DriftConfig,
    MonitoringConfig,
    split_reference,
)
from databricks_mlops.errors import ConfigError
from databricks_mlops.monitoring.errors import MonitoringError as MonitoringError
from databricks_mlops.monitoring.errors import MonitoringInputError as MonitoringInputError
from databricks_mlops.monitoring.errors import MonitoringRunError
from databricks_mlops.monitoring.findings import (
    drift_summary,
    find_breaches,
    metric_rows,
    naive,
    performance_of,
    utc,
)
from databricks_mlops.monitoring.metrics_table import (
    default_metrics_table,
    recent_rows,
    write_metrics,
)
from databricks_mlops.monitoring.payload_log import (
    align_types,
    is_payload_table,
    request_counts,
    unpack_payload,
)
from databricks_mlops.runtime.locations import path_segment

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

    from databricks_mlops.monitoring.alerts import AlertOutcome, Breach
    from databricks_mlops.monitoring.drift import DriftResult
    from databricks_mlops.monitoring.performance import PerformanceResult
    from databricks_mlops.runtime import Runtime

logger = logging.getLogger(__name__)


@dataclass
class MonitoringRunResult:
    run_id: str
    run_at: datetime
    model_name: str
    model_version: str | None
    window_id: str
    window_start: datetime | None
    window_end: datetime | None
    current_rows: int
    drift: DriftResult | None
    performance: PerformanceResult | None
    drift_summary: dict[str, float]
    breaches: list[Breach]
    metrics_table: str
    metrics_version: int
    report_path: str
    mlflow_run_id: str | None = None
    alert_outcome: AlertOutcome | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def drift_detected(self) -> bool:
        return self.drift is not None and self.drift.drift_detected

    @property
    def drift_score(self) -> float:
        return self.drift_summary.get("drift_score", 0.0)

    @property
    def drifting_features(self) -> list[str]:
        return [] if self.drift is None else list(self.drift.drifting_features)


@dataclass(frozen=True)
class Window:
    frame: DataFrame
    window_id: str
    start: datetime | None
    end: datetime | None
    rows: int
    # The filter that picked the window's rows out of the log (None: every row).
    condition: Column | None = None


def metrics_table_of(config: MonitoringConfig) -> str:
    perf = config.model_performance_tracking
    if perf is not None and perf.metrics_table:
        return perf.metrics_table
    if config.inference_table is None:
        raise ConfigError("monitoring config: set inference_table (the batch inference log)")
    return default_metrics_table(config.inference_table)


def select_window(
    log: DataFrame, config: MonitoringConfig, run_at: datetime, window_end: datetime | None
) -> Window:
    """The current window of the inference log, and a stable id for it (re-runs of the
    same window replace their metric rows instead of adding to them)."""
    from pyspark.sql import functions as F

    column = config.timestamp_column
    if column not in log.columns:
        raise MonitoringInputError(
            f"{config.inference_table} has no timestamp column {column!r} "
            f"(columns: {sorted(log.columns)}); set timestamp_column in the monitoring config"
        )
    ts = F.col(column)
    if config.window == "last_batch":
        latest = log.agg(F.max(ts).alias("t")).first()
        stamp = None if latest is None else latest["t"]
        if stamp is None:
            raise MonitoringInputError(f"the inference log {config.inference_table} is empty")
        condition = ts == F.lit(stamp)
        frame = log.where(condition)
        rows = frame.count()
        return Window(frame, f"last_batch@{stamp.isoformat()}", stamp, stamp, rows, condition)
    if config.window == "all":
        stats = log.agg(F.min(ts).alias("lo"), F.max(ts).alias("hi"), F.count(F.lit(1)).alias("n"))
        row = stats.first()
        assert row is not None
        return Window(log, f"all@{row['hi']}", row["lo"], row["hi"], int(row["n"]))
    seconds = config.window_seconds
    assert seconds is not None  # a duration, checked by the config
    end = naive(window_end or run_at)
    assert end is not None
    start = end - timedelta(seconds=seconds)
    condition = (ts >= F.lit(start)) & (ts < F.lit(end))
    frame = log.where(condition)
    rows = frame.count()
    return Window(frame, f"{start.isoformat()}/{end.isoformat()}", start, end, rows, condition)


def read_reference(runtime: Runtime, drift: DriftConfig) -> DataFrame:
    if not drift.reference_dataset:
        raise MonitoringInputError(
            "no drift reference: set reference_dataset (a table, a path, or `table@vN`)"
        )
    target, version = split_reference(drift.reference_dataset)
    version = drift.reference_version if drift.reference_version is not None else version
    if not runtime.delta_exists(target):
        raise MonitoringInputError(
            f"the drift reference {target} does not exist; write it first (the training "
            "table, or the feature table) or point reference_dataset at an existing table"
        )
    try:
        frame = runtime.read_delta(target, version)
        frame.schema  # noqa: B018 - resolving the schema surfaces a bad versionAsOf here
    except Exception as exc:  # Spark's AnalysisException and friends
        raise MonitoringInputError(
            f"Failed to read the drift reference {drift.reference_dataset}: {exc}"
        ) from exc
    return frame


def _drift_features(
    config: MonitoringConfig, drift: DriftConfig, reference: DataFrame, current: DataFrame
) -> tuple[list[str], list[str]]:
    """(features compared, notes)."""
    notes = []
    if not drift.features:
        raise ConfigError(
            "monitoring config: data_drift_detection.features is empty; list the features "
            "to compare (e.g. tenure, monthly_charges, contract_type)"
        )
    features = list(drift.features)
    for name, frame in (("reference", reference), ("inference log window", current)):
        missing = [f for f in features if f not in frame.columns]
        if missing:
            raise MonitoringInputError(
                f"the {name} lacks monitored features {missing}; it has {sorted(frame.columns)} "
                "(keep them in the inference log: batch inference keep_columns)"
            )
    prediction = config.prediction_column
    if drift.include_prediction and prediction not in features:
        if prediction in reference.columns and prediction in current.columns:
            features.append(prediction)
        else:
            notes.append(
                f"prediction drift skipped: the reference has no {prediction!r} column "
                "(use an earlier inference log version as the reference to compare predictions)"
            )
    return features, notes


def _logged_inputs(config: MonitoringConfig) -> list[str]:
    """The columns to read out of a serving inference table's request bodies (and the
    prediction out of its responses)."""
    drift = config.data_drift_detection
    names = [
        *(drift.features if drift else []),
        *((drift.categorical_features or []) if drift else []),
    ]
    return [*dict.fromkeys(names), config.prediction_column]


def _model_version(current: DataFrame, column: str) -> str | None:
    if column not in current.columns:
        return None
    # Distinct versions in the window: a handful of values, never the rows.
    versions = sorted(str(r[0]) for r in current.select(column).distinct().limit(20).collect())
    return ",".join(v for v in versions if v != "None") or None


def run_monitoring(
    runtime: Runtime,
    config: MonitoringConfig,
    *,
    window_end: datetime | None = None,
    run_at: datetime | None = None,
) -> MonitoringRunResult:
    """Run one monitoring pass (see the module docstring)."""
    from databricks_mlops.monitoring.drift import compute_drift

    if config.model_name is None:
        raise ConfigError("monitoring config: set model_name (the registered model monitored)")
    if config.inference_table is None:
        raise ConfigError("monitoring config: set inference_table (the batch inference log)")
    # Called from a notebook or a library too, not only through a task entry point: the
    # champion lookup must read this runtime's registry, not MLflow's default ./mlflow.db.
    runtime.configure_mlflow()
    run_at = utc(run_at or datetime.now(UTC))
    if not runtime.delta_exists(config.inference_table):
        raise MonitoringInputError(
            f"the inference log {config.inference_table} does not exist yet: run batch "
            "inference (mlops-score) first, or fix inference_table in the monitoring config"
        )
    notes: list[str] = []
    log = runtime.read_delta(config.inference_table)
    unpacked, logged_inputs = None, _logged_inputs(config)
    if is_payload_table(log):
        # A serving endpoint's inference table: one row per request, bodies as JSON.
        unpacked = unpack_payload(
            log,
            logged_inputs,
            timestamp_column=config.timestamp_column,
            prediction_column=config.prediction_column,
            model_version_column=config.model_version_column,
        )
        log = unpacked.frame
    window = select_window(log, config, run_at, window_end)
    if unpacked is not None:
        notes.append(request_counts(unpacked, window.condition))
    if window.rows == 0:
        raise MonitoringInputError(
            f"no rows of {config.inference_table} in window {window.window_id} "
            f"({config.timestamp_column}); nothing to monitor"
        )
    drift_result = None
    reference_rows = None
    drift_config = config.data_drift_detection
    if drift_config is not None:
        reference = read_reference(runtime, drift_config)
        current = window.frame
        if unpacked is not None:
            current = align_types(current, reference, logged_inputs)
        features, feature_notes = _drift_features(config, drift_config, reference, current)
        notes += feature_notes
        drift_result = compute_drift(
            reference,
            current,
            drift_config,
            features=features,
            categorical=drift_config.categorical_features,
        )
        reference_rows = drift_result.reference_rows
    else:
        notes.append("drift skipped: no data_drift_detection configured")
    performance = performance_of(config, window.frame, notes)
    summary = drift_summary(drift_result, config.prediction_column)
    breaches = find_breaches(config, drift_result, summary, performance)
    result = MonitoringRunResult(
        run_id=uuid.uuid4().hex,
        run_at=run_at,
        model_name=config.model_name,
        model_version=_model_version(window.frame, config.model_version_column),
        window_id=window.window_id,
        window_start=window.start,
        window_end=window.end,
        current_rows=window.rows,
        drift=drift_result,
        performance=performance,
        drift_summary=summary,
        breaches=breaches,
        metrics_table=metrics_table_of(config),
        metrics_version=-1,
        report_path="",
        notes=notes,
    )
    result.metrics_version = write_metrics(
        runtime, result.metrics_table, metric_rows(result, reference_rows)
    )
    result.report_path = _write_report(runtime, config, result)
    result.mlflow_run_id = _log_to_mlflow(runtime, config, result)
    if config.alerting is not None and breaches:
        from databricks_mlops.monitoring.alerts import AlertDispatcher

        state = Path(
            runtime.file_path(f"{config.alert_state_dir}/{path_segment(config.model_name)}.json")
        )
        dispatcher = AlertDispatcher(
            config.alerting, model_name=config.model_name, state_path=state
        )
        result.alert_outcome = dispatcher.notify(
            breaches,
            run_id=result.run_id,
            report_path=result.report_path,
            summary=summarise(result),
        )
    return result


def summarise(result: MonitoringRunResult) -> str:
    """One line for logs and alerts."""
    parts = [
        f"{result.model_name} v{result.model_version or '?'}: {result.current_rows} rows in "
        f"{result.window_id}",
        f"drift score {result.drift_score:.4f}",
    ]
    if result.drifting_features:
        parts.append(f"drifting: {', '.join(result.drifting_features)}")
    if result.performance is not None:
        shown = ", ".join(f"{k} {v:.4f}" for k, v in result.performance.metrics.items())
        parts.append(shown)
    return "; ".join(parts)


def _write_report(runtime: Runtime, config: MonitoringConfig, result: MonitoringRunResult) -> str:
    from databricks_mlops.monitoring.html_report import ReportContext, render_report
    from databricks_mlops.monitoring.metrics_table import MetricsTableError

    try:
        history = recent_rows(runtime, result.metrics_table, result.model_name)
    except MetricsTableError as exc:
        history = []
        result.notes.append(f"trends skipped: {exc}")
    context = ReportContext(
        model_name=result.model_name,
        model_version=result.model_version,
        run_id=result.run_id,
        run_at=result.run_at,
        window=result.window_id,
        drift_score=result.drift_score,
        drift_detected=result.drift_detected,
        breaches=[_describe(b) for b in result.breaches],
        notes=result.notes,
    )
    document = render_report(context, result.drift, result.performance, history)
    assert config.model_name is not None
    stamp = result.run_at.strftime("%Y%m%dT%H%M%SZ")
    target = f"{config.report_dir.rstrip('/')}/{path_segment(config.model_name)}/{stamp}_{result.run_id[:8]}.html"
    path = Path(runtime.file_path(target))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(document, encoding="utf-8")
    except OSError as exc:
        raise MonitoringRunError(
            f"Failed to write the monitoring report to {path}: {exc} (check report_dir)"
        ) from exc
    return str(path)


def _describe(breach: Breach) -> str:
    side = "above" if breach.direction == "above" else "below"
    return f"{breach.metric} = {breach.value:.4f} ({side} {breach.threshold:.4f})"


def _log_to_mlflow(runtime: Runtime, config: MonitoringConfig, result: MonitoringRunResult) -> str:
    """A run in the monitoring experiment with the summary metrics and the report."""
    import mlflow
    from mlflow.exceptions import MlflowException

    from databricks_mlops.model_training.tracking import ensure_experiment

    assert config.model_name is not None
    name = config.experiment_name or f"/Shared/monitoring/{config.model_name}"
    try:
        experiment_id = ensure_experiment(runtime, name)
        with mlflow.start_run(
            experiment_id=experiment_id, run_name=f"monitoring-{result.run_at:%Y%m%dT%H%M%S}"
        ) as run:
            mlflow.set_tags(
                {
                    "mlops.monitoring.model_name": result.model_name,
                    "mlops.monitoring.model_version": result.model_version or "",
                    "mlops.monitoring.run_id": result.run_id,
                    "mlops.monitoring.window_id": result.window_id,
                    "mlops.monitoring.drift_detected": str(result.drift_detected).lower(),
                }
            )
            values = dict(result.drift_summary)
            values["drifting_features"] = float(len(result.drifting_features))
            values["breaches"] = float(len(result.breaches))
            if result.performance is not None:
                values.update(result.performance.metrics)
            mlflow.log_metrics({k: v for k, v in values.items() if v == v})  # NaN is not loggable
            mlflow.log_artifact(result.report_path, artifact_path="monitoring")
            return str(run.info.run_id)
    except MlflowException as exc:
        raise MonitoringRunError(
            f"Failed to log the monitoring run of {config.model_name} to MLflow experiment "
            f"{name!r}: {exc}"
        ) from exc
