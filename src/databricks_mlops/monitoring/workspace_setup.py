"""``setup_monitoring`` / ``get_status`` on Databricks, through databricks-sdk.

A scheduled job running ``mlops-monitor`` (created, or reset when one of the same name
exists) and, once the inference table exists, a Lakehouse Monitoring inference profile on
it (``quality_monitors``; created once, left alone afterwards).
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from databricks_mlops.config.monitoring import MonitoringConfig
from databricks_mlops.monitoring.errors import MonitoringSetupError
from databricks_mlops.monitoring.monitoring_run import metrics_table_of
from databricks_mlops.monitoring.scheduled_job import ENTRY_POINT, PACKAGE, MonitoringJob
from databricks_mlops.monitoring.status import MonitoringStatus, status_from_rows
from databricks_mlops.runtime.locations import path_segment

METRICS_TABLE_TAG = "mlops_metrics_table"

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient


def setup_on_databricks(
    client: WorkspaceClient,
    config: MonitoringConfig,
    job_name: str,
    schedule: str,
    pause_status: Literal["PAUSED", "UNPAUSED"],
    config_path: str | None,
    lakehouse_monitor: bool,
    *,
    wheel: str | None,
    environment_version: str,
    retrain_job_id: int | None = None,
) -> MonitoringJob:
    """Create or reset the scheduled job, and the quality monitor when its table exists."""
    from databricks.sdk.errors.base import DatabricksError
    from databricks.sdk.service import jobs

    assert config.model_name is not None
    notes: list[str] = []
    try:
        if retrain_job_id is not None:
            _check_retrain_job(client, retrain_job_id)
        if config_path is None:
            config_path = upload_config(client, config)
        state_table = run_state_table_of(config) if retrain_job_id is not None else None
        settings = job_settings(
            config,
            job_name,
            schedule,
            pause_status,
            config_path,
            wheel,
            environment_version,
            run_state_table=state_table,
        )
        if retrain_job_id is not None and state_table is not None:
            notebook = upload_drift_state_notebook(client)
            settings["tasks"] += retraining_tasks(retrain_job_id, notebook, state_table)
        existing = next(iter(client.jobs.list(name=job_name)), None)
        if existing is not None and existing.job_id is not None:
            client.jobs.reset(job_id=existing.job_id, new_settings=jobs.JobSettings(**settings))
            job_id, created = existing.job_id, False
        else:
            response = client.jobs.create(**settings)
            assert response.job_id is not None
            job_id, created = response.job_id, True
        monitor = None
        if lakehouse_monitor and config.inference_table:
            monitor = quality_monitor(client, config, notes)
    except (DatabricksError, TimeoutError, OSError) as exc:
        # TimeoutError: the SDK gave up retrying an unreachable host.
        raise MonitoringSetupError(
            f"Failed to set up monitoring job {job_name!r} on {client.config.host}: {exc}"
        ) from exc
    return MonitoringJob(
        job_id=str(job_id),
        job_name=job_name,
        schedule=schedule,
        pause_status=pause_status,
        created=created,
        config_path=config_path,
        quality_monitor=monitor,
        notes=notes,
    )


def _check_retrain_job(client: WorkspaceClient, job_id: int) -> None:
    from databricks.sdk.errors import NotFound

    try:
        client.jobs.get(job_id=job_id)
    except NotFound as exc:
        raise MonitoringSetupError(
            f"retrain_job_id={job_id}: no such job in {client.config.host} (pass the id of "
            "the model_training job, e.g. from `databricks bundle summary`)"
        ) from exc


def retraining_tasks(retrain_job_id: int, notebook_path: str, state_table: str) -> list[Any]:
    """The bundle's retraining loop. ``check_drift`` (a wheel task) cannot set task values
    on Databricks, so it records ``drift_detected`` for its job run in ``state_table``; the
    ``drift_state`` notebook reads it back and sets the task value the condition gates on."""
    from databricks.sdk.service import jobs

    return [
        jobs.Task(
            task_key="drift_state",
            depends_on=[jobs.TaskDependency(task_key="check_drift")],
            notebook_task=jobs.NotebookTask(
                notebook_path=notebook_path,
                base_parameters={"job_run_id": "{{job.run_id}}", "run_state_table": state_table},
            ),
        ),
        jobs.Task(
            task_key="drift_gate",
            depends_on=[jobs.TaskDependency(task_key="drift_state")],
            condition_task=jobs.ConditionTask(
                op=jobs.ConditionTaskOp.EQUAL_TO,
                left="{{tasks.drift_state.values.drift_detected}}",
                right="true",
            ),
        ),
        jobs.Task(
            task_key="retrain",
            depends_on=[jobs.TaskDependency(task_key="drift_gate", outcome="true")],
            run_job_task=jobs.RunJobTask(job_id=retrain_job_id),
        ),
    ]


def run_state_table_of(config: MonitoringConfig) -> str:
    """``<catalog>.<schema>.mlops_run_state`` beside the metrics table: where check_drift
    hands ``drift_detected`` to the drift_state notebook."""
    metrics_table = metrics_table_of(config)
    if metrics_table.count(".") != 2 or "/" in metrics_table:
        raise MonitoringSetupError(
            f"retrain_job_id needs a Unity Catalog metrics table (catalog.schema.table) for "
            f"the run state the retraining condition reads; got {metrics_table!r}"
        )
    catalog_name, schema, _ = metrics_table.split(".")
    return f"{catalog_name}.{schema}.mlops_run_state"


def upload_drift_state_notebook(client: WorkspaceClient) -> str:
    """The notebook that sets ``drift_detected`` (the one the bundles ship), imported as
    a Python notebook into the caller's monitoring folder."""
    from importlib.resources import files

    from databricks.sdk.service.workspace import ImportFormat, Language

    source = files("databricks_mlops.monitoring").joinpath("notebooks/drift_gate.py")
    folder = monitoring_folder(client)
    path = f"{folder}/drift_state"
    client.workspace.mkdirs(folder)
    client.workspace.upload(
        path,
        io.BytesIO(source.read_bytes()),
        format=ImportFormat.SOURCE,
        language=Language.PYTHON,
        overwrite=True,
    )
    return path


def monitoring_folder(client: WorkspaceClient) -> str:
    """The caller's own folder for what monitoring keeps in the workspace. The job reads
    its config from here every run: under /Workspace/Shared any user could rewrite the
    thresholds or the alert recipients."""
    user_name = client.current_user.me().user_name
    return f"/Workspace/Users/{user_name}/.mlops/monitoring"


def upload_config(client: WorkspaceClient, config: MonitoringConfig) -> str:
    import yaml
    from databricks.sdk.service.workspace import ImportFormat

    assert config.model_name is not None
    channels = config.alerting.notification_channels if config.alerting else []
    if any(channel.type != "email" for channel in channels):
        # The config object only holds the resolved secret; writing it to a workspace
        # file would leak it, and writing the mask would break delivery.
        raise MonitoringSetupError(
            "the monitoring config has Slack/webhook channels whose URLs are secrets: "
            "upload a YAML that reads them from ${VARIABLES} and pass its workspace path "
            "as setup_monitoring(config, config_path=...)"
        )
    folder = monitoring_folder(client)
    path = f"{folder}/{path_segment(config.model_name)}.yml"
    text = yaml.safe_dump(config.model_dump(mode="json", exclude_none=True), sort_keys=False)
    client.workspace.mkdirs(folder)
    client.workspace.upload(
        path, io.BytesIO(text.encode()), format=ImportFormat.AUTO, overwrite=True
    )
    return path


def job_settings(
    config: MonitoringConfig,
    job_name: str,
    schedule: str,
    pause_status: str,
    config_path: str,
    wheel: str | None,
    environment_version: str,
    *,
    run_state_table: str | None = None,
) -> dict[str, Any]:
    """Keyword arguments of ``jobs.create`` (and of ``JobSettings`` for a reset).

    With ``run_state_table`` check_drift records its outcome there, keyed by the job run
    (the retraining loop's drift_state notebook reads it back)."""
    from databricks.sdk.service import compute, jobs

    wheel = wheel or f"databricks-mlops=={_package_version()}"
    parameters = {"config": config_path, "window_end": "{{job.start_time.iso_datetime}}"}
    if run_state_table is not None:
        parameters |= {"job_run_id": "{{job.run_id}}", "run_state_table": run_state_table}
    return dict(
        name=job_name,
        max_concurrent_runs=1,
        tags={
            "stage": "model_monitoring",
            "mlops_model": path_segment(config.model_name or ""),
            # Where get_status reads the runs' metrics (through a SQL warehouse).
            METRICS_TABLE_TAG: metrics_table_of(config),
        },
        schedule=jobs.CronSchedule(
            quartz_cron_expression=schedule,
            timezone_id="UTC",
            pause_status=jobs.PauseStatus(pause_status),
        ),
        environments=[
            jobs.JobEnvironment(
                environment_key="default",
                spec=compute.Environment(
                    environment_version=environment_version, dependencies=[wheel]
                ),
            )
        ],
        tasks=[
            jobs.Task(
                task_key="check_drift",
                environment_key="default",
                python_wheel_task=jobs.PythonWheelTask(
                    package_name=PACKAGE,
                    entry_point=ENTRY_POINT,
                    named_parameters=parameters,
                ),
            )
        ],
    )


def quality_monitor(
    client: WorkspaceClient, config: MonitoringConfig, notes: list[str]
) -> str | None:
    from databricks.sdk.errors import NotFound
    from databricks.sdk.service import catalog

    table = config.inference_table
    assert table is not None and config.model_name is not None
    if table.count(".") != 2 or "/" in table:
        notes.append(f"no quality monitor: {table} is not a Unity Catalog table name")
        return None
    if not client.tables.exists(full_name=table).table_exists:
        notes.append(
            f"quality monitor deferred: {table} does not exist yet; run setup_monitoring "
            "again after the first batch inference"
        )
        return None
    try:
        client.quality_monitors.get(table_name=table)
        notes.append(f"quality monitor on {table} already exists")
        return table
    except NotFound:
        pass
    problem = (
        catalog.MonitorInferenceLogProblemType.PROBLEM_TYPE_CLASSIFICATION
        if config.model_type == "classification"
        else catalog.MonitorInferenceLogProblemType.PROBLEM_TYPE_REGRESSION
    )
    catalog_name, schema, _ = table.split(".")
    client.quality_monitors.create(
        table_name=table,
        output_schema_name=f"{catalog_name}.{schema}",
        assets_dir=f"{monitoring_folder(client)}/{path_segment(config.model_name)}",
        inference_log=catalog.MonitorInferenceLog(
            problem_type=problem,
            timestamp_col=config.timestamp_column,
            granularities=["1 day"],
            prediction_col=config.prediction_column,
            model_id_col=config.model_version_column,
            label_col=config.label_column,
        ),
    )
    return table


def databricks_status(
    client: WorkspaceClient, model_name: str, warehouse_id: str | None = None
) -> MonitoringStatus:
    from databricks.sdk.errors.base import DatabricksError

    job_name = f"model_monitoring-{model_name}"
    try:
        job = next(iter(client.jobs.list(name=job_name)), None)
        if job is None or job.job_id is None:
            raise MonitoringSetupError(
                f"no monitoring job {job_name!r} in {client.config.host}: call "
                "setup_monitoring(config) first"
            )
        run = next(iter(client.jobs.list_runs(job_id=job.job_id, limit=1)), None)
    except (DatabricksError, TimeoutError, OSError) as exc:
        raise MonitoringSetupError(
            f"Failed to read the monitoring job of {model_name}: {exc}"
        ) from exc
    schedule = job.settings.schedule if job.settings else None
    status = MonitoringStatus(
        model_name=model_name,
        job_id=str(job.job_id),
        schedule=schedule.quartz_cron_expression if schedule else None,
        last_run_status="NO_RUNS",
    )
    if warehouse_id:
        table = ((job.settings.tags if job.settings else None) or {}).get(METRICS_TABLE_TAG)
        if not table:
            raise MonitoringSetupError(
                f"the monitoring job {job_name!r} has no {METRICS_TABLE_TAG} tag (set up "
                "by an older version): run setup_monitoring(config) again"
            )
        # The job's own state and start time (below) stay those of its last run, which
        # may be newer than the last run that completed and wrote metrics.
        status = status_from_rows(model_name, metric_rows(client, warehouse_id, table, model_name))
        status.job_id = str(job.job_id)
        status.schedule = schedule.quartz_cron_expression if schedule else None
    if run is not None and run.state is not None:
        state = run.state.result_state or run.state.life_cycle_state
        status.last_run_status = state.value if state is not None else "UNKNOWN"
        if run.start_time:
            status.last_run_at = datetime.fromtimestamp(run.start_time / 1000)
    return status


_METRIC_COLUMNS = (
    "run_id",
    "run_at",
    "window_id",
    "model_version",
    "kind",
    "metric",
    "value",
    "flagged",
    "details",
)


def metric_rows(
    client: WorkspaceClient, warehouse_id: str, table: str, model_name: str
) -> list[dict[str, Any]]:
    """The summary and performance rows of the model's last monitoring run, through the
    SQL Statement Execution API (the model name is a bound parameter, the table a
    quoted identifier)."""
    from databricks.sdk.errors.base import DatabricksError
    from databricks.sdk.service.sql import (
        ExecuteStatementRequestOnWaitTimeout,
        StatementParameterListItem,
        StatementState,
    )

    quoted = ".".join("`" + part.replace("`", "``") + "`" for part in table.split("."))
    statement = (
        f"SELECT {', '.join(_METRIC_COLUMNS)} FROM {quoted} "
        "WHERE model_name = :model AND kind IN ('summary', 'performance') AND run_id = ("
        f"SELECT run_id FROM {quoted} WHERE model_name = :model ORDER BY run_at DESC LIMIT 1) "
        "ORDER BY kind, metric"
    )
    try:
        response = client.statement_execution.execute_statement(
            statement=statement,
            warehouse_id=warehouse_id,
            parameters=[StatementParameterListItem(name="model", value=model_name)],
            wait_timeout="30s",
            on_wait_timeout=ExecuteStatementRequestOnWaitTimeout.CANCEL,
        )
    except (DatabricksError, TimeoutError, OSError) as exc:
        raise MonitoringSetupError(
            f"Failed to read {table} through SQL warehouse {warehouse_id}: {exc}"
        ) from exc
    state = response.status.state if response.status else None
    if state != StatementState.SUCCEEDED:
        error = response.status.error if response.status else None
        message = error.message if error and error.message else "no result within 30 s"
        raise MonitoringSetupError(
            f"Reading {table} through SQL warehouse {warehouse_id} ended "
            f"{state.value if state else 'UNKNOWN'}: {message}"
        )
    data = (response.result.data_array if response.result else None) or []
    return [_typed_metric_row(dict(zip(_METRIC_COLUMNS, values, strict=True))) for values in data]


def _typed_metric_row(row: dict[str, Any]) -> dict[str, Any]:
    # JSON_ARRAY results are strings (or null) whatever the column type.
    row["value"] = None if row["value"] is None else float(row["value"])
    row["flagged"] = str(row["flagged"]).lower() == "true"
    row["run_at"] = datetime.fromisoformat(str(row["run_at"]).replace("Z", "+00:00"))
    return row


def _package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("databricks-mlops")
    except PackageNotFoundError:
        return "0.1.0"
