"""`make upload-sample TARGET=...`: the sample file lands in the deployed target's raw volume,
so the first data_ingestion run on a fresh workspace has something to read.

The Databricks CLI is replaced by a fake on PATH (the workspace side): `bundle summary -o json`
answers what the real one prints for a deployed target, `fs cp` copies into a folder."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.template.helpers import render

# What `databricks bundle summary -t <target> -o json` prints (trimmed): development mode has
# prefixed the schema with the user's name; the volume still refers to it (the CLI resolves
# resource references at deploy time).
SUMMARIES = {
    "dev": {
        "bundle": {"name": "churn-mlops", "target": "dev"},
        "variables": {"source_file": {"default": "customers.csv", "value": "customers.csv"}},
        "resources": {
            "schemas": {
                "project_schema": {"catalog_name": "main", "name": "dev_alice_churn_mlops_dev"}
            },
            "volumes": {
                "raw": {
                    "catalog_name": "main",
                    "schema_name": "${resources.schemas.project_schema.name}",
                    "name": "raw",
                }
            },
        },
    },
    "staging": {
        "bundle": {"name": "churn-mlops", "target": "staging"},
        "variables": {"source_file": {"default": "customers.csv", "value": "accounts.csv"}},
        "resources": {
            "schemas": {
                "project_schema": {"catalog_name": "ml_staging", "name": "churn_mlops_staging"}
            },
            "volumes": {
                "raw": {
                    "catalog_name": "ml_staging",
                    "schema_name": "churn_mlops_staging",
                    "name": "raw",
                }
            },
        },
    },
}

FAKE_CLI = '''#!{python}
"""A fake `databricks`: bundle summary from a JSON file, fs cp into a folder; logs argv."""
import json, shutil, sys
from pathlib import Path
state = Path({state!r})
args = sys.argv[1:]
with open(state / "calls.log", "a") as log:
    log.write(json.dumps(args) + "\\n")
if args[:2] == ["bundle", "summary"]:
    target = args[args.index("-t") + 1]
    summary = state / f"summary-{{target}}.json"
    if not summary.exists():
        sys.exit("Error: cannot resolve bundle auth configuration: default auth: cannot configure default credentials")
    print(summary.read_text())
elif args[:2] == ["fs", "cp"]:
    source, destination = args[3], args[4]
    assert destination.startswith("dbfs:/Volumes/"), destination
    target = state / "workspace" / destination.removeprefix("dbfs:/")
    if not (state / "workspace" / "/".join(destination.removeprefix("dbfs:/").split("/")[:4])).is_dir():
        sys.exit(f"Error: {{destination}}: no such directory")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
else:
    sys.exit(f"fake databricks: unexpected {{args}}")
'''


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render(tmp_path_factory.mktemp("upload"), {})


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """The fake CLI's state: summaries of the deployed targets and the volumes' contents."""
    (tmp_path / "bin").mkdir()
    cli = tmp_path / "bin" / "databricks"
    cli.write_text(FAKE_CLI.format(python=sys.executable, state=str(tmp_path)))
    cli.chmod(0o755)
    return tmp_path


def deploy(workspace: Path, target: str) -> None:
    """What `make deploy` leaves behind for the fake: a summary, an empty raw volume."""
    summary = SUMMARIES[target]
    (workspace / f"summary-{target}.json").write_text(json.dumps(summary))
    volume = summary["resources"]["volumes"]["raw"]
    schema = (
        summary["resources"]["schemas"]["project_schema"]["name"]
        if volume["schema_name"].startswith("${")
        else volume["schema_name"]
    )
    (workspace / "workspace" / "Volumes" / volume["catalog_name"] / schema / "raw").mkdir(
        parents=True
    )


def upload_sample(project: Path, workspace: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "churn_mlops.sample_data", "--rows", "40", "--upload", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
        env={
            **os.environ,
            "PATH": f"{workspace / 'bin'}{os.pathsep}{os.environ['PATH']}",
            "PYTHONPATH": str(project / "src"),
            "MLOPS_HOME": str(workspace / "local"),
        },
    )


def calls(workspace: Path) -> list[list[str]]:
    return [json.loads(line) for line in (workspace / "calls.log").read_text().splitlines()]


def test_upload_sample_writes_the_sample_into_the_dev_volume(
    project: Path, workspace: Path
) -> None:
    deploy(workspace, "dev")
    done = upload_sample(project, workspace, "--target", "dev")
    assert done.returncode == 0, done.stderr
    remote = "/Volumes/main/dev_alice_churn_mlops_dev/raw/customers.csv"
    assert done.stdout.strip() == (
        f"upload-sample: 40 rows of the 'churn' sample in {remote} (dev)"
    )
    with open(workspace / "workspace" / remote.removeprefix("/")) as uploaded:
        rows = list(csv.DictReader(uploaded))
    assert len(rows) == 40 and {"customer_id", "churn"} <= set(rows[0])
    assert calls(workspace)[-1][:3] == ["fs", "cp", "--overwrite"]
    assert calls(workspace)[-1][-1] == f"dbfs:{remote}"
    assert not (workspace / "local").exists(), "nothing is written locally"


def test_each_target_gets_its_own_volume_and_profile(project: Path, workspace: Path) -> None:
    deploy(workspace, "staging")
    done = upload_sample(project, workspace, "--target", "staging", "--profile", "stg")
    assert done.returncode == 0, done.stderr
    assert (
        workspace / "workspace/Volumes/ml_staging/churn_mlops_staging/raw/accounts.csv"
    ).is_file()
    summary, copy = calls(workspace)
    assert summary == ["bundle", "summary", "-t", "staging", "-o", "json", "--profile", "stg"]
    assert copy[-3:] == [
        "dbfs:/Volumes/ml_staging/churn_mlops_staging/raw/accounts.csv",
        "--profile",
        "stg",
    ]


def test_upload_before_login_says_what_to_do(project: Path, workspace: Path) -> None:
    done = upload_sample(project, workspace, "--target", "dev")
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "error: `databricks bundle summary -t dev -o json` failed (Error: cannot resolve bundle "
        "auth configuration: default auth: cannot configure default credentials): log in "
        "(`databricks auth login`) and give PROFILE= if the target's workspace is not your "
        "default profile"
    )


def test_make_upload_sample_passes_target_and_profile(project: Path) -> None:
    done = subprocess.run(
        # --no-print-directory: under CI's own `make test` this make is a sub-make, which
        # would otherwise print "Entering/Leaving directory" lines around its output.
        [
            "make",
            "-n",
            "--no-print-directory",
            "upload-sample",
            "TARGET=prod",
            "PROFILE=prod-ws",
            "UV=uv",
        ],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.splitlines()[-1] == (
        "uv run python -m churn_mlops.sample_data --target prod --rows 5000 --upload "
        "--profile prod-ws"
    )


def test_upload_before_deploy_says_to_deploy_first(project: Path, workspace: Path) -> None:
    (workspace / "summary-dev.json").write_text(json.dumps(SUMMARIES["dev"]))  # no volume yet
    done = upload_sample(project, workspace, "--target", "dev")
    assert done.returncode == 1
    assert done.stderr.strip().endswith(
        "no such directory): deploy the target first (`make deploy TARGET=dev` creates the "
        "volume /Volumes/main/dev_alice_churn_mlops_dev/raw)"
    )


def test_the_readme_walks_through_deploy_upload_trigger_in_order(project: Path) -> None:
    readme = (project / "README.md").read_text()
    deploy = readme[readme.index("## Deploy") :]
    deploy = deploy[: deploy.index("\n## ", 1)]
    steps = [
        "make deploy TARGET=dev",
        "make upload-sample TARGET=dev",
        "databricks bundle run -t dev data_ingestion",
    ]
    positions = [deploy.index(step) for step in steps]
    assert positions == sorted(positions)


def test_cd_uploads_the_sample_before_the_integration_run(project: Path) -> None:
    import yaml

    workflow = yaml.safe_load((project / ".github" / "workflows" / "cd-staging.yml").read_text())
    runs = [step.get("run", "") for step in workflow["jobs"]["integration"]["steps"]]
    order = [
        runs.index("databricks bundle deploy -t test"),
        runs.index("make upload-sample TARGET=test"),
        runs.index("databricks bundle run -t test mlops_workflow"),
    ]
    assert order == sorted(order)
