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
    reason="the Databricks CLI is not on PATH (make databricks-cli builds it; needs Go)",
)
USER = "validator@example.com"


SERVICE_PRINCIPAL = "00000000-0000-0000-0000-000000000000"  # the template's default answer


class StubWorkspace(BaseHTTPRequestHandler):
    """Just enough of a workspace for `bundle validate`; anything else is a 404 to see.

    ``identity`` is who the token belongs to: a person, or (a UUID) the service principal
    CD deploys with. The bundle folder is that identity's home, which it manages."""

    calls: list[str] = []
    identity = USER

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
            me = {"id": "1", "userName": self.identity, "displayName": "Validator", "active": True}
            self._answer(200, me)
        elif path == "/api/2.0/workspace/get-status":
            self._answer(200, {"object_type": "DIRECTORY", "path": "/", "object_id": 1})
        elif path == "/api/2.0/permissions/directories/1":
            kind = "user_name" if "@" in self.identity else "service_principal_name"
            manage = [{"permission_level": "CAN_MANAGE", "inherited": False}]
            admins = [{"permission_level": "CAN_MANAGE", "inherited": True}]
            acl = [{kind: self.identity, "all_permissions": manage}]
            acl.append({"group_name": "admins", "all_permissions": admins})
            body = {"object_id": "/directories/1", "object_type": "directory"}
            self._answer(200, {**body, "access_control_list": acl})
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


# Renders whose targets name no workspace host: a host in databricks.yml wins over
# DATABRICKS_HOST, and no real workspace is reachable from here.
RENDERS_WITHOUT_HOSTS = [
    "defaults",
    "azure-clusters-regression-lean",
    "aws-clusters-everything-off",
]
CASES = [("root", target) for target in ("dev", "staging", "prod")] + [
    (render, target) for render in RENDERS_WITHOUT_HOSTS for target in ("dev", "staging", "prod", "test")
]  # fmt: skip


def diagnostics(stderr: str) -> list[str]:
    """The CLI's warnings, errors and recommendations (the stub's missing host metadata
    gives a log line of its own, "Warn: [hostmetadata]", which is not one)."""
    return [
        line
        for line in stderr.splitlines()
        if line.startswith(("Warning:", "Error:", "Recommendation:"))
    ]


@pytest.mark.slow
@pytest.mark.parametrize(("which", "target"), CASES)
def test_bundle_validate_passes_without_diagnostics(
    rendered: dict[str, Path], workspace: str, tmp_path: Path, which: str, target: str
) -> None:
    from databricks_mlops.runner import load_bundle

    # The CLI writes its cache (.databricks/) into the bundle: a render is validated in a
    # copy, so the session's shared renders stay as generated. The repository ignores it.
    bundle = REPO if which == "root" else Path(shutil.copytree(rendered[which], tmp_path / which))
    # A generated project's shared targets are deployed by CD as its service principal;
    # the root bundle's by whoever runs the CLI (so production mode's checks see a person).
    shared_target = which != "root" and target != "dev"
    StubWorkspace.identity = SERVICE_PRINCIPAL if shared_target else USER
    done = validate(bundle, target, workspace, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert diagnostics(done.stderr) == [], done.stderr
    resolved = json.loads(done.stdout)
    assert resolved["bundle"]["target"] == target
    # The CLI and the local runner read the same jobs out of the bundle.
    assert set(resolved["resources"]["jobs"]) == set(load_bundle(bundle, target, {}).jobs)
    root_path = resolved["workspace"]["root_path"]
    assert root_path.startswith(f"/Workspace/Users/{StubWorkspace.identity}/.bundle/"), root_path
    assert "GET /api/2.0/preview/scim/v2/Me" in StubWorkspace.calls


@pytest.mark.slow
def test_bundle_validate_reports_a_broken_bundle(workspace: str, tmp_path: Path) -> None:
    """The check can fail: a reference to a variable that is not declared is an error."""
    bundle = tmp_path / "broken"
    bundle.mkdir()
    (bundle / "databricks.yml").write_text(
        "bundle:\n  name: broken\n"
        "resources:\n  jobs:\n    nightly:\n      name: nightly ${var.not_declared}\n",
        encoding="utf-8",
    )
    StubWorkspace.identity = USER
    done = validate(bundle, "default", workspace, tmp_path / "home")
    assert done.returncode != 0
    assert "reference does not exist: ${var.not_declared}" in done.stdout + done.stderr
