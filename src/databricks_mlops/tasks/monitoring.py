"""``mlops-monitor``: the check_drift task of the model_monitoring job.

One monitoring run. Drift is a finding, not a failure: the task succeeds and records
``drift_detected`` ("true" / "false": a condition_task compares strings) for the retraining
gate. Missing inputs (no inference log, no reference, an empty window) fail the task.

Databricks drops task values set from a python_wheel_task, so the outcome goes to the
run-state table (``--run_state_table``) keyed by ``--job_run_id={{job.run_id}}``; the job's
``drift_state`` notebook task reads it and sets the task value the condition reads.

Parameters: ``--config=...`` plus ``${...}`` variables (``--catalog=``, ``--schema=``), and
optionally ``--window_end=<ISO time>`` (the job passes ``{{job.start_time.iso_datetime}}``,
so a repaired run re-monitors the same window instead of a new one).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from databricks_mlops.tasks.arguments import TaskArguments, parse_task_arguments, run_task

if TYPE_CHECKING:
    from databricks_mlops.config.monitoring import MonitoringConfig
    from databricks_mlops.monitoring.monitoring_run import MonitoringRunResult


def _window_end(text: str) -> datetime | None:
    from databricks_mlops.errors import ConfigError

    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError as exc:
        raise ConfigError(
            f"--window_end={text!r} is not an ISO date-time (e.g. 2024-07-01T06:00:00)"
        ) from exc


def run_monitor(
    config: MonitoringConfig, window_end: datetime | None = None
) -> MonitoringRunResult:
    """The stage itself (``MLOpsWorkflow`` may call it too)."""
    from databricks_mlops.monitoring.monitor import ModelMonitor

    return ModelMonitor().run(config, window_end=window_end)


def drift_outcome(config: MonitoringConfig, result: MonitoringRunResult | None) -> str:
    """ "true" when the run found drift and the config retrains on drift, else "false"."""
    drift = result is not None and result.drift_detected and config.retrain_on_drift
    return "true" if drift else "false"


def _record_outcome(
    args: TaskArguments, table: str, config: MonitoringConfig, result: MonitoringRunResult | None
) -> None:
    from databricks_mlops.tasks.run_state import record_run_state

    if not args.job_run_id:
        return  # a run by hand: no job run for a gate to read
    values = {"drift_detected": drift_outcome(config, result)}
    if result is not None:
        values["drift_score"] = f"{result.drift_score:.6f}"
    record_run_state(table, args.job_run_id, values)


def print_summary(result: MonitoringRunResult) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"monitoring: {result.model_name} ({result.window_id})")
    for column in ("feature", "method", "score", "p-value", "threshold", "drifting"):
        table.add_column(column)
    if result.drift is not None:
        for item in result.drift.features:
            table.add_row(
                item.feature,
                item.method,
                f"{item.score:.4f}",
                "-" if item.p_value is None else f"{item.p_value:.4f}",
                f"{item.threshold:.4f}",
                "[bold red]yes[/]" if item.drifting else "no",
            )
    console = Console(width=120)
    console.print(table)
    if result.performance is not None:
        shown = ", ".join(f"{k} {v:.4f}" for k, v in result.performance.metrics.items())
        console.print(f"performance on {result.performance.labelled_rows} labelled rows: {shown}")
    for note in result.notes:
        console.print(f"note: {note}")
    verdict = "DRIFT DETECTED" if result.drift_detected else "no drift"
    console.print(
        f"{verdict}: drift score {result.drift_score:.4f}; {len(result.breaches)} breach(es); "
        f"metrics -> {result.metrics_table}; report -> {result.report_path}"
    )
    if result.alert_outcome is not None:
        outcome = result.alert_outcome
        console.print(
            f"alerts: {len(outcome.sent)} sent, {len(outcome.failed)} failed, "
            f"{len(outcome.suppressed)} suppressed"
        )


def monitor_main(argv: Sequence[str] | None = None, *, prog: str = "mlops-monitor") -> None:
    def body() -> None:
        from databricks_mlops.config.monitoring import MonitoringConfig
        from databricks_mlops.errors import ConfigError

        args = parse_task_arguments(prog, argv, options=("window_end", "run_state_table"))
        window_end = _window_end(args.options["window_end"])
        state_table = args.options["run_state_table"]
        if args.job_run_id and not state_table:
            raise ConfigError(
                "--job_run_id is given but --run_state_table is not: pass the table the "
                "drift_state notebook reads (e.g. --run_state_table=<catalog>.<schema>."
                "mlops_run_state)"
            )
        config = MonitoringConfig.from_yaml(args.config, args.variables)
        if not config.enabled:
            print(f"monitor: monitoring is disabled in {args.config}; nothing to do")
            _record_outcome(args, state_table, config, None)
            return
        result = run_monitor(config, window_end)
        print_summary(result)
        _record_outcome(args, state_table, config, result)

    run_task(body)
