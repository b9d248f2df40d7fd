"""One monitoring run end to end on local Spark: drift, performance, metrics table, report,
MLflow artifact and an alert delivered to a webhook receiver on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from pyspark.sql import SparkSession

from databricks_mlops.config.monitoring import MonitoringConfig
from databricks_mlops.datasets import Variant, generate_churn
from databricks_mlops.errors import ConfigError
from databricks_mlops.monitoring.monitoring_run import MonitoringInputError, run_monitoring
from databricks_mlops.runtime import Runtime

SCHEMA = "main.monitoring_run"
FEATURES = ["tenure", "monthly_charges", "contract_type"]


def inference_log(
    variant: Variant, seed: int, scored_at: datetime, *, accurate: bool = True
) -> pd.DataFrame:
    """An inference log as batch scoring writes it: keys, kept inputs and label, outputs."""
    frame = generate_churn(1500, seed, variant)[["customer_id", "event_date", *FEATURES, "churn"]]
    rng = np.random.default_rng(seed)
    truth = frame["churn"].astype(float).to_numpy()
    noise = rng.uniform(0, 0.6, len(frame))
    # accurate: probabilities follow the label; otherwise they ignore it (accuracy ~ 0.5).
    probability = 0.4 * truth + noise if accurate else rng.uniform(0, 1, len(frame))
    frame = frame.assign(
        probability=probability,
        prediction=(probability > 0.5).astype(float),
        model_version="1",
        model_name=f"{SCHEMA}.churn_model",
        scored_at=pd.Timestamp(scored_at),
    )
    frame.loc[frame.index[:100], "churn"] = None  # outcomes not known yet for some rows
    return frame


def write_table(spark: SparkSession, runtime: Runtime, frame: pd.DataFrame, name: str) -> None:
    runtime.save_table(spark.createDataFrame(frame).write.format("delta").mode("overwrite"), name)


class Receiver:
    """An HTTP server on 127.0.0.1 that keeps every JSON body posted to it."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        received = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                received.append(json.loads(self.rfile.read(length)))
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
def reference(spark: SparkSession, runtime: Runtime) -> str:
    name = f"{SCHEMA}.customers_reference"
    frame = generate_churn(3000, 1, "reference")[["customer_id", *FEATURES, "churn"]]
    write_table(spark, runtime, frame, name)
    return name


def config(reference: str, log: str, **overrides: Any) -> MonitoringConfig:
    data: dict[str, Any] = {
        "model_name": f"{SCHEMA}.churn_model",
        "metrics": ["accuracy", "f1_score", "roc_auc"],
        "inference_table": log,
        "label_column": "churn",
        "data_drift_detection": {
            "reference_dataset": reference,
            "features": FEATURES,
            "drift_methods": ["ks_test"],
            "threshold": 0.01,
        },
        "experiment_name": "/tests/monitoring",
        "model_performance_tracking": {"baseline_run_id": None},
        # A volume, as the bundles configure: serverless (make test-connect) has no DBFS root.
        "report_dir": "/Volumes/main/monitoring_run/raw/reports",
        "alert_state_dir": "/Volumes/main/monitoring_run/raw/alerts",
        **overrides,
    }
    return MonitoringConfig.model_validate(data)


def test_drifted_window_is_detected_recorded_reported_and_alerted(
    spark: SparkSession, runtime: Runtime, reference: str, receiver: Receiver
) -> None:
    log = f"{SCHEMA}.drifted_log"
    write_table(
        spark, runtime, inference_log("current", 2, datetime(2024, 7, 2, 6), accurate=False), log
    )
    settings = config(
        reference,
        log,
        alert_thresholds={"accuracy": 0.9, "drift_score": 0.5},
        alerting={
            "notification_channels": [{"type": "webhook", "url": receiver.url}],
            "aggregation_window": "1h",
        },
    )
    result = run_monitoring(runtime, settings)

    # drift: the documented shifts of the "current" variant are all found
    assert result.drift_detected
    assert set(result.drifting_features) == set(FEATURES)
    assert result.drift_score == pytest.approx(1.0)
    assert result.current_rows == 1500
    assert result.model_version == "1"
    # performance on the 1,400 labelled rows: accuracy ~0.5 breaches the 0.9 floor
    assert result.performance is not None
    assert result.performance.labelled_rows == 1400
    assert result.performance.metrics["accuracy"] < 0.6
    breached = {b.metric for b in result.breaches}
    assert {"accuracy", "drift_score", "drift:tenure", "drift:contract_type"} <= breached

    # metrics table: drift, performance and summary rows of this run
    metrics = spark.table(runtime.table(result.metrics_table)).where(f"run_id = '{result.run_id}'")
    kinds = {r.kind: r["count"] for r in metrics.groupBy("kind").count().collect()}
    assert kinds["drift"] == 3 and kinds["performance"] == 3
    rows_of_run = metrics.count()
    tenure = metrics.where("feature = 'tenure'").first()
    assert tenure is not None and tenure.flagged and tenure.method == "ks_test"
    accuracy = metrics.where("metric = 'accuracy'").first()
    assert accuracy is not None and accuracy.flagged and accuracy.threshold == 0.9

    # report: a self-contained page with plots, the drift table and the breaches
    page = Path(result.report_path).read_text(encoding="utf-8")
    assert Path(result.report_path).is_relative_to(
        runtime.home / "volumes" / "main" / "monitoring_run" / "raw" / "reports"
    )
    assert page.count('<img src="data:image/png;base64,') >= len(FEATURES)
    assert 'id="drift-scores"' in page and '<tr class="drifting"><td>tenure' in page
    assert 'id="performance"' in page and "drift detected" in page

    # ... logged to MLflow with the summary metrics
    from mlflow import MlflowClient

    client = MlflowClient()
    run = client.get_run(result.mlflow_run_id or "")
    assert run.data.metrics["drift_score"] == pytest.approx(1.0)
    assert run.data.tags["mlops.monitoring.run_id"] == result.run_id
    artifacts = [a.path for a in client.list_artifacts(run.info.run_id, "monitoring")]
    assert artifacts == [f"monitoring/{Path(result.report_path).name}"]

    # alert: one message with the breach details reached the receiver
    assert result.alert_outcome is not None and len(result.alert_outcome.sent) == 1
    assert len(receiver.bodies) == 1
    alert = receiver.bodies[0]
    assert alert["model"] == f"{SCHEMA}.churn_model"
    assert alert["report_path"] == result.report_path
    sent = {b["metric"]: b for b in alert["breaches"]}
    assert sent["accuracy"]["threshold"] == 0.9 and sent["accuracy"]["direction"] == "below"

    # a re-run of the same window replaces its rows (no duplicates) and alerts nothing new
    again = run_monitoring(runtime, settings)
    assert again.window_id == result.window_id
    table = spark.table(runtime.table(result.metrics_table)).where(
        f"window_id = '{result.window_id}'"
    )
    assert {r.run_id for r in table.select("run_id").distinct().collect()} == {again.run_id}
    assert table.count() == rows_of_run
    assert again.alert_outcome is not None and not again.alert_outcome.sent
    assert len(receiver.bodies) == 1


def test_same_distribution_is_not_drift(
    spark: SparkSession, runtime: Runtime, reference: str
) -> None:
    log = f"{SCHEMA}.steady_log"
    write_table(spark, runtime, inference_log("reference", 9, datetime(2024, 7, 3)), log)
    result = run_monitoring(runtime, config(reference, log, alert_thresholds={"accuracy": 0.6}))
    assert not result.drift_detected
    assert result.drift_score == 0.0
    assert result.performance is not None and result.performance.metrics["accuracy"] > 0.7
    assert result.breaches == []
    assert result.alert_outcome is None
    assert "prediction drift skipped" in " ".join(result.notes)


def test_duration_window_and_delta_version_reference(
    spark: SparkSession, runtime: Runtime, reference: str
) -> None:
    log = f"{SCHEMA}.window_log"
    old = inference_log("reference", 8, datetime(2024, 7, 1, 0))
    new = inference_log("reference", 9, datetime(2024, 7, 1, 12))
    write_table(spark, runtime, pd.concat([old, new]), log)
    # the reference log at version 0 is the drift reference: predictions are compared too
    write_table(spark, runtime, old, f"{SCHEMA}.log_snapshot")
    write_table(spark, runtime, new.head(10), f"{SCHEMA}.log_snapshot")  # version 1
    settings = config(
        f"{SCHEMA}.log_snapshot@v0",
        log,
        window="6h",
        label_column=None,
    )
    result = run_monitoring(runtime, settings, window_end=datetime(2024, 7, 1, 13))
    assert result.current_rows == 1500  # only the 12:00 batch is inside [07:00, 13:00)
    assert result.drift is not None and result.drift.reference_rows == 1500
    assert "prediction" in {f.feature for f in result.drift.features}
    assert result.performance is None
    assert result.window_id == "2024-07-01T07:00:00/2024-07-01T13:00:00"
    with pytest.raises(MonitoringInputError, match=r"no rows of .* in window"):
        run_monitoring(runtime, settings, window_end=datetime(2025, 1, 1))


def test_missing_inputs_are_clear_errors(runtime: Runtime, reference: str) -> None:
    with pytest.raises(
        MonitoringInputError, match=r"inference log main\.monitoring_run\.nope does not exist yet"
    ):
        run_monitoring(runtime, config(reference, f"{SCHEMA}.nope"))
    with pytest.raises(
        MonitoringInputError, match=r"drift reference main\.monitoring_run\.gone does not exist"
    ):
        run_monitoring(runtime, config(f"{SCHEMA}.gone", f"{SCHEMA}.steady_log"))
    with pytest.raises(ConfigError, match="set inference_table"):
        run_monitoring(runtime, MonitoringConfig(model_name="m", metrics=["accuracy"]))


def payload_rows(frame: pd.DataFrame, request_time: datetime) -> list[dict[str, Any]]:
    """``frame`` as a serving endpoint's AI Gateway inference table logs it: requests of
    40 rows in the three body shapes, the predictions in each response; plus a failed
    request, a body in no known shape, an answer with one prediction too few, a row
    shorter than its column list and a repeated column name."""

    def cell(value: Any) -> Any:
        return None if pd.isna(value) else value.item() if hasattr(value, "item") else value

    rows: list[dict[str, Any]] = []
    shapes = ["dataframe_split", "dataframe_records", "instances"]
    for number, start in enumerate(range(0, len(frame), 40)):
        part = frame.iloc[start : start + 40]
        records = [{k: cell(v) for k, v in r.items()} for r in part[FEATURES].to_dict("records")]
        shape = shapes[number % 3]
        body: dict[str, Any] = (
            {shape: {"columns": FEATURES, "data": [list(r.values()) for r in records]}}
            if shape == "dataframe_split"
            else {shape: records}
        )
        answer = {"predictions": [cell(p) for p in part["prediction"]]}
        rows.append(payload_row(number, request_time, 200, body, answer))
    first = [{k: cell(v) for k, v in frame[FEATURES].iloc[0].items()}]
    rows.append(payload_row(900, request_time, 500, {"dataframe_records": first}, {}))
    rows.append(payload_row(901, request_time, 200, {"tensor": [[1, 2]]}, {"predictions": [1]}))
    rows.append(payload_row(902, request_time, 200, {"instances": first * 2}, {"predictions": [1]}))
    short_row = {"dataframe_split": {"columns": FEATURES, "data": [[1, 2.0]]}}
    rows.append(payload_row(903, request_time, 200, short_row, {"predictions": [1]}))
    repeated = {"dataframe_split": {"columns": ["tenure", "tenure"], "data": [[1, 2]]}}
    rows.append(payload_row(904, request_time, 200, repeated, {"predictions": [1]}))
    return rows


def payload_row(
    number: int, request_time: datetime, status: int, body: object, answer: object
) -> dict[str, Any]:
    return {
        "databricks_request_id": f"req-{number}",
        "client_request_id": None,
        "request_date": request_time.date(),
        "request_time": request_time,
        "status_code": status,
        "sampling_fraction": 1.0,
        "execution_duration_ms": 12,
        "request": json.dumps(body),
        "response": json.dumps(answer),
        "served_entity_id": "entity-7",
        "requester": "app@example.com",
    }


def test_a_serving_inference_table_is_monitored_like_the_batch_log(
    spark: SparkSession, runtime: Runtime, reference: str
) -> None:
    """The same scored rows, logged by batch inference or by the serving endpoint's AI
    Gateway inference table, give the same window and the same drift statistics."""
    scored_at = datetime(2024, 7, 5, 8)
    frame = inference_log("current", 11, scored_at)
    batch_log, payload_log = f"{SCHEMA}.batch_log_11", f"{SCHEMA}.churn_endpoint_payload"
    write_table(spark, runtime, frame, batch_log)
    # An earlier day's requests too: the window (the last batch) leaves them out, and so
    # does the note's count.
    earlier = payload_rows(frame.iloc[:80], datetime(2024, 7, 4, 8))
    runtime.save_table(
        spark.createDataFrame(pd.DataFrame(earlier + payload_rows(frame, scored_at)))
        .write.format("delta")
        .mode("overwrite"),
        payload_log,
    )

    from_batch = run_monitoring(runtime, config(reference, batch_log))
    from_serving = run_monitoring(runtime, config(reference, payload_log))

    assert from_serving.current_rows == from_batch.current_rows == len(frame)
    assert from_serving.window_id == from_batch.window_id
    assert from_serving.model_version == "entity-7"
    assert from_batch.drift is not None and from_serving.drift is not None
    by_feature = {(d.feature, d.method): d for d in from_batch.drift.features}
    assert len(from_serving.drift.features) == len(FEATURES)
    for drift in from_serving.drift.features:
        same = by_feature[(drift.feature, drift.method)]
        assert drift.kind == same.kind
        assert drift.score == pytest.approx(same.score, abs=1e-12)
        assert drift.p_value == pytest.approx(same.p_value, rel=1e-9)
    assert from_serving.drift_detected
    notes = " ".join(from_serving.notes)
    requests = -(-len(frame) // 40) + 5  # the frame's requests and the five bad ones
    assert f"read {requests} requests from the serving inference table" in notes
    assert "left out: 1 failed (HTTP status other than 200), 4 unreadable" in notes
    assert "performance skipped: the inference log has no label column 'churn'" in notes
