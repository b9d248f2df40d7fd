"""`databricks bundle deploy` (the real CLI, direct engine) into the CLI's own fake
workspace (tools/fakeworkspace), for every target of the root bundle and of three template
renders, read back through the CLI, then `bundle destroy`.

Each (bundle, target) deploys once, into a workspace of its own (the fake keys workspaces
by token), lazily on first use; the tests below read that deployment and the last one
destroys it. Dev deploys as the user tester@databricks.com; a render's shared targets as
the service principal CD deploys them with (the root bundle's by whoever runs the CLI)."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from tests.deploy.expectations import COMPUTE_KEYS, Expected, bundle_targets, expected
from tests.deploy.workspace import (
    SERVICE_PRINCIPAL,
    SERVICE_PRINCIPAL_TOKEN_PREFIX,
    USER,
    USER_SHORT_NAME,
    Cli,
    FakeWorkspace,
)
from tests.template.helpers import REPO, TARGETS

pytestmark = pytest.mark.slow

ROOT_TARGETS = ("dev", "staging", "prod")
RENDERS = ("defaults", "job-clusters", "no-serving-no-monitoring")
CASES = [("root", target) for target in ROOT_TARGETS] + [
    (render, target) for render in RENDERS for target in TARGETS
]
CHECK_SCRIPT = Path(__file__).with_name("entry_points_check.py")
FRAMEWORK = "databricks-mlops"


@dataclass
class Deployment:
    bundle: Path
    target: str
    token: str
    user: str
    expected: Expected
    summary: dict[str, Any]
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)  # key -> `jobs get`
    destroyed: bool = False

    def ids(self, kind: str) -> dict[str, str]:
        return {key: str(r["id"]) for key, r in self.summary["resources"].get(kind, {}).items()}


class Deployments:
    def __init__(self, cli: Cli, workspace: FakeWorkspace, bundles: dict[str, Path]) -> None:
        self.cli, self.workspace, self.bundles = cli, workspace, bundles
        self.done: dict[tuple[str, str], Deployment] = {}

    def get(self, which: str, target: str) -> Deployment:
        found = self.done.get((which, target))
        if found is None or found.destroyed:
            found = self.done[(which, target)] = self._deploy(which, target)
        return found

    def _deploy(self, which: str, target: str) -> Deployment:
        bundle = self.bundles[which]
        as_service_principal = which != "root" and target != "dev"
        user = SERVICE_PRINCIPAL if as_service_principal else USER
        prefix = SERVICE_PRINCIPAL_TOKEN_PREFIX if as_service_principal else "dapi"
        token = f"{prefix}-{which}-{target}"
        # The render's answer is the service principal CD deploys with: here, the fake's.
        overrides = {"service_principal_id": SERVICE_PRINCIPAL} if which != "root" else {}
        var_args = [f"--var={name}={value}" for name, value in overrides.items()]
        mark = len(self.workspace.log_lines())
        done = self.cli.run(["bundle", "deploy", "-t", target, *var_args], token, bundle)
        output = done.stdout + done.stderr
        assert done.returncode == 0, output
        assert "Deployment complete!" in output, output
        assert self.workspace.unhandled_since(mark) == [], "deploy made calls the fake lacks"
        summary = self.cli.json(["bundle", "summary", "-t", target, *var_args], token, bundle)
        deployment = Deployment(
            bundle,
            target,
            token,
            user,
            expected(bundle, target, user, USER_SHORT_NAME, overrides),
            summary,
        )
        for key, job_id in deployment.ids("jobs").items():
            deployment.jobs[key] = self.cli.json(["jobs", "get", job_id], token)
        return deployment


@pytest.fixture(scope="module")
def deployments(
    databricks_cli: Path, fake_workspace: FakeWorkspace, bundles: dict[str, Path], cli_home: Path
) -> Deployments:
    return Deployments(Cli(databricks_cli, fake_workspace.url, cli_home), fake_workspace, bundles)


def test_every_target_of_every_bundle_is_deployed(bundles: dict[str, Path]) -> None:
    """CASES lists them by hand (parametrize needs them before the renders exist)."""
    covered = {which: [t for w, t in CASES if w == which] for which in bundles}
    assert {which: bundle_targets(path) for which, path in bundles.items()} == covered
    assert bundles["root"].joinpath("databricks.yml").read_text() == (
        REPO.joinpath("databricks.yml").read_text()
    )


@pytest.mark.parametrize(("which", "target"), CASES)
def test_every_job_and_task_exists_with_its_compute(
    deployments: Deployments, which: str, target: str
) -> None:
    deployment = deployments.get(which, target)
    expect = deployment.expected
    listed = deployments.cli.json(["jobs", "list"], deployment.token)
    assert sorted(job["settings"]["name"] for job in listed) == sorted(
        job.name for job in expect.jobs.values()
    )
    assert set(deployment.jobs) == set(expect.jobs)
    for key, job in expect.jobs.items():
        settings = deployment.jobs[key]["settings"]
        assert settings["name"] == job.name
        deployed_tasks = {task["task_key"]: task for task in settings["tasks"]}
        assert set(deployed_tasks) == set(job.tasks), key
        environments = {e["environment_key"] for e in settings.get("environments", [])}
        assert environments == set(job.environments), key
        clusters = {c["job_cluster_key"]: c for c in settings.get("job_clusters", [])}
        assert set(clusters) == set(job.job_clusters), key
        for cluster in clusters.values():
            assert cluster["new_cluster"]["spark_version"], f"{key}: {cluster}"
        for task_key, task in job.tasks.items():
            deployed = deployed_tasks[task_key]
            compute = {name: deployed[name] for name in COMPUTE_KEYS if name in deployed}
            assert compute == task.compute, f"{key}.{task_key}"
            assert task.kind in deployed, f"{key}.{task_key}: {sorted(deployed)}"
            if task.wheel_task is not None:
                wheel_task = deployed["python_wheel_task"]
                assert (wheel_task["package_name"], wheel_task["entry_point"]) == task.wheel_task


def deployed_wheels(deployment: Deployment) -> dict[str, set[str]]:
    """task -> the workspace paths of the wheels its libraries and environment name."""
    wheels: dict[str, set[str]] = {}
    for key, job in deployment.jobs.items():
        settings = job["settings"]
        environments = {
            e["environment_key"]: e["spec"].get("dependencies", [])
            for e in settings.get("environments", [])
        }
        for task in settings["tasks"]:
            named = [lib["whl"] for lib in task.get("libraries", []) if "whl" in lib]
            named += environments.get(task.get("environment_key", ""), [])
            wheels[f"{key}.{task['task_key']}"] = {w for w in named if w.endswith(".whl")}
    return wheels


@pytest.mark.parametrize(("which", "target"), CASES)
def test_every_wheel_a_task_names_was_uploaded(
    deployments: Deployments, which: str, target: str
) -> None:
    deployment = deployments.get(which, target)
    artifacts = deployment.summary["workspace"]["artifact_path"]
    wheels = deployed_wheels(deployment)
    for job_key, job in deployment.expected.jobs.items():
        for task_key, task in job.tasks.items():
            declared = task.wheels + job.environments.get(
                task.compute.get("environment_key", ""), ()
            )
            uploaded = wheels[f"{job_key}.{task_key}"]
            # Each declared local wheel (a glob matching the one fresh build) is one upload.
            assert len(uploaded) == len(declared), f"{job_key}.{task_key}: {uploaded} {declared}"
            for path in uploaded:
                assert path.startswith(f"{artifacts}/"), f"{job_key}.{task_key}: {path}"
    for path in set().union(*wheels.values()):
        status = deployments.cli.json(["workspace", "get-status", path], deployment.token)
        assert status["object_type"] == "FILE", status


def install_into_fresh_venv(venv: Path, python: str, wheels: list[Path]) -> None:
    """The wheels and what they require: from uv's cache when it has everything (a second
    faster per case), else from the index."""
    uv = shutil.which("uv")
    assert uv is not None, "uv is not on PATH"
    create = [uv, "venv", "--quiet", "--python", python, str(venv)]
    done = subprocess.run(create, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    install = [uv, "pip", "install", "--quiet", "--python", str(venv / "bin" / "python")]
    for mode in (["--offline"], []):
        args = [*install, *mode, *map(str, wheels)]
        done = subprocess.run(args, capture_output=True, text=True, timeout=600, check=False)
        if done.returncode == 0:
            return
    raise AssertionError(f"{' '.join(args)}:\n{done.stderr}")


@pytest.mark.parametrize(("which", "target"), CASES)
def test_the_uploaded_wheels_alone_import_every_entry_point(
    deployments: Deployments, which: str, target: str, tmp_path: Path, python_for_venvs: str
) -> None:
    """Exactly the uploaded wheels (read back from the workspace), in a fresh venv with no
    checkout on sys.path: every python_wheel_task's entry point loads, and the framework
    and the task's package come from those wheels, not from an index."""
    deployment = deployments.get(which, target)
    downloads = tmp_path / "wheels"
    downloads.mkdir()
    for path in sorted(set().union(*deployed_wheels(deployment).values())):
        wheel = downloads / path.rsplit("/", 1)[1]
        wheel.write_bytes(deployments.workspace.download(path, deployment.token))
    wheel_tasks = sorted(
        {
            task.wheel_task
            for job in deployment.expected.jobs.values()
            for task in job.tasks.values()
            if task.wheel_task is not None
        }
    )
    assert wheel_tasks, "no python_wheel_task to check"
    venv = tmp_path / "venv"
    install_into_fresh_venv(venv, python_for_venvs, sorted(downloads.iterdir()))
    packages = sorted({package for package, _ in wheel_tasks} | {FRAMEWORK})
    check = subprocess.run(
        [str(venv / "bin" / "python"), "-I", str(CHECK_SCRIPT), json.dumps(wheel_tasks), *packages],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert check.returncode == 0, check.stderr
    report = json.loads(check.stdout)
    assert not any(str(REPO) in entry for entry in report["sys_path"]), report["sys_path"]
    assert report["entry_points"] == {f"{p}:{e}": "ok" for p, e in wheel_tasks}
    for package, origin in report["origins"].items():
        assert origin.startswith(downloads.as_uri()), f"{package} came from {origin}"


@pytest.mark.parametrize(("which", "target"), CASES)
def test_schemas_volumes_models_and_experiments_have_the_target_names(
    deployments: Deployments, which: str, target: str
) -> None:
    deployment = deployments.get(which, target)
    expect, cli, token = deployment.expected, deployments.cli, deployment.token
    assert expect.schemas, "every bundle declares its schema"
    if expect.development:
        for full_name in [*expect.schemas.values(), *expect.registered_models.values()]:
            assert f".dev_{USER_SHORT_NAME}_" in full_name, full_name
    assert deployment.ids("schemas") == expect.schemas
    for full_name in expect.schemas.values():
        assert cli.json(["schemas", "get", full_name], token)["full_name"] == full_name
    assert deployment.ids("volumes") == expect.volumes
    for full_name in expect.volumes.values():
        assert cli.json(["volumes", "read", full_name], token)["full_name"] == full_name
    assert set(deployment.ids("registered_models")) == set(expect.registered_models)
    for full_name in expect.registered_models.values():
        assert cli.json(["registered-models", "get", full_name], token)["full_name"] == full_name
    experiments = deployment.ids("experiments")
    assert set(experiments) == set(expect.experiments)
    for key, experiment_id in experiments.items():
        got = cli.json(["experiments", "get-experiment", experiment_id], token)["experiment"]
        assert got["name"].removeprefix("/Workspace") == expect.experiments[key]


@pytest.mark.parametrize(("which", "target"), CASES)
def test_bundle_destroy_leaves_nothing(deployments: Deployments, which: str, target: str) -> None:
    deployment = deployments.get(which, target)
    cli, token, workspace = deployments.cli, deployment.token, deployments.workspace
    wheels = set().union(*deployed_wheels(deployment).values())
    mark = len(workspace.log_lines())
    cli.ok(["bundle", "destroy", "-t", target, "--auto-approve"], token, deployment.bundle)
    deployment.destroyed = True
    assert workspace.unhandled_since(mark) == [], "destroy made calls the fake lacks"
    assert cli.json(["jobs", "list"], token) == []
    for job_id in deployment.ids("jobs").values():
        cli.missing(["jobs", "get", job_id], token)
    for full_name in deployment.expected.schemas.values():
        cli.missing(["schemas", "get", full_name], token)
    for full_name in deployment.expected.volumes.values():
        cli.missing(["volumes", "read", full_name], token)
    for full_name in deployment.expected.registered_models.values():
        cli.missing(["registered-models", "get", full_name], token)
    for experiment_id in deployment.ids("experiments").values():
        cli.missing(["experiments", "get-experiment", experiment_id], token)
    for path in [deployment.expected.root_path, *wheels]:
        cli.missing(["workspace", "get-status", path], token)


def test_the_fake_does_not_list_workspace_folders(deployments: Deployments) -> None:
    """`databricks workspace list` (and so `workspace export-dir`) get a 501 from the fake at
    CLI 0.298.0, which is why the tests above read files by path (docs/databricks.md). When
    a newer CLI's fake answers it, this fails: list the bundle's folders then."""
    cli = deployments.cli
    done = cli.run(["workspace", "list", f"/Workspace/Users/{USER}", "-o", "json"], "dapi-list")
    assert done.returncode != 0
    assert "No stub found for pattern: GET /api/2.0/workspace/list" in done.stderr
