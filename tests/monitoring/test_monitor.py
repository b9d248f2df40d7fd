"""ModelMonitor: the seed's example locally, and setup_monitoring against a recording
Databricks workspace on 127.0.0.1 (the real databricks-sdk client talks to it)."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import numpy as np
import pandas as pd
import pytest
import yaml
from pyspark.sql import SparkSession

from databricks_mlops.config.monitoring import AlertConfig, DriftConfig, MonitoringConfig
from databricks_mlops.datasets import generate_churn
from databricks_mlops.monitoring.monitor import (
    LOCAL_JOB_ID,
    ModelMonitor,
    MonitoringSetupError,
    quartz_schedule,
)
from databricks_mlops.runtime import Runtime
from databricks_mlops.runtime.local_spark import spark_connect_requested
from databricks_mlops.utils.auth import WorkspaceConfig

REPO = Path(__file__).resolve().parents[2]
SCHEMA = "main.monitor_api"
DRIFT_STATE_NOTEBOOK = "src/databricks_mlops/monitoring/notebooks/drift_gate.py"
MODEL = f"{SCHEMA}.churn_model"
OWNER = "monitor-owner@example.com"  # who the token belongs to (SCIM Me)
FEATURES = ["tenure", "monthly_charges", "contract_type"]


def seed_config(**overrides: Any) -> MonitoringConfig:
    """The product description's example, plus where the inference log is."""
    return MonitoringConfig(  # type: ignore[call-arg]
        model_name=MODEL,
        reference_dataset=f"{SCHEMA}.reference",
        metrics=["accuracy", "f1_score", "precision", "recall"],
        feature_drift=DriftConfig(
            features=FEATURES, drift_methods=["wasserstein", "ks_test"], threshold=0.05
        ),
        alerts=AlertConfig(thresholds={"accuracy": 0.85, "drift_score": 0.10}),
        schedule="0 */6 * * *",
        inference_table=f"{SCHEMA}.inference_log",
        label_column="churn",
        experiment_name="/tests/monitor_api",
        **overrides,
    )


# --- schedules ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schedule", "interval", "quartz"),
    [
        ("0 */6 * * *", 60, "0 0 */6 * * ?"),
        ("30 2 * * 1-5", 60, "0 30 2 ? * 2-6"),
        ("0 0 12 * * ?", 60, "0 0 12 * * ?"),
        (None, 15, "0 0/15 * * * ?"),
        (None, 120, "0 0 0/2 * * ?"),
        (None, 60, "0 0 * * * ?"),
        (None, 1440, "0 0 0 * * ?"),
    ],
)
def test_schedule_becomes_quartz(schedule: str | None, interval: int, quartz: str) -> None:
    config = MonitoringConfig(
        metrics=["accuracy"], schedule=schedule, monitoring_interval_minutes=interval
    )
    assert quartz_schedule(config) == quartz


def test_schedules_without_a_quartz_form_are_refused() -> None:
    with pytest.raises(MonitoringSetupError, match="does not divide an hour or a day"):
        quartz_schedule(MonitoringConfig(metrics=["a"], monitoring_interval_minutes=45 * 3))
    with pytest.raises(MonitoringSetupError, match="only one of them"):
        quartz_schedule(MonitoringConfig(metrics=["a"], schedule="0 0 1 * 1"))


# --- local ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def monitored_tables(spark: SparkSession, runtime: Runtime) -> None:
    reference = generate_churn(2000, 1, "reference")[FEATURES]
    runtime.save_table(
        spark.createDataFrame(reference).write.format("delta").mode("overwrite"),
        f"{SCHEMA}.reference",
    )
    log = generate_churn(1000, 2, "current")[["customer_id", *FEATURES, "churn"]]
    probability = np.random.default_rng(2).uniform(0, 1, len(log))
    log = log.assign(
        probability=probability,
        prediction=(probability > 0.5).astype(float),
        model_version="2",
        scored_at=pd.Timestamp(datetime(2024, 7, 2)),
    )
    runtime.save_table(
        spark.createDataFrame(log).write.format("delta").mode("overwrite"),
        f"{SCHEMA}.inference_log",
    )


@pytest.mark.skipif(
    spark_connect_requested(),
    reason="the documented example keeps the default report_dir (dbfs:/mlops/...), which "
    "serverless semantics refuse (tests/runtime/test_dbfs_root_on_serverless.py)",
)
def test_seed_example_locally(monitored_tables: None, runtime: Runtime) -> None:
    monitor = ModelMonitor()  # no workspace: the local backends
    with pytest.raises(MonitoringSetupError, match="no monitoring recorded for"):
        monitor.get_status(model_name=MODEL)
    job = monitor.setup_monitoring(config=seed_config())
    assert job.job_id == LOCAL_JOB_ID
    assert job.schedule == "0 0 */6 * * ?" and job.created
    record = json.loads((runtime.home / "monitoring" / f"{MODEL}.json").read_text())
    assert record["schedule"] == "0 0 */6 * * ?"
    assert record["metrics_table"] == f"{SCHEMA}.inference_log_monitoring"
    assert monitor.setup_monitoring(config=seed_config()).created is False
    assert monitor.get_status(MODEL).last_run_status == "NO_RUNS"

    result = monitor.run(seed_config())
    status = monitor.get_status(model_name=MODEL)
    assert f"Current drift score: {status.metrics.drift_score:.4f}" == (
        f"Current drift score: {result.drift_score:.4f}"
    )
    assert status.last_run_status == "SUCCESS"
    assert status.last_run_id == result.run_id
    assert status.job_id == LOCAL_JOB_ID
    assert status.drift_detected and status.model_version == "2"
    assert set(status.metrics.drifting_features) == set(FEATURES)
    assert status.metrics.accuracy == pytest.approx(result.performance.metrics["accuracy"])  # type: ignore[union-attr]
    assert "accuracy" in status.breaches and "drift_score" in status.breaches
    assert status.report_path == result.report_path
    history = monitor.history(MODEL)
    assert history.select("run_id").distinct().count() == 1
    # two methods per feature (categorical ones mapped to chi_squared / jensen_shannon)
    assert history.where("kind = 'drift'").count() == 2 * len(FEATURES)


# --- Databricks, against a recording workspace ----------------------------------------------

Route = Callable[[dict[str, Any]], tuple[int, dict[str, Any]]]


class RecordingWorkspace:
    """Just enough of the Databricks REST API, recording every request."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.jobs: dict[int, dict[str, Any]] = {}
        self.tables: set[str] = set()
        self.monitors: dict[str, dict[str, Any]] = {}
        # What a SQL warehouse answers to the next statement (JSON_ARRAY rows, or a failure).
        self.statement_rows: list[list[str | None]] = []
        self.statement_error: str | None = None
        routes: list[tuple[str, re.Pattern[str], Route]] = [
            ("POST", re.compile(r"/api/2\.0/workspace/(mkdirs|import)$"), lambda r: (200, {})),
            ("GET", re.compile(r"/api/2\.0/preview/scim/v2/Me$"), lambda r: (200, {"userName": OWNER})),
            ("GET", re.compile(r"/api/2\.2/jobs/list$"), self._list_jobs),
            ("POST", re.compile(r"/api/2\.2/jobs/create$"), self._create_job),
            ("GET", re.compile(r"/api/2\.2/jobs/get$"), self._get_job),
            ("POST", re.compile(r"/api/2\.2/jobs/reset$"), self._reset_job),
            ("GET", re.compile(r"/api/2\.2/jobs/runs/list$"), self._list_runs),
            ("GET", re.compile(r"/api/2\.1/unity-catalog/tables/(?P<t>[^/]+)/exists$"), self._exists),
            ("GET", re.compile(r"/api/2\.1/unity-catalog/tables/(?P<t>[^/]+)/monitor$"), self._monitor),
            ("POST", re.compile(r"/api/2\.1/unity-catalog/tables/(?P<t>[^/]+)/monitor$"), self._create_monitor),
            ("POST", re.compile(r"/api/2\.0/sql/statements$"), self._statement),
        ]  # fmt: skip
        workspace = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self, method: str) -> None:
                url = urlparse(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else {}
                except ValueError:
                    body = {"raw": raw.decode("latin-1")}
                request = {
                    "method": method,
                    "path": url.path,
                    "query": parse_qs(url.query),
                    "body": body,
                }
                status, answer = 404, {"error_code": "NOT_FOUND", "message": f"no route {url.path}"}
                for verb, pattern, route in routes:
                    match = pattern.match(url.path)
                    if verb == method and match:
                        workspace.requests.append(request)
                        status, answer = route({**request, **match.groupdict()})
                        break
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.host = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def calls(self, method: str, suffix: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["method"] == method and r["path"].endswith(suffix)]

    def _list_jobs(self, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        name = request["query"].get("name", [None])[0]
        found = [
            {"job_id": job_id, "settings": settings}
            for job_id, settings in self.jobs.items()
            if name is None or settings.get("name") == name
        ]
        return 200, {"jobs": found, "has_more": False}

    def _create_job(self, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        job_id = 1000 + len(self.jobs)
        self.jobs[job_id] = request["body"]
        return 200, {"job_id": job_id}

    def _get_job(self, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        job_id = int(request["query"]["job_id"][0])
        if job_id not in self.jobs:
            return 404, {
                "error_code": "RESOURCE_DOES_NOT_EXIST",
                "message": f"Job {job_id} does not exist.",
            }
        return 200, {"job_id": job_id, "settings": self.jobs[job_id]}

    def _reset_job(self, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.jobs[request["body"]["job_id"]] = request["body"]["new_settings"]
        return 200, {}

    def _list_runs(self, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        run = {
            "run_id": 7,
            "start_time": 1719900000000,
            "state": {"life_cycle_state": "TERMINATED", "result_state": "SUCCESS"},
        }
        return 200, {"runs": [run], "has_more": False}

    def _statement(self, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if self.statement_error:
            status = {"state": "FAILED", "error": {"message": self.statement_error}}
            return 200, {"statement_id": "s-1", "status": status}
        return 200, {
            "statement_id": "s-1",
            "status": {"state": "SUCCEEDED"},
            "result": {"data_array": self.statement_rows, "row_count": len(self.statement_rows)},
        }

    def _exists(self, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return 200, {"table_exists": request["t"] in self.tables}

    def _monitor(self, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if request["t"] in self.monitors:
            return 200, self.monitors[request["t"]]
        return 404, {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "no monitor"}

    def _create_monitor(self, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.monitors[request["t"]] = {"table_name": request["t"], **request["body"]}
        return 200, self.monitors[request["t"]]


@pytest.fixture
def workspace() -> Iterator[RecordingWorkspace]:
    server = RecordingWorkspace()
    yield server
    server.server.shutdown()


def remote_monitor(server: RecordingWorkspace) -> ModelMonitor:
    config = WorkspaceConfig(host=server.host, token="dapi-test")
    return ModelMonitor(config, retry_timeout_seconds=5, wheel="/Workspace/Shared/x.whl")


def test_setup_creates_the_job_then_the_quality_monitor_once_the_table_exists(
    workspace: RecordingWorkspace,
) -> None:
    monitor = remote_monitor(workspace)
    job = monitor.setup_monitoring(seed_config())
    assert job.created and job.job_id == "1000"
    assert job.quality_monitor is None
    assert "quality monitor deferred" in job.notes[0]
    assert job.config_path == f"/Workspace/Users/{OWNER}/.mlops/monitoring/{MODEL}.yml"
    created = workspace.calls("POST", "/jobs/create")[0]["body"]
    assert created["name"] == f"model_monitoring-{MODEL}"
    assert created["schedule"] == {
        "quartz_cron_expression": "0 0 */6 * * ?",
        "timezone_id": "UTC",
        "pause_status": "UNPAUSED",
    }
    task = created["tasks"][0]
    assert task["python_wheel_task"]["entry_point"] == "mlops-monitor"
    assert task["python_wheel_task"]["named_parameters"]["config"] == job.config_path
    assert created["environments"][0]["spec"]["dependencies"] == ["/Workspace/Shared/x.whl"]
    assert workspace.calls("POST", "/workspace/import")  # the config was uploaded
    assert not workspace.calls("POST", "/monitor")

    workspace.tables.add(f"{SCHEMA}.inference_log")
    again = monitor.setup_monitoring(seed_config(), pause_status="PAUSED")
    assert not again.created and again.job_id == "1000"  # reset, not a second job
    assert len(workspace.jobs) == 1
    reset = workspace.calls("POST", "/jobs/reset")[0]["body"]
    assert reset["new_settings"]["schedule"]["pause_status"] == "PAUSED"
    assert again.quality_monitor == f"{SCHEMA}.inference_log"
    profile = workspace.calls("POST", "/monitor")[0]["body"]
    assert profile["output_schema_name"] == SCHEMA
    assert profile["assets_dir"] == f"/Workspace/Users/{OWNER}/.mlops/monitoring/{MODEL}"
    assert profile["inference_log"] == {
        "problem_type": "PROBLEM_TYPE_CLASSIFICATION",
        "timestamp_col": "scored_at",
        "granularities": ["1 day"],
        "prediction_col": "prediction",
        "model_id_col": "model_version",
        "label_col": "churn",
    }
    # a third setup leaves the existing monitor alone
    monitor.setup_monitoring(seed_config())
    assert len(workspace.calls("POST", "/monitor")) == 1

    status = monitor.get_status(MODEL)
    assert status.job_id == "1000" and status.last_run_status == "SUCCESS"
    assert status.schedule == "0 0 */6 * * ?"


def test_status_on_databricks_reads_the_metrics_through_a_sql_warehouse(
    workspace: RecordingWorkspace,
) -> None:
    monitor = remote_monitor(workspace)
    monitor.setup_monitoring(seed_config(), lakehouse_monitor=False)
    table = workspace.calls("POST", "/jobs/create")[0]["body"]["tags"]["mlops_metrics_table"]
    assert table == f"{SCHEMA}.inference_log_monitoring"
    # JSON_ARRAY rows: run_id, run_at, window_id, model_version, kind, metric, value,
    # flagged, details (every value a string).
    run = ["r-9", "2026-11-27T06:00:00.000Z", "w-9", "3"]
    workspace.statement_rows = [
        [*run, "performance", "accuracy", "0.71", "true", None],
        [*run, "summary", "breaches", None, "true", '["accuracy", "drift_score"]'],
        [*run, "summary", "drift_score", "0.5", "true", None],
        [*run, "summary", "drifting_features", None, "false", '["tenure"]'],
    ]

    status = monitor.get_status(MODEL, warehouse_id="wh-1")

    assert status.job_id == "1000" and status.schedule == "0 0 */6 * * ?"
    assert status.last_run_status == "SUCCESS"  # the job's last run (runs/list)
    assert status.last_run_id == "r-9" and status.model_version == "3"
    assert status.drift_detected and status.metrics.drift_score == 0.5
    assert status.metrics.drifting_features == ["tenure"]
    assert status.metrics.accuracy == 0.71
    assert status.breaches == ["accuracy", "drift_score"]
    sent = workspace.calls("POST", "/sql/statements")[0]["body"]
    assert sent["warehouse_id"] == "wh-1"
    # The table is a quoted identifier, the model a bound parameter.
    assert (
        f"FROM `{SCHEMA.split('.')[0]}`.`{SCHEMA.split('.')[1]}`.`inference_log_monitoring`"
        in sent["statement"]
    )
    assert MODEL not in sent["statement"]
    assert sent["parameters"] == [{"name": "model", "value": MODEL}]

    # No warehouse: the job's state only, and no SQL.
    assert monitor.get_status(MODEL).metrics.drift_score == 0.0
    assert len(workspace.calls("POST", "/sql/statements")) == 1

    workspace.statement_error = "TABLE_OR_VIEW_NOT_FOUND"
    with pytest.raises(MonitoringSetupError, match="ended FAILED: TABLE_OR_VIEW_NOT_FOUND"):
        monitor.get_status(MODEL, warehouse_id="wh-1")


def test_setup_with_a_retrain_job_adds_the_gated_retraining_loop(
    workspace: RecordingWorkspace,
) -> None:
    monitor = remote_monitor(workspace)
    with pytest.raises(MonitoringSetupError, match="retrain_job_id=4242: no such job"):
        monitor.setup_monitoring(seed_config(), lakehouse_monitor=False, retrain_job_id=4242)
    assert not workspace.calls("POST", "/jobs/create")  # nothing created on a bad id

    workspace.jobs[4242] = {"name": "model_training"}
    monitor.setup_monitoring(seed_config(), lakehouse_monitor=False, retrain_job_id=4242)

    tasks = {t["task_key"]: t for t in workspace.calls("POST", "/jobs/create")[0]["body"]["tasks"]}
    assert list(tasks) == ["check_drift", "drift_state", "drift_gate", "retrain"]
    # The same graph as the bundle's model_monitoring job.
    bundle_job = yaml.safe_load((REPO / "resources/model_monitoring.job.yml").read_text())
    bundle_tasks = {
        t["task_key"]: t for t in bundle_job["resources"]["jobs"]["model_monitoring"]["tasks"]
    }
    for key in ("drift_state", "drift_gate", "retrain"):
        assert tasks[key]["depends_on"] == bundle_tasks[key]["depends_on"]
    assert tasks["drift_gate"]["condition_task"] == bundle_tasks["drift_gate"]["condition_task"]
    assert tasks["retrain"]["run_job_task"] == {"job_id": 4242}
    # check_drift records drift_detected for its job run where the notebook reads it,
    # and the notebook is the bundle's own, imported as a Python notebook.
    state_table = f"{SCHEMA}.mlops_run_state"
    check = tasks["check_drift"]["python_wheel_task"]["named_parameters"]
    assert check["job_run_id"] == "{{job.run_id}}"
    assert check["run_state_table"] == state_table
    notebook = tasks["drift_state"]["notebook_task"]
    assert notebook["base_parameters"] == {
        "job_run_id": "{{job.run_id}}",
        "run_state_table": state_table,
    }
    uploads = [c["body"]["raw"] for c in workspace.calls("POST", "/workspace/import")]
    (uploaded,) = [raw for raw in uploads if notebook["notebook_path"] in raw]
    fields = multipart_fields(uploaded)
    assert (fields["format"], fields["language"]) == ("SOURCE", "PYTHON")
    assert fields["content"] == (REPO / DRIFT_STATE_NOTEBOOK).read_text()


def multipart_fields(raw: str) -> dict[str, str]:
    """The named parts of a multipart/form-data body (what the SDK's upload sends)."""
    boundary = raw.split("\r\n", 1)[0]
    fields = {}
    for part in raw.split(boundary)[1:-1]:
        # Each part sits between "<boundary>\r\n" and "\r\n<boundary>".
        head, _, value = part.removeprefix("\r\n").removesuffix("\r\n").partition("\r\n\r\n")
        name = re.search(r'name="([^"]+)"', head)
        assert name is not None, head
        fields[name.group(1)] = value
    return fields


def test_the_retraining_loop_needs_a_unity_catalog_table_for_its_run_state(
    workspace: RecordingWorkspace,
) -> None:
    workspace.jobs[4242] = {"name": "model_training"}
    config = seed_config().model_copy(update={"inference_table": "/Volumes/main/ml/raw/log"})
    with pytest.raises(MonitoringSetupError, match="needs a Unity Catalog metrics table"):
        remote_monitor(workspace).setup_monitoring(
            config, lakehouse_monitor=False, retrain_job_id=4242
        )
    assert not workspace.calls("POST", "/jobs/create")


def test_secret_channels_need_a_config_file_on_databricks(workspace: RecordingWorkspace) -> None:
    config = seed_config().model_copy(
        update={"alerting": AlertConfig(slack_webhook="https://hooks.slack.com/x")}  # type: ignore[call-arg]
    )
    with pytest.raises(MonitoringSetupError, match="pass its workspace path"):
        remote_monitor(workspace).setup_monitoring(config)
    job = remote_monitor(workspace).setup_monitoring(
        config,
        config_path="/Workspace/Users/ml-team@example.com/monitoring.yml",
        lakehouse_monitor=False,
    )
    assert job.config_path == "/Workspace/Users/ml-team@example.com/monitoring.yml"
    assert not workspace.calls("POST", "/workspace/import")


def test_workspace_errors_name_the_job(workspace: RecordingWorkspace) -> None:
    workspace.server.shutdown()
    workspace.server.server_close()
    with pytest.raises(MonitoringSetupError, match="Failed to set up monitoring job"):
        remote_monitor(workspace).setup_monitoring(seed_config(), config_path="/x.yml")
