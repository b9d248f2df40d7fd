"""Fixtures of the Databricks serving tests (a recording Model Serving stub on 127.0.0.1)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.deployment.serving_workspace_stub import ServingWorkspaceStub


@pytest.fixture
def serving_workspace() -> Iterator[ServingWorkspaceStub]:
    """A fresh in-memory workspace per test; the real SDK client is ``.client()``."""
    stub = ServingWorkspaceStub().start()
    yield stub
    stub.stop()
