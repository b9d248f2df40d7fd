"""Where `databricks-mlops new` gets the framework wheel it vendors, per kind of install
(PEP 610 direct_url.json): a checkout is built, a wheel file is copied, else a clear error."""

from __future__ import annotations

import shutil
import subprocess
from importlib import metadata
from pathlib import Path

import pytest
from tests.template.helpers import REPO, framework_wheel

from databricks_mlops.project import ProjectError
from databricks_mlops.project.framework_wheel import (
    framework_wheel as find_framework_wheel,
)
from databricks_mlops.project.framework_wheel import (
    install_origin,
    vendor_wheel,
)

VERSION = metadata.version("databricks-mlops")
PROBE = (
    "from pathlib import Path\n"
    "from databricks_mlops.project.framework_wheel import framework_wheel\n"
    "from databricks_mlops.errors import MLOpsError\n"
    "try:\n"
    "    print(framework_wheel(None, Path('.')))\n"
    "except MLOpsError as exc:\n"
    "    print(f'error: {exc}')\n"
)


def test_this_editable_install_is_found_as_its_checkout() -> None:
    assert install_origin() == ("checkout", REPO)


def test_the_checkout_is_built_at_the_running_version(tmp_path: Path) -> None:
    wheel = find_framework_wheel(None, tmp_path)
    assert wheel.name == f"databricks_mlops-{VERSION}-py3-none-any.whl"
    assert wheel.is_relative_to(tmp_path)


@pytest.fixture(scope="module")
def installed_from_a_wheel(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A fresh venv with the framework installed from a wheel file (as `pip install x.whl`
    does), its dependencies left out except the few the probe imports."""
    base = tmp_path_factory.mktemp("wheel-install")
    wheel = Path(shutil.copy(framework_wheel(), base))
    venv = base / "venv"
    subprocess.run(
        ["uv", "venv", "-q", "--python", str(Path(REPO / ".venv" / "bin" / "python")), str(venv)],
        check=True,
    )
    subprocess.run(
        [
            "uv",
            "pip",
            "install",
            "-q",
            "--offline",
            "--no-deps",
            "--python",
            str(venv / "bin" / "python"),
            str(wheel),
            "pydantic",
            "pydantic-core",
            "typing-extensions",
            "annotated-types",
            "typing-inspection",
        ],
        check=True,
    )
    return venv / "bin" / "python", wheel


def probe(python: Path, cwd: Path) -> str:
    done = subprocess.run(
        [str(python), "-c", PROBE], cwd=cwd, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_an_install_from_a_wheel_file_vendors_that_file(
    installed_from_a_wheel: tuple[Path, Path], tmp_path: Path
) -> None:
    python, wheel = installed_from_a_wheel
    assert probe(python, tmp_path) == str(wheel)


def test_an_install_from_an_index_asks_for_framework_wheel(
    installed_from_a_wheel: tuple[Path, Path], tmp_path: Path
) -> None:
    python, _ = installed_from_a_wheel
    site = next(python.parent.parent.glob("lib/python*/site-packages"))
    direct_url = site / f"databricks_mlops-{VERSION}.dist-info" / "direct_url.json"
    saved = direct_url.read_bytes()
    direct_url.unlink()  # what an install from a package index leaves
    try:
        assert probe(python, tmp_path) == (
            f"error: cannot find a wheel of the running databricks-mlops {VERSION}: it was not "
            "installed from a source checkout or a local wheel file; pass --framework-wheel "
            "PATH (a databricks_mlops-<version>-py3-none-any.whl, e.g. from `uv build --wheel` "
            "in a databricks-mlops checkout), or answer framework_source=pypi if "
            "databricks-mlops is on your package index"
        )
    finally:
        direct_url.write_bytes(saved)


def test_a_deleted_install_wheel_asks_for_framework_wheel(
    installed_from_a_wheel: tuple[Path, Path], tmp_path: Path
) -> None:
    python, wheel = installed_from_a_wheel
    moved = wheel.rename(wheel.with_suffix(".moved"))
    try:
        assert probe(python, tmp_path).startswith(
            f"error: databricks-mlops was installed from the wheel {wheel}, which no longer "
            "exists: pass --framework-wheel PATH"
        )
    finally:
        moved.rename(wheel)


def test_a_given_file_that_is_not_a_framework_wheel_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "requests-2.0-py3-none-any.whl"
    other.write_bytes(b"")
    with pytest.raises(
        ProjectError,
        match=r"--framework-wheel .*requests-2\.0-py3-none-any\.whl is not a databricks-mlops wheel",
    ):
        find_framework_wheel(other, tmp_path)


def test_vendoring_replaces_an_older_framework_wheel(tmp_path: Path) -> None:
    (tmp_path / "vendor").mkdir()
    (tmp_path / "vendor" / "databricks_mlops-0.0.9-py3-none-any.whl").write_bytes(b"old")
    (tmp_path / "vendor" / "other-1.0-py3-none-any.whl").write_bytes(b"theirs")
    vendor_wheel(framework_wheel(), tmp_path)
    assert sorted(p.name for p in (tmp_path / "vendor").iterdir()) == [
        framework_wheel().name,
        "other-1.0-py3-none-any.whl",
    ]
