"""One render per answer set for the whole session (rendering takes well under a second)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from tests.template.helpers import MATRIX, render

# What a copy of a generated project leaves behind: its environment and local state.
_NOT_COPIED = shutil.ignore_patterns(".venv", ".mlops", "dist", ".pytest_cache", "__pycache__")


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("renders")
    return {name: render(base / name, answers) for name, answers in MATRIX.items()}


@pytest.fixture(scope="session")
def generated_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default render (this checkout's wheel vendored), for the slow end-to-end tests. Its
    virtualenv (created by the first `make`) is shared: see ``copy_of_generated_project``."""
    # framework_source: vendor, with this checkout's wheel in vendor/ (as `new` makes it).
    return render(tmp_path_factory.mktemp("generated"), {})


@pytest.fixture
def copy_of_generated_project(generated_project: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the default render to adapt, and the virtualenv it runs in (the
    original's: installing the same dependencies again would take a minute)."""
    copy = tmp_path / generated_project.name
    shutil.copytree(generated_project, copy, ignore=_NOT_COPIED)
    return copy, generated_project / ".venv"
