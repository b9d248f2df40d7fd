"""The Databricks CLI's own fake workspace (tools/fakeworkspace), the real CLI, and the
bundles the deploy tests deploy into it: the root bundle and three template renders.

Without Go (the fake is built from the Go module proxy) or without the CLI the tests are
skipped, saying why; in CI (``CI`` set, as GitHub Actions sets it) they fail instead."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.deploy.workspace import FakeWorkspace
from tests.template.helpers import REPO, render

BUILD_SCRIPT = REPO / "tools" / "fakeworkspace" / "build.sh"
CLI_VERSION = "0.298.0"  # Makefile: DATABRICKS_CLI_VERSION
CLI_CACHE = Path.home() / ".cache" / "databricks-mlops" / f"databricks-cli-{CLI_VERSION}"

# The three renders the issue names (template answers; the rest are the defaults).
RENDERS: dict[str, dict[str, str]] = {
    "defaults": {},
    "job-clusters": {"compute": "job_clusters"},
    "no-serving-no-monitoring": {"include_serving_endpoint": "no", "include_monitoring": "no"},
}


def unavailable(reason: str) -> None:
    """Skip locally; in CI a missing prerequisite is a failure, not a quiet skip."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: the deploy tests must run here)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def databricks_cli() -> Path:
    found = shutil.which("databricks") or (
        str(CLI_CACHE / "databricks") if (CLI_CACHE / "databricks").is_file() else None
    )
    if found is None:
        unavailable("the Databricks CLI is not on PATH (make databricks-cli builds it; needs Go)")
    assert found is not None
    return Path(found)


@pytest.fixture(scope="session")
def fake_workspace_binary() -> Path:
    """tools/fakeworkspace built once per source content (build.sh caches it)."""
    try:
        done = subprocess.run(
            [str(BUILD_SCRIPT)], capture_output=True, text=True, timeout=900, check=False
        )
    except OSError as exc:
        unavailable(f"cannot run {BUILD_SCRIPT}: {exc}")
        raise
    if done.returncode != 0:
        unavailable(f"the fake workspace could not be built (make fake-workspace): {done.stderr}")
    return Path(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def fake_workspace(
    fake_workspace_binary: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FakeWorkspace]:
    log = tmp_path_factory.mktemp("fake-workspace") / "requests.log"
    with FakeWorkspace.start(fake_workspace_binary, log) as workspace:
        yield workspace


@pytest.fixture(scope="session")
def root_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The root bundle as the repository has it (tracked and untracked-but-not-ignored
    files, what the CLI would sync from the checkout), copied: deploy builds into dist/ and
    writes .databricks/, which must not touch the checkout others work in."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.decode()
    copy = tmp_path_factory.mktemp("root") / REPO.name
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file():  # a tracked file deleted in the working tree is not there
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    return copy


@pytest.fixture(scope="session")
def renders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("deploy-renders")
    return {name: render(base / name, answers) for name, answers in RENDERS.items()}


@pytest.fixture(scope="session")
def bundles(root_bundle: Path, renders: dict[str, Path]) -> dict[str, Path]:
    return {"root": root_bundle, **renders}


@pytest.fixture(scope="session")
def cli_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A HOME without ~/.databrickscfg, so no profile of this machine is used."""
    return tmp_path_factory.mktemp("cli-home")


@pytest.fixture(scope="session")
def python_for_venvs() -> str:
    """The interpreter the wheel venvs are built on: this one (serverless environment 4 is
    Python 3.12; the wheels are pure Python and declare the versions they support)."""
    return sys.executable
