"""Serving benchmark: ModelClient against the raw HTTP limit, on one local scoring server.

    uv run python bench/serving.py [--calls 200] [--rounds 3] [--rows 10000]

Trains a small churn model the way the test suite's ``churn_champion`` fixture does (in a
throwaway MLOPS_HOME), serves ``models:/NAME@champion`` with ``mlflow models serve
--env-manager local`` on 127.0.0.1 (one uvicorn worker, the default), and times, in the
same run (single-row modes alternating call by call, so load on the shared machine hits
them alike):

* (a) raw: one keep-alive ``requests.Session`` posting a pre-encoded single-row
  ``dataframe_split`` body in a loop: the limit for single-row calls;
* (b) ``ModelClient.predict`` with a one-row DataFrame per call (encoding, URL
  resolution, retries bookkeeping and response parsing included);
* (c) ``ModelClient.predict`` on a ``--rows`` frame, split into ``batch_size`` batches
  sent ``max_concurrency`` at a time;
* (d) ``requests.post`` per call: a new TCP connection for every single-row request.

Every answer is checked (HTTP 200, one prediction per row). Rows/s per mode is the
median over rounds; acceptance: (b) >= 0.9x (a) and (c) >= 50x (b). The report goes to
stdout and ``bench/results/serving.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

os.environ["MLOPS_HOME"] = tempfile.mkdtemp(prefix="mlops-bench-serving-")
os.environ.setdefault("MLOPS_RUNTIME", "local")
os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")

import pandas as pd
import requests

RESULTS_FILE = Path(__file__).parent / "results" / "serving.md"
RAW_COLUMNS = ["tenure", "monthly_charges", "total_charges", "contract_type"]


def train_champion() -> str:
    """A churn classifier registered as ``@champion`` (the churn_champion fixture's recipe)."""
    from databricks_mlops.model_training.sample_model import train_sample_churn_model
    from databricks_mlops.runtime import get_runtime

    name = "main.bench.churn_model"
    train_sample_churn_model(
        name,
        rows=600,
        seed=11,
        trees=10,
        max_depth=4,
        experiment_name="/bench/serving",
        champion=True,
    )
    runtime = get_runtime()
    runtime.spark.stop()  # the server is a separate process; free the cores for it
    return name


@contextlib.contextmanager
def scoring_server(model_name: str) -> Iterator[str]:
    import mlflow

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    bin_dir = Path(sys.executable).parent
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "MLFLOW_TRACKING_URI": mlflow.get_tracking_uri(),
        "MLFLOW_REGISTRY_URI": mlflow.get_registry_uri(),
    }
    command = [str(bin_dir / "mlflow"), "models", "serve", "-m", f"models:/{model_name}@champion"]
    command += ["--env-manager", "local", "-h", "127.0.0.1", "-p", str(port)]
    log = Path(os.environ["MLOPS_HOME"]) / "scoring-server.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            command, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            if process.poll() is not None:
                raise SystemExit(f"mlflow models serve exited:\n{log.read_text()[-3000:]}")
            with contextlib.suppress(requests.ConnectionError):
                if requests.get(f"{url}/ping", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise SystemExit(f"mlflow models serve did not answer /ping; see {log}")
            time.sleep(0.5)
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def single_rows(calls: int) -> list[pd.DataFrame]:
    from databricks_mlops.datasets import generate_churn

    frame = generate_churn(calls, 3)[RAW_COLUMNS]
    return [frame.iloc[[i]].reset_index(drop=True) for i in range(calls)]


def split_body(row: pd.DataFrame) -> bytes:
    split = {"columns": list(row.columns), "data": row.astype(object).values.tolist()}
    return json.dumps({"dataframe_split": split}).encode()


def check(response: requests.Response, rows: int) -> None:
    if response.status_code != 200:
        raise SystemExit(f"HTTP {response.status_code}: {response.text[:500]}")
    if len(response.json()["predictions"]) != rows:
        raise SystemExit(f"expected {rows} predictions: {response.text[:500]}")


@dataclass
class Mode:
    key: str
    label: str
    call: Callable[[int], int]  # one request (single-row modes: for row i); rows scored
    single_row: bool
    rounds: list[tuple[int, float]] = field(default_factory=list)  # (rows, seconds)
    latencies: list[float] = field(default_factory=list)  # seconds per call

    @property
    def rows_per_second(self) -> float:
        return statistics.median(rows / seconds for rows, seconds in self.rounds)


def build_modes(url: str, rows: list[pd.DataFrame], big: pd.DataFrame) -> tuple[list[Mode], Any]:
    from databricks_mlops.serving_client import ModelClient
    from databricks_mlops.config.serving import AuthConfig, AuthType, ClientConfig

    invocations = f"{url}/invocations"
    bodies = [split_body(row) for row in rows]
    headers = {"Content-Type": "application/json"}
    session = requests.Session()
    config = ClientConfig(workspace_url=url, auth=AuthConfig(auth_type=AuthType.NONE))
    client = ModelClient(config)

    def raw_session(i: int) -> int:
        check(session.post(invocations, data=bodies[i], headers=headers, timeout=30), 1)
        return 1

    def client_single(i: int) -> int:
        if len(client.predict("churn", rows[i]).predictions["probability"]) != 1:
            raise SystemExit("ModelClient answered the wrong number of rows")
        return 1

    def client_batched(i: int) -> int:
        response = client.predict("churn", big)
        if len(response.predictions["probability"]) != len(big):
            raise SystemExit("ModelClient answered the wrong number of rows")
        return len(big)

    def new_connection(i: int) -> int:
        check(requests.post(invocations, data=bodies[i], headers=headers, timeout=30), 1)
        return 1

    modes = [
        Mode("a", "raw keep-alive `requests.Session`, 1 row/call", raw_session, True),
        Mode("b", "`ModelClient.predict`, 1 row/call", client_single, True),
        Mode(
            "c",
            f"`ModelClient.predict`, {len(big):,} rows (batch_size {config.batch_size}, "
            f"max_concurrency {config.max_concurrency})",
            client_batched,
            False,
        ),
        Mode("d", "`requests.post` per call (new connection), 1 row/call", new_connection, True),
    ]
    return modes, (session, client)


def run_round(modes: list[Mode], calls: int) -> None:
    """Single-row modes call by call in rotating order (a, b, d / b, d, a / ...), so load
    on the shared machine hits each alike; then the batched mode."""
    single = [mode for mode in modes if mode.single_row]
    elapsed = dict.fromkeys((mode.key for mode in modes), 0.0)
    done = dict.fromkeys((mode.key for mode in modes), 0)
    for i in range(calls):
        for k in range(len(single)):
            mode = single[(i + k) % len(single)]
            begin = time.perf_counter()
            done[mode.key] += mode.call(i)
            seconds = time.perf_counter() - begin
            elapsed[mode.key] += seconds
            mode.latencies.append(seconds)
    for mode in modes:
        if not mode.single_row:
            begin = time.perf_counter()
            done[mode.key] += mode.call(0)
            elapsed[mode.key] += time.perf_counter() - begin
    for mode in modes:
        mode.rounds.append((done[mode.key], elapsed[mode.key]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=200, help="single-row calls per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rows", type=int, default=10_000, help="rows of the batched call")
    parser.add_argument("--output", type=Path, default=RESULTS_FILE)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    model_name = train_champion()
    print(f"model trained and registered in {time.perf_counter() - started:.1f} s", flush=True)
    from databricks_mlops.datasets import generate_churn

    rows = single_rows(args.calls)
    big = generate_churn(args.rows, 5)[RAW_COLUMNS]
    with scoring_server(model_name) as url:
        modes, (session, client) = build_modes(url, rows, big)
        for mode in modes:  # warm-up: imports, first connection, the server's first predict
            for i in range(5 if mode.single_row else 1):
                mode.call(i)
        for round_ in range(args.rounds):
            run_round(modes, args.calls)
            print(f"round {round_ + 1}: " + ", ".join(
                f"({m.key}) {m.rounds[-1][0] / m.rounds[-1][1]:,.0f} rows/s" for m in modes
            ), flush=True)  # fmt: skip
        client.close()
        session.close()

    report = render(modes, args)
    print(report)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(report)
    by_key = {mode.key: mode.rows_per_second for mode in modes}
    ok = by_key["b"] >= 0.9 * by_key["a"] and by_key["c"] >= 50 * by_key["b"]
    return 0 if ok else 1


def render(modes: list[Mode], args: argparse.Namespace) -> str:
    import mlflow

    by_key = {mode.key: mode.rows_per_second for mode in modes}
    lines = [
        "# Serving benchmark",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, `python bench/serving.py "
        f"--calls {args.calls} --rounds {args.rounds} --rows {args.rows}`; "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end, "
        f"Python {platform.python_version()}, MLflow {mlflow.__version__}, "
        f"requests {requests.__version__}.",
        "",
        "One `mlflow models serve --env-manager local` (1 uvicorn worker) of a churn "
        "classifier (`ModelTrainer`, 10 trees, raw columns in, `prediction` + `probability` "
        "out) on 127.0.0.1. Single-row modes alternate call by call (rotating order) so load "
        "on the shared machine hits them alike; rows/s = median over rounds.",
        "",
        "| mode | what | rows/s (median) | per round | vs (a) | latency p50 / p90 |",
        "|---|---|---:|---|---:|---|",
    ]
    for mode in modes:
        rounds = ", ".join(f"{rows / seconds:,.0f}" for rows, seconds in mode.rounds)
        latency = "one call per round"
        if mode.latencies:
            cuts = statistics.quantiles(mode.latencies, n=10)
            latency = f"{statistics.median(mode.latencies) * 1000:.1f} / {cuts[-1] * 1000:.1f} ms"
        lines.append(
            f"| ({mode.key}) | {mode.label} | {mode.rows_per_second:,.0f} | {rounds} | "
            f"{mode.rows_per_second / by_key['a']:.2f}x | {latency} |"
        )
    b_vs_a = by_key["b"] / by_key["a"]
    c_vs_b = by_key["c"] / by_key["b"]
    a_rounds = next(mode.rounds for mode in modes if mode.key == "a")
    b_rounds = next(mode.rounds for mode in modes if mode.key == "b")
    paired = [
        (b_rows / b_seconds) / (a_rows / a_seconds)
        for (a_rows, a_seconds), (b_rows, b_seconds) in zip(a_rounds, b_rounds, strict=True)
    ]
    lines += [
        "",
        f"* (b) / (a) = **{b_vs_a:.2f}x** (acceptance >= 0.9x): "
        f"{'pass' if b_vs_a >= 0.9 else 'FAIL'}; paired by round: "
        + ", ".join(f"{ratio:.2f}" for ratio in paired),
        f"* (c) / (b) = **{c_vs_b:.0f}x** (acceptance >= 50x): "
        f"{'pass' if c_vs_b >= 50 else 'FAIL'}",
        f"* (d) / (a) = {by_key['d'] / by_key['a']:.2f}x: what keep-alive saves per call.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
