"""`databricks-mlops update`: a template change reaches a generated project, the user's
edits survive (three-way merge through git)."""

from __future__ import annotations

import json
import shutil
import subprocess
from importlib import metadata
from pathlib import Path

import pytest
from tests.template.helpers import TEMPLATE, framework_wheel, render
from typer.testing import CliRunner

from databricks_mlops.cli.app import app
from databricks_mlops.project import ProjectError, update_project
from databricks_mlops.project.update import _new_answers

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
}


def git(cwd: Path, *args: str) -> str:
    import os

    done = subprocess.run(
        ["git", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_ENV},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def commit_all(cwd: Path, message: str) -> str:
    git(cwd, "add", "-A")
    git(cwd, "commit", "-q", "-m", message)
    return git(cwd, "rev-parse", "HEAD")


@pytest.fixture
def template_repo(tmp_path: Path) -> Path:
    """The template, copied into a git repository of its own (as a template repo is)."""
    repo = tmp_path / "template-repo"
    shutil.copytree(TEMPLATE, repo / "template", ignore=shutil.ignore_patterns("__pycache__"))
    git(repo, "init", "-q", "-b", "main")
    commit_all(repo, "template v1")
    return repo


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def test_a_template_change_arrives_and_the_user_edit_survives(
    tmp_path: Path, template_repo: Path
) -> None:
    project = render(tmp_path / "out", {}, template=template_repo / "template")
    first = json.loads((project / ".cruft.json").read_text())["commit"]
    git(project, "init", "-q", "-b", "main")
    commit_all(project, "generated")

    # The user tunes the model (and adds a file of their own).
    edit(project / "configs" / "training.yml", "max_iter: 200", "max_iter: 800")
    (project / "src" / "churn_mlops" / "extra.py").write_text('"""Mine."""\n')
    commit_all(project, "tune the model")

    # The template improves: a new rule in data.yml, and a change in the same file the
    # user edited, in another place.
    tpl = template_repo / "template" / "{{cookiecutter.project_slug}}" / "configs"
    edit(
        tpl / "data.yml",
        "  - name: not_empty\n",
        '  - name: has_signup_date\n    condition: "signup_date is not null"\n'
        "    severity: warning\n  - name: not_empty\n",
    )
    edit(tpl / "training.yml", "split_ratios: [0.7, 0.15, 0.15]", "split_ratios: [0.8, 0.1, 0.1]")
    second = commit_all(template_repo, "template v2")

    result = CliRunner().invoke(app, ["update", str(project)])
    assert result.exit_code == 0, result.output
    assert "updated from template commit" in result.output

    assert "has_signup_date" in (project / "configs" / "data.yml").read_text()
    training = (project / "configs" / "training.yml").read_text()
    assert "split_ratios: [0.8, 0.1, 0.1]" in training  # the template's change
    assert "max_iter: 800" in training  # the user's edit
    assert (project / "src" / "churn_mlops" / "extra.py").is_file()
    state = json.loads((project / ".cruft.json").read_text())
    assert first != second
    assert state["commit"] == second


def test_update_with_nothing_new_says_so(tmp_path: Path, template_repo: Path) -> None:
    project = render(tmp_path / "out", {}, template=template_repo / "template")
    git(project, "init", "-q", "-b", "main")
    commit_all(project, "generated")
    assert update_project(project).changed is False


def test_update_refuses_uncommitted_changes(tmp_path: Path, template_repo: Path) -> None:
    project = render(tmp_path / "out", {}, template=template_repo / "template")
    git(project, "init", "-q", "-b", "main")
    commit_all(project, "generated")
    (project / "README.md").write_text("mine\n")
    with pytest.raises(ProjectError, match="has uncommitted changes: commit or stash them"):
        update_project(project)


def test_update_needs_a_git_repository(tmp_path: Path, template_repo: Path) -> None:
    project = render(tmp_path / "out", {}, template=template_repo / "template")
    with pytest.raises(ProjectError, match="is not a git repository"):
        update_project(project)


def test_update_needs_the_answers_file(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match=r"has no readable \.cruft\.json"):
        update_project(tmp_path)


def test_the_vendored_wheel_is_recorded(tmp_path: Path, template_repo: Path) -> None:
    project = render(tmp_path / "out", {}, template=template_repo / "template")
    answers = json.loads((project / ".cruft.json").read_text())["context"]["cookiecutter"]
    assert answers["framework_source"] == "vendor"
    assert answers["framework_version"] == metadata.version("databricks-mlops")
    assert (project / "vendor" / framework_wheel().name).is_file()


def test_update_replaces_the_vendored_wheel_with_the_running_version(
    tmp_path: Path, template_repo: Path
) -> None:
    project = render(tmp_path / "out", {}, template=template_repo / "template")
    # As if generated by an older framework: vendor/, the answers and every reference name
    # a 0.0.9 wheel.
    current, old = framework_wheel().name, "databricks_mlops-0.0.9-py3-none-any.whl"
    version = metadata.version("databricks-mlops")
    (project / "vendor" / current).rename(project / "vendor" / old)
    for path in project.rglob("*"):
        if path.is_file() and path.suffix in {".toml", ".yml", ".md", ".json"}:
            text = path.read_text(encoding="utf-8")
            path.write_text(
                text.replace(current, old)
                .replace(f"databricks-mlops=={version}", "databricks-mlops==0.0.9")
                .replace(f'"framework_version": "{version}"', '"framework_version": "0.0.9"'),
                encoding="utf-8",
            )
    git(project, "init", "-q", "-b", "main")
    commit_all(project, "generated by 0.0.9")

    result = update_project(project, framework_wheel=framework_wheel())
    assert (result.from_wheel, result.to_wheel, result.changed) == (old, current, True)
    assert [p.name for p in (project / "vendor").iterdir()] == [current]
    pyproject = (project / "pyproject.toml").read_text()
    assert f'databricks-mlops = {{ path = "vendor/{current}" }}' in pyproject
    assert f'"databricks-mlops=={version}"' in pyproject
    for job in (project / "resources").glob("*.job.yml"):
        assert old not in job.read_text(), job
    assert f"../vendor/{current}" in (project / "resources" / "data_ingestion.job.yml").read_text()
    state = json.loads((project / ".cruft.json").read_text())["context"]["cookiecutter"]
    assert state["framework_version"] == metadata.version("databricks-mlops")


def test_update_moves_an_old_checkout_path_answer_to_vendor() -> None:
    wheel = framework_wheel()
    assert _new_answers({"framework_source": "/home/me/databricks-mlops"}, wheel) == {
        "framework_source": "vendor",
        "framework_version": metadata.version("databricks-mlops"),
    }
    assert _new_answers({"framework_source": "vendor"}, wheel) == {
        "framework_version": metadata.version("databricks-mlops")
    }
    assert _new_answers({"framework_source": "pypi"}, None) == {}
