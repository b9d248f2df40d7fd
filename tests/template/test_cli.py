"""`databricks-mlops new`: defaults, an answers file, answers on the command line."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from tests.template.helpers import REPO, TEMPLATE, framework_wheel
from typer.testing import CliRunner

from databricks_mlops.cli.app import app
from databricks_mlops.project import ProjectError, default_template


def test_the_default_template_is_the_checkouts(tmp_path: Path) -> None:
    assert default_template() == TEMPLATE


def test_new_with_no_input_renders_the_defaults(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["new", "--no-input", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    project = tmp_path / "churn-mlops"
    assert (project / "databricks.yml").is_file()
    assert (project / "src" / "churn_mlops" / "stages" / "data.py").is_file()
    # No --framework-wheel: the wheel is built from this (editable) checkout, found through
    # the distribution's direct_url.json, and vendored at the running version.
    wheel = f"databricks_mlops-{metadata.version('databricks-mlops')}-py3-none-any.whl"
    assert [p.name for p in (project / "vendor").iterdir()] == [wheel]
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["tool"]["uv"]["sources"]["databricks-mlops"] == {"path": f"vendor/{wheel}"}


def test_new_vendors_the_framework_wheel_it_is_given(tmp_path: Path) -> None:
    given = framework_wheel()
    result = CliRunner().invoke(
        app, ["new", "--no-input", "--framework-wheel", str(given), "-o", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    vendored = tmp_path / "churn-mlops" / "vendor" / given.name
    assert vendored.read_bytes() == given.read_bytes()


def test_new_refuses_a_framework_wheel_of_another_version(tmp_path: Path) -> None:
    other = tmp_path / "databricks_mlops-0.0.1-py3-none-any.whl"
    shutil.copyfile(framework_wheel(), other)
    result = CliRunner().invoke(
        app, ["new", "--no-input", "--framework-wheel", str(other), "-o", str(tmp_path / "out")]
    )
    assert isinstance(result.exception, ProjectError), result.output
    assert str(result.exception) == (
        f"--framework-wheel {other} is databricks-mlops 0.0.1, but the running framework "
        f"(whose template generates the project) is {metadata.version('databricks-mlops')}: "
        f"give the wheel of version {metadata.version('databricks-mlops')}, or reinstall the "
        "framework from that wheel's source"
    )
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_new_reads_an_answers_file(tmp_path: Path) -> None:
    answers = tmp_path / "answers.yml"
    answers.write_text(
        "project_name: Fraud Detection\nmodel_type: regression\nframework_source: pypi\n"
    )
    result = CliRunner().invoke(
        app, ["new", "--no-input", "--config-file", str(answers), "-o", str(tmp_path / "out")]
    )
    assert result.exit_code == 0, result.output
    project = tmp_path / "out" / "fraud-detection"
    state = json.loads((project / ".cruft.json").read_text())["context"]["cookiecutter"]
    assert (state["package_name"], state["model_type"]) == ("fraud_detection", "regression")
    # pypi: a plain dependency, nothing vendored, no local source.
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"]["dependencies"] == ["databricks-mlops>=0.1"]
    assert "uv" not in pyproject.get("tool", {})
    assert not (project / "vendor").exists()
    assert "vendor" not in (project / "resources" / "data_ingestion.job.yml").read_text()


def test_new_refuses_an_old_checkout_path_answer(tmp_path: Path) -> None:
    answers = tmp_path / "answers.yml"
    answers.write_text(f"framework_source: {REPO}\n")
    result = CliRunner().invoke(
        app, ["new", "--no-input", "--config-file", str(answers), "-o", str(tmp_path / "out")]
    )
    assert isinstance(result.exception, ProjectError), result.output
    assert str(result.exception).startswith(
        f"the template rejected the answers: framework_source '{REPO}' is no longer supported: "
        "a local checkout path would be written into the project"
    )
    assert not any((tmp_path / "out").iterdir())


def test_new_reads_a_cookiecutter_config_file(tmp_path: Path) -> None:
    config = tmp_path / "cookiecutter.yml"
    config.write_text("default_context:\n  project_name: Ad Bidding\n  cloud: gcp\n")
    result = CliRunner().invoke(
        app, ["new", "--no-input", "--config-file", str(config), "-o", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert "n2-standard-4" not in (tmp_path / "ad-bidding" / "databricks.yml").read_text()
    assert (tmp_path / "ad-bidding" / "README.md").read_text().count("GCP") == 1


def test_new_reports_a_bad_answer_as_one_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["new", "--no-input", "-a", "catalog_dev=bad-name", "-o", str(tmp_path)]
    )
    assert result.exit_code == 1
    assert isinstance(result.exception, ProjectError)
    assert str(result.exception).startswith(
        "the template rejected the answers: catalog_dev 'bad-name' is not a Unity Catalog"
    )
    assert not any(tmp_path.iterdir())


def test_new_prints_a_rejected_answer_as_one_line(tmp_path: Path) -> None:
    # A copy outside git, as an installed wheel's template is (no "uncommitted" warning).
    template = shutil.copytree(TEMPLATE, tmp_path / "template")
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "databricks-mlops"),
            "new",
            "--no-input",
            "--template",
            str(template),
            "-a",
            "author_email=nobody",
            "-o",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "error: the template rejected the answers: author_email 'nobody' is not an email "
        "address (name@domain.tld)"
    ]
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_a_hostile_answers_file_is_one_clear_error(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.yml"
    bomb.write_text(
        "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        + "".join(
            f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n"
            for i in range(8)
        )
    )
    latin1 = tmp_path / "latin1.yml"
    latin1.write_bytes(b"project_name: Pr\xe9vision\n")
    for path, problem in ((bomb, "expands to more than"), (latin1, ":1: file is not UTF-8")):
        result = CliRunner().invoke(
            app, ["new", "--no-input", "--config-file", str(path), "-o", str(tmp_path / "out")]
        )
        assert isinstance(result.exception, ProjectError), result.output
        assert problem in str(result.exception)
        assert "\n" not in str(result.exception)  # one line, not PyYAML's context dump
        assert not (tmp_path / "out").exists()
