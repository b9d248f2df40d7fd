"""The local endpoint registry: which scoring server answers for which endpoint name.

Locally an "endpoint" is an ``mlflow models serve`` process on 127.0.0.1. The deployer
writes one entry per endpoint name to ``<MLOPS_HOME>/endpoints.json`` and the serving
client reads it, so ``ModelClient.predict("churn-predictor", ...)`` finds the current
(after a blue/green switch: the green) server by name. Writes are atomic (temp file +
rename) under an advisory lock, so a reader never sees half a file.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

REGISTRY_FILE = "endpoints.json"


class LocalEndpointEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    url: str = Field(description="http://127.0.0.1:PORT of the scoring server.")
    model_name: str
    version: str
    pid: int
    port: int
    started_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    previous_version: str | None = None


class LocalEndpointRegistry:
    def __init__(self, home: Path) -> None:
        self.path = home / REGISTRY_FILE

    def get(self, name: str) -> LocalEndpointEntry | None:
        return self._read().get(name)

    def list(self) -> list[LocalEndpointEntry]:
        return sorted(self._read().values(), key=lambda entry: entry.name)

    def put(self, entry: LocalEndpointEntry) -> None:
        with self._locked():
            entries = self._read()
            entries[entry.name] = entry
            self._write(entries)

    def remove(self, name: str) -> LocalEndpointEntry | None:
        with self._locked():
            entries = self._read()
            removed = entries.pop(name, None)
            self._write(entries)
            return removed

    def _read(self) -> dict[str, LocalEndpointEntry]:
        if not self.path.exists():
            return {}
        raw = json.loads(self.path.read_text() or "{}")
        return {name: LocalEndpointEntry.model_validate(value) for name, value in raw.items()}

    def _write(self, entries: dict[str, LocalEndpointEntry]) -> None:
        payload = {name: entry.model_dump(mode="json") for name, entry in entries.items()}
        fd, temp = tempfile.mkstemp(dir=self.path.parent, prefix=".endpoints-")
        with os.fdopen(fd, "w") as handle:
            json.dump(payload, handle, indent=2, sort_keys=True)
        os.replace(temp, self.path)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
