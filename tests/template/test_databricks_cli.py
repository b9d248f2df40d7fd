"""`databricks bundle validate` (the real Databricks CLI) for dev, staging and prod, on the
root bundle and the default render, against a stub workspace on 127.0.0.1 that answers the
few calls validate makes. Skipped only when the CLI is not installed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from tests.template.helpers import REPO

CLI = shutil.which("databricks")
pytestmark = pytest.mark.skipif(
    CLI is None,
    reason="the Databricks CLI is not on PATH (go install github.com/databricks/cli@v1.13.0)",
)
USER = "validator@example.com"


class StubWorkspace(BaseHTTPRequestHandler):
    """Just enough of a workspace for `bundle validate`; anything else is a 404 to see."""

    calls: list[str] = []

    def _answer(self, status: int, body: dict[str, object]) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        self.calls.append(f"GET {path}")
        if path == "/.well-known/databricks-config":
            self._answer(404, {"error_code": "NOT_FOUND", "message": "no host metadata"})
        elif path == "/api/2.0/preview/scim/v2/Me":
            self._answer(
                200, {"id": "1", "userName": USER, "displayName": "Validator", "active": True}
            )
        elif path == "/api/2.0/workspace/get-status":
            self._answer(200, {"object_type": "DIRECTORY", "path": "/", "object_id": 1})
        else:
            self._answer(404, {"error_code": "ENDPOINT_NOT_FOUND", "message": path})

    def do_POST(self) -> None:
        path = self.path.split("?", 1)[0]
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.calls.append(f"POST {path}")
        if path == "/api/2.0/workspace/mkdirs":
            self._answer(200, {})
        else:
            self._answer(404, {"error_code": "ENDPOINT_NOT_FOUND", "message": path})

    def log_message(self, *args: object) -> None:
        return  # keep pytest output clean


@pytest.fixture(scope="module")
def workspace() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), StubWorkspace)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def validate(bundle: Path, target: str, host: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("DATABRICKS_")}
    env.update(
        DATABRICKS_HOST=host,
        DATABRICKS_TOKEN="dapi-stub",
        DATABRICKS_CONFIG_FILE=str(home / "databrickscfg"),  # no profile from this machine
        HOME=str(home),
    )
    assert CLI is not None
    return subprocess.run(
        [CLI, "bundle", "validate", "-t", target, "--output", "json"],
        cwd=bundle,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
@pytest.mark.parametrize("target", ["dev", "staging", "prod"])
@pytest.mark.parametrize("which", ["root", "default render"])
def test_bundle_validate_passes(
    rendered: dict[str, Path], workspace: str, tmp_path: Path, which: str, target: str
) -> None:
    bundle = REPO if which == "root" else rendered["defaults"]
    done = validate(bundle, target, workspace, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    resolved = json.loads(done.stdout)
    assert resolved["bundle"]["target"] == target
    assert resolved["resources"]["jobs"], "no jobs in the validated bundle"
    assert "GET /api/2.0/preview/scim/v2/Me" in StubWorkspace.calls
