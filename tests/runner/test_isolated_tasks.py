"""Isolated wheel tasks: each runs in an environment of exactly what the bundle declares.

The fixture bundle (fixtures_isolated/slugger) is a tiny package whose task imports
``text_unidecode``, which this suite's venv has but the package does not declare; only one
of the bundle's two environments adds it. Environments build from the uv cache in about a
second, so these tests run real builds.
"""

from __future__ import annotations

import io
import re
import shutil
import sys
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from databricks_mlops.cli.app import app
from databricks_mlops.errors import RunnerError
from databricks_mlops.runner import TaskStatus, load_bundle
from databricks_mlops.runner.executor import LocalJobRunner
from databricks_mlops.runner.platform_packages import compute_packages, pinned
from databricks_mlops.runner.results import JobRunResult
from databricks_mlops.runner.task_environment import declared_dependencies

FIXTURE = Path(__file__).parent / "fixtures_isolated" / "slugger"
ENV_LINE = re.compile(
    r"isolated env [0-9a-f]{12} \((cached|built in [0-9.]+ s)(, Spark Connect)?\)"
)


@pytest.fixture
def bundle_dir(tmp_path: Path) -> Path:
    """A copy of the fixture bundle (its artifact build writes dist/ next to it)."""
    target = tmp_path / "slugger"
    shutil.copytree(FIXTURE, target, ignore=shutil.ignore_patterns("dist", "*.egg-info"))
    return target


def run(
    bundle_dir: Path,
    job: str,
    home: Path,
    isolated: bool = True,
    variables: dict[str, str] | None = None,
) -> tuple[JobRunResult, str]:
    output = io.StringIO()
    bundle = load_bundle(bundle_dir, variables=variables)
    runner = LocalJobRunner(bundle, Console(file=output, width=200), home=home, isolated=isolated)
    return runner.run(job), output.getvalue()


def checkout_importable(bundle_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The package's source on this process's path, as an editable install puts it."""
    monkeypatch.syspath_prepend(str(bundle_dir / "src"))
    monkeypatch.setenv("PYTHONPATH", str(bundle_dir / "src"))
    monkeypatch.delitem(sys.modules, "slugger", raising=False)


def test_an_undeclared_dependency_fails_with_the_import_error_databricks_shows(
    bundle_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkout_importable(bundle_dir, monkeypatch)  # and text_unidecode is in this venv
    result, output = run(bundle_dir, "slugs", tmp_path / "home")

    slug = result.task("slug")
    assert slug.status is TaskStatus.FAILED
    assert slug.error == "ModuleNotFoundError: No module named 'text_unidecode'"
    assert slug.traceback is not None
    assert "slugger/tasks.py" in slug.traceback
    assert str(tmp_path / "home" / "task-envs") in slug.traceback  # the wheel, as installed
    assert '"<string>"' not in slug.traceback  # the bootstrap's frames are not the task's
    assert ENV_LINE.search(output)


def test_a_declared_dependency_passes_and_parameters_arrive_as_on_databricks(
    bundle_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "home"
    result, output = run(bundle_dir, "slugs", home, variables={"environment": "with_unidecode"})

    slug = result.task("slug")
    assert slug.status is TaskStatus.SUCCESS, slug.error
    printed = capsys.readouterr().out
    # named_parameters -> --text=Crème brûlée, and the entry point `slugger-slug` exists
    # only in the wheel's metadata ([project.scripts]): no module has that name.
    assert "slug: creme-brulee" in printed
    assert f"python: {home / 'task-envs'}" in printed  # not this interpreter
    assert slug.environment is not None
    assert re.fullmatch(
        r"isolated env [0-9a-f]{12} \(built in [0-9.]+ s, Spark Connect\)", slug.environment
    )
    assert slug.environment in output  # the summary says where it ran


def test_a_rerun_reuses_the_cached_environment_and_says_so(
    bundle_dir: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    variables = {"environment": "with_unidecode"}
    first, _ = run(bundle_dir, "slugs", home, variables=variables)
    built = [path for path in (home / "task-envs").iterdir() if not path.name.startswith(".")]
    assert len(built) == 1
    stamp = built[0].stat().st_mtime_ns

    second, output = run(bundle_dir, "slugs", home, variables=variables)

    environment = second.task("slug").environment
    assert second.succeeded
    assert environment is not None
    assert environment.endswith("(cached, Spark Connect)")
    assert environment.split()[2] == first.task("slug").environment.split()[2]  # type: ignore[union-attr]
    assert f"{environment}" in output
    assert sorted((home / "task-envs").iterdir()) == built  # no staging dirs left behind
    assert built[0].stat().st_mtime_ns == stamp  # not rebuilt


def test_a_module_only_in_the_checkout_fails_isolated_but_passes_in_process(
    bundle_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkout_importable(bundle_dir, monkeypatch)

    in_process, _ = run(bundle_dir, "notes", tmp_path / "home", isolated=False)
    isolated, _ = run(bundle_dir, "notes", tmp_path / "home")

    assert in_process.succeeded  # the gap isolation closes: it ran the checkout, not the wheel
    notes = isolated.task("notes")
    assert notes.status is TaskStatus.FAILED
    assert notes.error == "ModuleNotFoundError: No module named 'slugger.local_notes'"


def test_a_requirement_that_does_not_install_names_the_task_the_requirement_and_uv_message(
    bundle_dir: Path, tmp_path: Path
) -> None:
    config = bundle_dir / "databricks.yml"
    broken = config.read_text(encoding="utf-8").replace(
        "text-unidecode>=1.3", "text-unidecode==999.0"
    )
    config.write_text(
        broken.replace("- task_key: slug\n", "- task_key: slug\n          max_retries: 2\n"),
        encoding="utf-8",
    )
    result, _ = run(
        bundle_dir, "slugs", tmp_path / "home", variables={"environment": "with_unidecode"}
    )

    slug = result.task("slug")
    assert slug.status is TaskStatus.FAILED
    assert slug.error is not None
    assert "task 'slug': failed to build its isolated environment" in slug.error
    assert "serverless environment 'with_unidecode' (version 4)" in slug.error
    assert "text-unidecode==999.0" in slug.error
    assert "uv says:" in slug.error
    assert slug.attempts == 1  # the same declaration would fail the same way again
    assert slug.not_retried == "TaskEnvironmentError fails the same way on every attempt"
    assert not [p for p in (tmp_path / "home" / "task-envs").iterdir()]  # nothing half-built


def test_timeout_seconds_stops_the_task_process_and_is_not_retried(
    bundle_dir: Path, tmp_path: Path
) -> None:
    result, _ = run(bundle_dir, "sleeper", tmp_path / "home")

    sleep = result.task("sleep")
    assert sleep.status is TaskStatus.FAILED
    assert sleep.error is not None
    assert sleep.error.startswith("timed out after 2 s (timeout_seconds)")
    assert sleep.attempts == 1  # max_retries: 2, but no retry_on_timeout
    assert sleep.duration_seconds < 60


def test_the_cli_isolates_by_default_and_runs_in_process_on_request(
    bundle_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkout_importable(bundle_dir, monkeypatch)
    monkeypatch.delenv("MLOPS_TASK_ISOLATION", raising=False)  # the suite runs in process
    cli = CliRunner()

    isolated = cli.invoke(app, ["run", "notes", "-C", str(bundle_dir)])
    in_process = cli.invoke(app, ["run", "notes", "-C", str(bundle_dir), "--in-process"])

    assert isolated.exit_code == 1
    assert "No module named 'slugger.local_notes'" in isolated.output
    assert in_process.exit_code == 0, in_process.output
    assert "notes: local ['notes', 'a', 'b']" in in_process.output  # positional parameters


def test_an_unknown_isolation_mode_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLOPS_TASK_ISOLATION", "sandbox")
    with pytest.raises(
        RunnerError, match=r"MLOPS_TASK_ISOLATION='sandbox' is not a task isolation mode"
    ):
        LocalJobRunner(load_bundle(FIXTURE), Console(file=io.StringIO()))


def test_without_uv_the_task_fails_saying_how_to_get_it(
    bundle_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no uv here
    result, _ = run(bundle_dir, "notes", tmp_path / "home")

    assert result.task("notes").error is not None
    assert "uv is not on PATH" in result.task("notes").error  # type: ignore[operator]


def test_cluster_libraries_and_the_runtime_declare_the_environment() -> None:
    job = {
        "job_clusters": [
            {"job_cluster_key": "default", "new_cluster": {"spark_version": "17.3.x-scala2.13"}}
        ],
    }
    task = {
        "task_key": "train",
        "job_cluster_key": "default",
        "libraries": [{"whl": "./dist/*.whl"}, {"pypi": {"package": "text-unidecode>=1.3"}}],
    }

    declaration = declared_dependencies(job, task)

    assert declaration.wheels == ("./dist/*.whl",)
    assert declaration.requirements == ("text-unidecode>=1.3",)
    assert declaration.kind == "cluster"
    assert declaration.version == "17.3.x-scala2.13"


def test_the_platform_packages_are_pinned_to_the_local_engine() -> None:
    from importlib import metadata

    provided = pinned(compute_packages("serverless", "4"))

    assert provided[0] == f"pyspark=={metadata.version('pyspark')}"
    assert f"delta-spark=={metadata.version('delta-spark')}" in provided
    assert not any(requirement.startswith("text-unidecode") for requirement in provided)


def test_a_failing_artifact_build_fails_the_task_with_the_build_output(
    bundle_dir: Path, tmp_path: Path
) -> None:
    config = bundle_dir / "databricks.yml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "build: rm -rf dist && uv build --wheel --offline --quiet",
            "build: echo 'no setup.cfg here' >&2 && exit 3",
        ),
        encoding="utf-8",
    )

    result, _ = run(bundle_dir, "notes", tmp_path / "home")

    error = result.task("notes").error
    assert error is not None
    assert "artifact 'slugger_wheel' of bundle 'slugger': build" in error
    assert "failed (exit 3):\nno setup.cfg here" in error


def test_a_wheel_task_without_compute_says_what_to_declare(
    bundle_dir: Path, tmp_path: Path
) -> None:
    config = bundle_dir / "databricks.yml"
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace(
            "        - task_key: notes\n          environment_key: default\n",
            "        - task_key: notes\n",
        ),
        encoding="utf-8",
    )

    result, _ = run(bundle_dir, "notes", tmp_path / "home")

    error = result.task("notes").error
    assert error is not None
    assert error.startswith("task 'notes' declares no compute (environment_key, job_cluster_key")


def test_serverless_tasks_get_a_spark_connect_session_and_cluster_tasks_a_classic_one(
    bundle_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Serverless compute is Spark Connect: the runner switches the task's local session to
    one (MLOPS_SPARK_CONNECT=1; tests/runtime/test_spark_connect.py shows what that session
    refuses), and says so; a job cluster's task gets a classic session, as on Databricks."""
    result, output = run(bundle_dir, "compute_kinds", tmp_path / "home")

    assert result.succeeded, [(t.task_key, t.error) for t in result.tasks]
    printed = capsys.readouterr().out
    assert printed.count("spark connect: 1") == 1
    assert printed.count("spark connect: 0") == 1
    serverless, cluster = result.task("on_serverless"), result.task("on_cluster")
    assert serverless.environment is not None and serverless.environment.endswith(
        ", Spark Connect)"
    )
    assert cluster.environment is not None and "Spark Connect" not in cluster.environment
    assert serverless.environment in output
