"""One render per answer set for the whole session (rendering takes well under a second)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.template.helpers import MATRIX, render


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("renders")
    return {name: render(base / name, answers) for name, answers in MATRIX.items()}
