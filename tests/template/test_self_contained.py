"""A generated project needs nothing but its own repository: the framework's wheel is in
vendor/ (committed), every task installs it, and no file names the generating machine."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import tempfile
import tomllib
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from tests.template.helpers import REPO, framework_wheel, render

VERSION = metadata.version("databricks-mlops")
WHEEL = f"databricks_mlops-{VERSION}-py3-none-any.whl"

# Every combination of the answers this mechanism touches.
COMBINATIONS = [
    {"framework_source": source, "compute": compute, "validation_engine": engine}
    for source, compute, engine in itertools.product(
        ("vendor", "pypi"), ("serverless", "job_clusters"), ("spark", "great_expectations")
    )
]
IDS = ["-".join(c.values()) for c in COMBINATIONS]


@pytest.fixture(scope="module")
def combos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("self-contained")
    return {
        name: render(base / name, answers) for name, answers in zip(IDS, COMBINATIONS, strict=True)
    }


def _contents(path: Path) -> list[tuple[str, bytes]]:
    """(where, bytes) of a file; a wheel's members decompressed, as they would be installed."""
    if path.suffix == ".whl":
        with zipfile.ZipFile(path) as wheel:
            return [(f"{path}!{name}", wheel.read(name)) for name in wheel.namelist()]
    return [(str(path), path.read_bytes())]


@pytest.mark.parametrize("name", IDS)
def test_nothing_generated_names_the_generating_machine(combos: dict[str, Path], name: str) -> None:
    project = combos[name]
    machine = {
        str(Path.home()),
        str(REPO),
        str(REPO.resolve()),
        tempfile.gettempdir(),
        str(project.parent),
    }
    found = []
    for path in sorted(p for p in project.rglob("*") if p.is_file()):
        for where, data in _contents(path):
            if path.name == ".cruft.json":
                # Where the template came from (recorded twice by cruft) is what `update`
                # clones: the one local reference, read only by `databricks-mlops update`.
                state = json.loads(data)
                assert state.pop("template") == state["context"]["cookiecutter"].pop("_template")
                data = json.dumps(state).encode()
            found += [f"{where}: {m}" for m in machine if m.encode() in data]
    assert found == []


@pytest.mark.parametrize("name", [n for n in IDS if n.startswith("vendor")])
def test_every_task_installs_the_vendored_wheel(combos: dict[str, Path], name: str) -> None:
    project = combos[name]
    assert [p.name for p in (project / "vendor").iterdir()] == [WHEEL]
    assert (project / "vendor" / WHEEL).read_bytes() == framework_wheel().read_bytes()
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["tool"]["uv"]["sources"]["databricks-mlops"] == {"path": f"vendor/{WHEEL}"}
    # The CLI reads a library path from the folder of the file that declares it.
    assert (project / "resources" / f"../vendor/{WHEEL}").resolve().is_file()
    tasks = 0
    for job_file in sorted((project / "resources").glob("*.job.yml")):
        for job in yaml.safe_load(job_file.read_text())["resources"]["jobs"].values():
            for environment in job.get("environments", []):
                assert environment["spec"]["dependencies"][:2] == [
                    f"../vendor/{WHEEL}",
                    "../dist/*.whl",
                ]
            for task in job["tasks"]:
                if "python_wheel_task" not in task:
                    continue
                tasks += 1
                if "libraries" in task:
                    # Before the project's wheel, which requires it: no index to fall back on.
                    assert task["libraries"][:2] == [
                        {"whl": f"../vendor/{WHEEL}"},
                        {"whl": "../dist/*.whl"},
                    ], f"{job_file.name}: {task['task_key']}"
                else:
                    assert task["environment_key"] == "default"
    assert tasks >= 8
    # The bundle builds only the project's own wheel; the framework's is already there.
    build = yaml.safe_load((project / "databricks.yml").read_text())["artifacts"]
    assert [a["build"] for a in build.values()] == ["rm -rf dist && uv build --wheel"]


@pytest.mark.parametrize("name", [n for n in IDS if n.startswith("pypi")])
def test_pypi_is_a_plain_dependency(combos: dict[str, Path], name: str) -> None:
    project = combos[name]
    assert not (project / "vendor").exists()
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert "uv" not in pyproject.get("tool", {})
    assert pyproject["project"]["dependencies"][0].startswith("databricks-mlops")
    assert all("vendor" not in p.read_text() for p in (project / "resources").glob("*.yml"))


def test_git_commits_the_vendored_wheel(combos: dict[str, Path], tmp_path: Path) -> None:
    project = shutil.copytree(combos[IDS[0]], tmp_path / "project")
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    subprocess.run(["git", "add", "-A"], cwd=project, check=True)
    listed = subprocess.run(
        ["git", "ls-files", "vendor"], cwd=project, capture_output=True, text=True, check=True
    )
    assert listed.stdout.split() == [f"vendor/{WHEEL}"]


def test_uv_locks_a_clone_of_the_repository_alone(combos: dict[str, Path], tmp_path: Path) -> None:
    """What CI's `uv sync` does first, on a clone: only committed files, no checkout nearby."""
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com"}
    env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    origin = shutil.copytree(combos[IDS[0]], tmp_path / "origin")
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "generated"]):
        subprocess.run(["git", *args], cwd=origin, check=True, env=env)
    clone = tmp_path / "runner" / "checkout"
    subprocess.run(["git", "clone", "-q", str(origin), str(clone)], check=True)
    shutil.rmtree(origin)  # the runner has the clone and nothing else
    done = subprocess.run(
        ["uv", "lock"], cwd=clone, capture_output=True, text=True, timeout=600, env=env
    )
    assert done.returncode == 0, done.stderr
    lock = tomllib.loads((clone / "uv.lock").read_text())
    framework = next(p for p in lock["package"] if p["name"] == "databricks-mlops")
    assert framework["source"] == {"path": f"vendor/{WHEEL}"}
    assert str(tmp_path) not in (clone / "uv.lock").read_text()


@pytest.mark.parametrize("engine", ["spark", "great_expectations"])
def test_great_expectations_is_declared_when_the_configs_choose_it(
    combos: dict[str, Path], engine: str
) -> None:
    """A task installs the project's wheel and what it requires: GX only through the
    dependency on databricks-mlops[gx], whose extra the vendored wheel provides."""
    project = combos[f"vendor-serverless-{engine}"]
    data = yaml.safe_load((project / "configs" / "data.yml").read_text())
    assert data["validation"]["engine"] == engine
    dependencies = tomllib.loads((project / "pyproject.toml").read_text())["project"][
        "dependencies"
    ]
    extra = "[gx]" if engine == "great_expectations" else ""
    assert dependencies == [f"databricks-mlops{extra}=={VERSION}"]
    with zipfile.ZipFile(project / "vendor" / WHEEL) as wheel:
        meta = wheel.read(f"databricks_mlops-{VERSION}.dist-info/METADATA").decode()
    assert "Provides-Extra: gx" in meta
    assert any(
        line.startswith("Requires-Dist: great-expectations") and "extra == 'gx'" in line
        for line in meta.splitlines()
    )


def test_validate_without_great_expectations_says_what_to_declare(
    combos: dict[str, Path],
) -> None:
    """The task environment of a project that did not declare the gx extra."""
    project = combos["vendor-serverless-spark"]
    script = (
        "import sys; sys.modules['great_expectations'] = None  # not installed\n"
        "from databricks_mlops.tasks.validate import require_engine\n"
        "require_engine('spark', 'configs/data.yml')\n"
        "require_engine('great_expectations', 'configs/data.yml')\n"
    )
    done = subprocess.run(
        [os.sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(project / "src")},
        timeout=120,
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        "databricks_mlops.errors.ConfigError: configs/data.yml: validation.engine is "
        "great_expectations, but great_expectations is not installed in this task's "
        "environment: depend on databricks-mlops[gx] in pyproject.toml (same version), then "
        "`uv sync` and redeploy (README: Validation engine), or set engine: spark"
    )
