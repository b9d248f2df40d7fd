"""The fake workspace process (tools/fakeworkspace) and the real CLI pointed at it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The fake gives each bearer token a workspace of its own; one starting with "dbapi1" is
# its service principal (libs/testserver: ServicePrincipalTokenPrefix), any other the user.
USER = "tester@databricks.com"
USER_SHORT_NAME = "tester"
SERVICE_PRINCIPAL = "aaaaaaaa-bbbb-4ccc-dddd-eeeeeeeeeeee"
SERVICE_PRINCIPAL_TOKEN_PREFIX = "dbapi1"
# How the fake (and the workspace) say a thing is gone: 404 messages vary by service.
NOT_FOUND = re.compile(r"not found|does not exist|doesn't exist", re.IGNORECASE)


@dataclass
class FakeWorkspace:
    url: str
    log: Path
    process: subprocess.Popen[str]

    @classmethod
    @contextmanager
    def start(cls, binary: Path, log: Path) -> Iterator[FakeWorkspace]:
        with log.open("w", encoding="utf-8") as stderr:
            process = subprocess.Popen(
                [str(binary)], stdout=subprocess.PIPE, stderr=stderr, text=True
            )
        try:
            assert process.stdout is not None
            url = process.stdout.readline().strip()  # the first line, once it listens
            if not url.startswith("http://127.0.0.1:"):
                raise RuntimeError(f"{binary} did not print its URL: {url!r}; {log.read_text()}")
            yield cls(url, log, process)
        finally:
            process.terminate()
            process.wait(timeout=30)

    def log_lines(self) -> list[str]:
        return self.log.read_text(encoding="utf-8").splitlines()

    def unhandled_since(self, mark: int) -> list[str]:
        """Requests no handler of the fake answered (it replies 501), after line ``mark``."""
        return [line for line in self.log_lines()[mark:] if line.startswith("UNHANDLED ")]

    def download(self, path: str, token: str) -> bytes:
        """A workspace file's bytes, by the request the CLI's workspace filer makes
        (``Workspace.Download``: export with ``direct_download``). The CLI commands that
        would download a file cannot read the fake's answer (docs/databricks.md)."""
        query = urllib.parse.urlencode({"path": path, "direct_download": "true"})
        request = urllib.request.Request(
            f"{self.url}/api/2.0/workspace/export?{query}",
            headers={"Authorization": f"Bearer {token}"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            body: bytes = response.read()
        return body


@dataclass(frozen=True)
class Cli:
    """The real Databricks CLI against the fake: direct engine, no profile of this machine."""

    binary: Path
    host: str
    home: Path

    def env(self, token: str) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith("DATABRICKS_")}
        # The deploy's artifact build runs uv with this HOME: keep uv's own cache, so a
        # wheel build does not start cold (and does not need the network for hatchling).
        if "UV_CACHE_DIR" not in env:
            env["UV_CACHE_DIR"] = str(Path.home() / ".cache" / "uv")
        # ... and the Pythons uv installed (CI's setup-uv), which it looks for under HOME.
        managed_pythons = Path.home() / ".local" / "share" / "uv" / "python"
        if "UV_PYTHON_INSTALL_DIR" not in env and managed_pythons.is_dir():
            env["UV_PYTHON_INSTALL_DIR"] = str(managed_pythons)
        env.update(
            HOME=str(self.home),
            DATABRICKS_HOST=self.host,
            DATABRICKS_TOKEN=token,
            DATABRICKS_CONFIG_FILE=str(self.home / "no-databrickscfg"),
            DATABRICKS_BUNDLE_ENGINE="direct",
            # The Go SDK's client-side limit (15 requests/s) would make syncing a few
            # hundred files take half a minute against a server that answers in microseconds.
            DATABRICKS_RATE_LIMIT="10000",
        )
        return env

    def run(
        self, args: Sequence[str], token: str, cwd: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.binary), *args],
            cwd=cwd,
            env=self.env(token),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )

    def ok(self, args: Sequence[str], token: str, cwd: Path | None = None) -> str:
        done = self.run(args, token, cwd)
        assert done.returncode == 0, f"databricks {' '.join(args)}:\n{done.stdout}{done.stderr}"
        return done.stdout

    def json(self, args: Sequence[str], token: str, cwd: Path | None = None) -> Any:
        return json.loads(self.ok([*args, "-o", "json"], token, cwd))

    def missing(self, args: Sequence[str], token: str) -> str:
        """The CLI's error for something that must not exist (any other failure is wrong)."""
        done = self.run([*args, "-o", "json"], token)
        assert done.returncode != 0, f"databricks {' '.join(args)} still finds it: {done.stdout}"
        assert NOT_FOUND.search(done.stderr), f"databricks {' '.join(args)}: {done.stderr}"
        return done.stderr
