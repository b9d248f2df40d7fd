"""The product demo: generate a project from the template and run its whole lifecycle.

    make demo            # = uv run python scripts/demo.py

1. ``databricks-mlops new --no-input`` into ``.demo/`` (framework = this checkout);
2. ``uv sync`` the generated project (its own venv, as a user would);
3. sample data, then its ``mlops_workflow`` job locally: ingestion -> validation ->
   features -> training -> gates -> registry -> promotion -> blue/green deployment ->
   smoke test -> batch inference -> monitoring (no drift on the training distribution);
4. the drifted sample variant is ingested and scored, and ``model_monitoring`` runs
   again: drift is detected, an alert reaches a JSON webhook receiver on 127.0.0.1,
   and the condition task triggers the ``model_training`` job (retraining);
5. a summary: rows, rule failures, feature table, model version and metrics, endpoint
   URL and three predictions, drift verdict, alert, report paths. Servers are stopped.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEMO_DIR = Path(os.environ.get("DEMO_DIR", REPO / ".demo"))
SCHEMA = "churn_mlops_dev"  # the generated bundle's dev schema (catalog main)
RAW = f"/Volumes/main/{SCHEMA}/raw/customers.csv"


class AlertReceiver(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        AlertReceiver.received.append(json.loads(body or b"{}"))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:  # keep the demo's output readable
        pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def uv() -> str:
    found = shutil.which("uv") or str(Path.home() / ".local/bin/uv")
    if not Path(found).exists():
        sys.exit("uv not found: run `make setup` first (it installs uv)")
    return found


def step(title: str) -> float:
    print(f"\n\033[1m== {title}\033[0m", flush=True)
    return time.perf_counter()


def run(project: Path, env: dict[str, str], *args: str, check: bool = True) -> str:
    """A command in the generated project's own environment; output shown and returned."""
    completed = subprocess.run(
        [uv(), "run", "--quiet", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
    )
    output = completed.stdout + completed.stderr
    shown = [line for line in output.splitlines() if not _noise(line)]
    print("\n".join(shown[-40:]), flush=True)
    if check and completed.returncode != 0:
        sys.exit(f"demo: `{' '.join(args)}` failed (exit {completed.returncode})")
    return output


def _noise(line: str) -> bool:
    return any(
        marker in line
        for marker in ("WARNING", "INFO mlflow", "warnings.warn", "UserWarning", "color_warning")
    )


def main() -> int:
    started = time.perf_counter()
    step("1. generate a project from the template (default answers, this checkout)")
    from databricks_mlops.project import generate_project

    DEMO_DIR.mkdir(parents=True, exist_ok=True)
    # framework_source: vendor (the default): this checkout's wheel in vendor/.
    project = generate_project({}, DEMO_DIR, no_input=True, overwrite=True)
    print(f"generated {project}")
    home = project / ".mlops"
    shutil.rmtree(home, ignore_errors=True)  # a demo starts from nothing
    env = {key: value for key, value in os.environ.items() if key != "VIRTUAL_ENV"}
    env.update(MLOPS_HOME=str(home), MLOPS_RUNTIME="local", SPARK_LOCAL_IP="127.0.0.1")

    began = step("2. install it (uv sync: the project, the framework wheel in vendor/)")
    subprocess.run(
        [uv(), "sync", "--quiet", "--compile-bytecode"], cwd=project, env=env, check=True
    )
    print(f"installed in {time.perf_counter() - began:.0f}s")

    port = free_port()
    receiver = ThreadingHTTPServer(("127.0.0.1", port), AlertReceiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    webhook = f"--var=alert_webhook_url=http://127.0.0.1:{port}/monitoring-alerts"

    lifecycle = step("3. sample data, then the whole lifecycle: the mlops_workflow job")
    run(project, env, "databricks-mlops", "sample-data", "churn", "--rows", "5000", "--out", RAW)
    run(project, env, "databricks-mlops", "run", "mlops_workflow", webhook)
    lifecycle_seconds = time.perf_counter() - lifecycle

    drift = step("4. drifted customers arrive: ingest, score, monitor (-> alert, retrain)")
    run(project, env, "databricks-mlops", "sample-data", "churn", "--rows", "5000",
        "--seed", "43", "--variant", "current", "--out", RAW)  # fmt: skip
    run(project, env, "databricks-mlops", "run", "data_ingestion")
    run(project, env, "databricks-mlops", "run", "batch_inference")
    monitored = run(project, env, "databricks-mlops", "run", "model_monitoring", webhook)
    drift_seconds = time.perf_counter() - drift

    step("5. summary")
    os.environ.update(MLOPS_HOME=str(home), MLOPS_RUNTIME="local")
    summary = collect_summary(monitored)
    receiver.shutdown()
    for label, value in summary.items():
        print(f"{label:>22}: {value}")
    print(
        f"{'time':>22}: lifecycle {lifecycle_seconds:.0f}s, drift loop {drift_seconds:.0f}s, "
        f"total {time.perf_counter() - started:.0f}s (after set-up)"
    )
    ok = bool(AlertReceiver.received) and "retrain" in summary["retraining"]
    return 0 if ok else 1


def collect_summary(monitored: str) -> dict[str, str]:
    from mlflow import MlflowClient

    from databricks_mlops.deployment import ModelDeployer
    from databricks_mlops.serving_client import ModelClient
    from databricks_mlops.config.serving import AuthConfig, AuthType, ClientConfig
    from databricks_mlops.runtime import get_runtime

    runtime = get_runtime()
    runtime.configure_mlflow()
    bronze = runtime.read_delta(f"main.{SCHEMA}.customers_bronze", version=0)
    runs = runtime.read_delta(f"main.{SCHEMA}.validation_runs")
    first_run = runs.orderBy("validated_at").first()
    failed = runs.where((runs.run_id == first_run["run_id"]) & (runs.failed_count > 0)).collect()
    features = runtime.read_delta(f"main.{SCHEMA}.customer_features")
    client = MlflowClient()
    # The generated bundle names the model after the project (resources/ml_artifacts.yml).
    model = next(m.name for m in client.search_registered_models() if SCHEMA in m.name)
    champion = client.get_model_version_by_alias(model, "champion")
    metrics = client.get_run(champion.run_id).data.metrics
    shown = ", ".join(
        f"{name.removeprefix('test_')} {value:.3f}"
        for name, value in sorted(metrics.items())
        if name.startswith("test_") and name[5:] in ("roc_auc", "accuracy", "f1_score")
    )
    deployer = ModelDeployer()
    endpoints = deployer.list()
    endpoint = endpoints[0]
    sample = bronze.limit(3).toPandas()
    with ModelClient(
        ClientConfig(workspace_url="http://127.0.0.1", auth=AuthConfig(auth_type=AuthType.NONE))
    ) as serving:
        answer = serving.predict(endpoint.name, sample)
    for served in endpoints:
        deployer.stop(served.name)
    versions = client.search_model_versions(f"name = '{model}'")
    # Monitoring reports (configs/monitoring.yml report_dir, a Volume path locally mapped
    # under MLOPS_HOME); the copies logged to MLflow live under mlartifacts/.
    reports = sorted(
        path
        for path in Path(runtime.home).rglob("reports/monitoring/**/*.html")
        if "mlartifacts" not in path.parts
    )
    alert = AlertReceiver.received[-1] if AlertReceiver.received else None
    return {
        "rows ingested": f"{bronze.count()} (first batch), drifted batch after it",
        "rules failed": ", ".join(f"{r['rule']} ({r['failed_count']})" for r in failed) or "none",
        "feature table": f"main.{SCHEMA}.customer_features: {features.count()} rows, "
        f"{len(features.columns)} columns",
        "model": f"{model} v{champion.version} @champion: {shown}",
        "endpoint": f"{endpoint.name} at {endpoint.url} (stopped now)",
        "three predictions": ", ".join(f"{p:.3f}" for p in answer.predictions["probability"])
        + f" in {answer.metadata.latency_ms:.0f} ms",
        "drift": _drift_line(model),
        "alert": (
            f"{len(AlertReceiver.received)} delivered; "
            f"{len(alert.get('breaches', []))} breaches, e.g. {alert['breaches'][0]['metric']}"
            if alert and alert.get("breaches")
            else "none received"
        ),
        "retraining": "retrain task ran the model_training job"
        if "retrain" in monitored and "SUCCESS" in monitored
        else "not triggered",
        "registry": f"{len(versions)} versions of {model}",
        "reports": f"{len(reports)} monitoring report(s), latest {reports[-1] if reports else '-'}",
    }


def _drift_line(model: str) -> str:
    """The last monitoring run, as ModelMonitor.get_status reads it from the metrics table."""
    from databricks_mlops.monitoring import ModelMonitor

    status = ModelMonitor().get_status(model)
    drifting = ", ".join(status.metrics.drifting_features) or "none"
    return (
        f"drift score {status.metrics.drift_score:.2f} (share of features drifting): {drifting}; "
        f"accuracy on labelled rows {status.metrics.accuracy or float('nan'):.3f}"
    )


if __name__ == "__main__":
    sys.exit(main())
