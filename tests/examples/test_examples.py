"""Every example runs as a user would run it (``python examples/NAME.py``) and exits 0.

Each is a subprocess with its own MLOPS_HOME (and so its own Spark session): slow, but it
is the only honest check that the files users copy first still work.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

# example -> text its output must contain (beyond exiting 0)
EXPECTED = {
    "expression_validation_example.py": "all 28 cases agree on pandas, spark",
    "customer_churn_prediction.py": "registration: succeeded",
    "complete_mlops_pipeline.py": "Model deployed with ID: m-",
    "integrated_serving_example.py": "v2 probabilities",
    "model_serving_example.py": "rejected as expected (HTTP 400)",
    "model_monitoring_example.py": "Current drift score: 0.0000",
    "integration_test.py": "6 of 6 checks passed",
}


def run_example(name: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # A user's shell, not this suite's process: MLflow settings an earlier test left in the
    # environment (MLFLOW_EXPERIMENT_ID of another store, the tracking URIs) stay out.
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env.update({"MLOPS_HOME": str(tmp_path / "home"), "MLOPS_RUNTIME": "local"})
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def test_every_example_is_covered() -> None:
    found = {path.name for path in EXAMPLES.glob("*.py") if not path.name.startswith("_")}
    assert found == set(EXPECTED)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_runs(name: str, tmp_path: Path) -> None:
    args = ("--spark",) if name == "expression_validation_example.py" else ()
    completed = run_example(name, tmp_path, *args)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert EXPECTED[name] in completed.stdout
