"""mlops-monitor and the model_monitoring job of the root bundle, run by the local runner."""

from __future__ import annotations

import io
import json
import re
import threading
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from pyspark.sql import SparkSession
from rich.console import Console

from databricks_mlops.config.monitoring import MonitoringConfig
from databricks_mlops.datasets import generate_churn
from databricks_mlops.monitoring.monitor import quartz_schedule
from databricks_mlops.runner import load_bundle
from databricks_mlops.runner.executor import run_job
from databricks_mlops.runner.results import TaskStatus
from databricks_mlops.runtime import Runtime
from databricks_mlops.tasks.monitoring import monitor_main
from databricks_mlops.tasks.run_state import read_run_state

REPO = Path(__file__).resolve().parents[2]
COLUMNS = ["customer_id", "tenure", "monthly_charges", "contract_type", "churn"]


def write(spark: SparkSession, runtime: Runtime, frame: pd.DataFrame, name: str) -> None:
    runtime.save_table(spark.createDataFrame(frame).write.format("delta").mode("overwrite"), name)


def scored(frame: pd.DataFrame, at: datetime) -> pd.DataFrame:
    """An inference log of a perfect model (prediction = label) scored at ``at``."""
    label = frame["churn"].astype(float)
    return frame.assign(
        prediction=label,
        probability=0.1 + 0.8 * label,
        model_version="1",
        scored_at=pd.Timestamp(at),
    )


class Receiver:
    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        bodies = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/alerts"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.server.shutdown()


@pytest.fixture(scope="module")
def schema(spark: SparkSession, runtime: Runtime) -> str:
    """The tables configs/monitoring.yml reads, in a schema of their own: the training
    table (version 0 is the drift reference) and an inference log of the same customers."""
    name = "monitor_task"
    reference = generate_churn(1500, 1, "reference")[COLUMNS]
    write(spark, runtime, reference, f"main.{name}.customers_bronze")
    write(
        spark, runtime, scored(reference, datetime(2024, 7, 1)), f"main.{name}.churn_inference_log"
    )
    return name


def args(schema: str, receiver: Receiver, **extra: str) -> list[str]:
    values = {
        "config": str(REPO / "configs" / "monitoring.yml"),
        "catalog": "main",
        "schema": schema,
        "experiment_name": "/tests/monitor_task",
        "alert_webhook_url": receiver.url,
        **extra,
    }
    return [f"--{key}={value}" for key, value in values.items()]


def test_no_drift_records_false_for_the_job_run_and_prints_the_summary(
    schema: str, receiver: Receiver, capsys: pytest.CaptureFixture[str]
) -> None:
    state = f"main.{schema}.mlops_run_state"
    monitor_main(
        args(
            schema, receiver, window_end="2024-07-02T00:00:00",
            job_run_id="job-run-steady", run_state_table=state,
        )
    )  # fmt: skip
    assert read_run_state(state, "job-run-steady", "drift_detected") == "false"
    assert read_run_state(state, "job-run-steady", "drift_score") == "0.000000"
    out = capsys.readouterr().out
    # The summary line wraps at the console width: the path may span two lines.
    found = re.search(r"report ->\s*(\S+?\.html)", out.replace("\n", ""))
    assert found is not None, out
    report = Path(found[1])
    assert report.is_file() and report.suffix == ".html"
    assert "monitoring: main.monitor_task.churn_model" in out
    assert "tenure" in out and "no drift: drift score 0.0000" in out
    assert receiver.bodies == []  # nothing breached: nothing sent


def test_drift_is_a_finding_not_a_failure(
    spark: SparkSession, runtime: Runtime, schema: str, receiver: Receiver,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    drifted = generate_churn(1500, 2, "current")[COLUMNS]
    log = f"main.{schema}.churn_inference_log"
    runtime.save_table(
        spark.createDataFrame(scored(drifted, datetime(2024, 7, 2)))
        .write.format("delta")
        .mode("append"),
        log,
    )
    state = f"main.{schema}.mlops_run_state"
    # returns normally: exit code 0
    monitor_main(args(schema, receiver, job_run_id="job-run-drift", run_state_table=state))
    assert read_run_state(state, "job-run-drift", "drift_detected") == "true"
    assert float(read_run_state(state, "job-run-drift", "drift_score") or 0) == pytest.approx(1.0)
    assert "DRIFT DETECTED" in capsys.readouterr().out
    assert {b["metric"] for b in receiver.bodies[-1]["breaches"]} >= {"drift:tenure", "drift_score"}
    # back to the steady state for the job test below
    write(
        spark,
        runtime,
        scored(generate_churn(1500, 1, "reference")[COLUMNS], datetime(2024, 7, 3)),
        log,
    )


def test_missing_inputs_fail_the_task_with_a_clear_message(receiver: Receiver) -> None:
    with pytest.raises(
        SystemExit,
        match=r"error: the inference log main\.nowhere\.churn_inference_log does not exist yet",
    ):
        monitor_main(args("nowhere", receiver))
    with pytest.raises(SystemExit, match="is not an ISO date-time"):
        monitor_main(args("nowhere", receiver, window_end="yesterday"))


def test_job_runs_locally_and_the_gate_skips_retraining_without_drift(
    schema: str, receiver: Receiver
) -> None:
    bundle = load_bundle(REPO, "dev", {"schema": schema, "alert_webhook_url": receiver.url})
    output = io.StringIO()
    result = run_job(bundle, "model_monitoring", console=Console(file=output, width=160))
    assert result.succeeded, output.getvalue()
    assert result.statuses == {
        "check_drift": TaskStatus.SUCCESS,
        "drift_state": TaskStatus.SUCCESS,
        "drift_gate": TaskStatus.SUCCESS,
        "retrain": TaskStatus.EXCLUDED,
    }
    # The gate compared the notebook's value, not literal text: the run state says false.
    state = f"main.{schema}.mlops_run_state"
    assert read_run_state(state, result.run_id, "drift_detected") == "false"
    assert result.task("drift_gate").outcome == "false"
    assert result.notes == ()  # no task value was set from a wheel task


def test_job_definition_matches_the_config() -> None:
    job = load_bundle(REPO, "dev", {}).jobs["model_monitoring"]
    tasks = {task["task_key"]: task for task in job["tasks"]}
    assert tasks["check_drift"]["python_wheel_task"]["entry_point"] == "mlops-monitor"
    assert tasks["check_drift"]["python_wheel_task"]["named_parameters"]["job_run_id"] == (
        "{{job.run_id}}"
    )
    assert tasks["drift_state"]["notebook_task"]["base_parameters"] == {
        "job_run_id": "{{job.run_id}}",
        "run_state_table": tasks["check_drift"]["python_wheel_task"]["named_parameters"][
            "run_state_table"
        ],
    }
    assert tasks["drift_gate"]["condition_task"] == {
        "op": "EQUAL_TO",
        "left": "{{tasks.drift_state.values.drift_detected}}",
        "right": "true",
    }
    assert tasks["retrain"]["depends_on"] == [{"task_key": "drift_gate", "outcome": "true"}]
    assert tasks["retrain"]["run_job_task"]["job_id"] == "local-job:model_training"
    config = MonitoringConfig.from_yaml(
        REPO / "configs" / "monitoring.yml", {"catalog": "c", "schema": "s"}
    )
    assert job["schedule"]["quartz_cron_expression"] == quartz_schedule(config)
    assert job["schedule"]["pause_status"] == "PAUSED"
    prod = load_bundle(REPO, "prod", {}).jobs["model_monitoring"]
    assert prod["schedule"]["pause_status"] == "UNPAUSED"
