"""The logged model carries its code and pins every requirement it needs to score.

The proof is a fresh uv venv built from nothing but the model's ``requirements.txt``,
with the model's ``code/`` directory as the only project code (what Databricks Model
Serving installs): the model loads and predicts there, without pyspark.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from importlib import metadata
from pathlib import Path

import mlflow
import pytest
import yaml
from pyspark.sql import SparkSession
from tests.model_training.probe_package import ProbeModel, log_probe_model, write_probe_package

from databricks_mlops.model_training.model_code import FRAMEWORK_SCORING_REQUIREMENTS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def probe(
    spark: SparkSession, tmp_path_factory: pytest.TempPathFactory
) -> tuple[ProbeModel, str, Path]:
    """A model over a project transform whose module imports ``six`` at module level."""
    root = tmp_path_factory.mktemp("probe_project")
    package = f"mlops_probe_{uuid.uuid4().hex[:8]}"
    transform = write_probe_package(root, package, module_imports="import six", dist_info=True)
    sys.path.insert(0, str(root))
    try:
        model = log_probe_model(
            spark, package, transform, f"main.probe.{package}", tmp_path_factory.mktemp("work")
        )
    finally:
        sys.path.remove(str(root))
    local = Path(mlflow.artifacts.download_artifacts(model.uri))
    return model, package, local


def requirement_lines(model_dir: Path) -> list[str]:
    return (model_dir / "requirements.txt").read_text().split()


def test_requirements_pin_the_framework_scoring_dependencies(
    probe: tuple[ProbeModel, str, Path],
) -> None:
    _, _, model_dir = probe
    lines = requirement_lines(model_dir)
    for name in FRAMEWORK_SCORING_REQUIREMENTS:
        assert f"{name}=={metadata.version(name)}" in lines, lines
    # The project package's module-level import, pinned to this environment's version.
    assert f"six=={metadata.version('six')}" in lines, lines
    assert not any(line.startswith(("pyspark", "delta-spark")) for line in lines), lines


def test_model_ships_the_framework_and_the_project_package_as_code(
    probe: tuple[ProbeModel, str, Path],
) -> None:
    _, package, model_dir = probe
    mlmodel = yaml.safe_load((model_dir / "MLmodel").read_text())
    assert mlmodel["flavors"]["python_function"]["code"] == "code"
    code = model_dir / "code"
    assert (code / "databricks_mlops" / "model_training" / "pyfunc_model.py").is_file()
    assert (code / package / "__init__.py").is_file()
    assert not list(code.rglob("__pycache__"))
    # The project is an editable install here: shipped as code, never a requirement.
    assert not any(
        line.startswith(package.replace("_", "-")) for line in requirement_lines(model_dir)
    )
    # MLflow's uv auto-detection would log this checkout's lock (Spark and all) instead.
    assert not (model_dir / "uv.lock").exists()


def test_model_loads_and_predicts_in_a_fresh_venv_from_its_requirements_and_code(
    probe: tuple[ProbeModel, str, Path], tmp_path: Path
) -> None:
    model, _, model_dir = probe
    uv = shutil.which("uv")
    assert uv, "uv is needed to build the fresh environment"
    venv = tmp_path / "venv"
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    env["PYTHONNOUSERSITE"] = "1"
    python_version = yaml.safe_load((model_dir / "python_env.yaml").read_text())["python"]
    subprocess.run([uv, "venv", str(venv), f"--python={python_version}", "-q"], check=True, env=env)
    subprocess.run(
        [uv, "pip", "install", "-q", "--python", str(venv / "bin" / "python"),
         "-r", str(model_dir / "requirements.txt")],
        check=True, env=env,
    )  # fmt: skip
    rows = tmp_path / "rows.json"
    model.rows.to_json(rows, orient="split")
    script = (
        "import json, sys, mlflow, pandas as pd\n"
        "m = mlflow.pyfunc.load_model(sys.argv[1])\n"
        "out = m.predict(pd.read_json(sys.argv[2], orient='split'))\n"
        "import databricks_mlops\n"
        "print(json.dumps({'prediction': out['prediction'].tolist(),"
        " 'pyspark': 'pyspark' in sys.modules, 'framework': databricks_mlops.__file__}))\n"
    )
    result = subprocess.run(
        [str(venv / "bin" / "python"), "-c", script, str(model_dir), str(rows)],
        capture_output=True, text=True, env=env, cwd=tmp_path, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["prediction"] == model.expected["prediction"].tolist()
    assert answer["pyspark"] is False
    assert answer["framework"].startswith(str(model_dir / "code"))


def test_estimator_from_a_project_package_is_shipped_and_third_party_types_pinned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from databricks_mlops.model_training.model_code import collect_model_code

    package = f"mlops_estimators_{uuid.uuid4().hex[:8]}"
    (tmp_path / "src" / package).mkdir(parents=True)
    (tmp_path / "src" / package / "__init__.py").write_text(
        "import six\nfrom sklearn.linear_model import LogisticRegression\n\n"
        "class Shrunk(LogisticRegression):\n    pass\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path / "src"))
    estimator = __import__(package).Shrunk()

    code = collect_model_code(
        estimator=estimator,
        estimator_types=[f"{package}.Shrunk", "scipy.sparse._csr.csr_matrix"],
        feature_state=None,
        workdir=tmp_path / "work",
        extra_requirements=["six==1.16.0"],
    )

    shipped = {Path(path).name for path in code.code_paths}
    assert shipped == {"databricks_mlops", package}
    assert f"scipy=={metadata.version('scipy')}" in code.requirements
    # An explicit requirement wins over the pin of the same distribution.
    assert "six==1.16.0" in code.requirements
    assert not [r for r in code.requirements if r.startswith("six==") and r != "six==1.16.0"]
    assert not (tmp_path / "work" / "code" / "databricks_mlops" / "project" / "template").exists()
