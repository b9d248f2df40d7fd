"""Bad answers are rejected by hooks/pre_gen_project.py before anything is written, as
one error naming every problem."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from tests.template.helpers import TEMPLATE, render

from databricks_mlops.project import ProjectError

BAD_ANSWERS = [
    ({"package_name": "3churn"}, "package_name '3churn' is not a valid Python package name"),
    ({"package_name": "class"}, "package_name 'class' is not a valid Python package name"),
    ({"package_name": "Churn-Model"}, "package_name 'Churn-Model' is not a valid Python"),
    ({"package_name": "databricks_mlops"}, "package_name 'databricks_mlops' would shadow"),
    ({"project_slug": "Churn MLOps"}, "project_slug 'Churn MLOps' is not a valid project name"),
    ({"project_slug": "churn--mlops"}, "project_slug 'churn--mlops' is not a valid project"),
    ({"author_email": "nobody"}, "author_email 'nobody' is not an email address"),
    ({"catalog_dev": "my-catalog"}, "catalog_dev 'my-catalog' is not a Unity Catalog identifier"),
    ({"catalog_staging": "1st"}, "catalog_staging '1st' is not a Unity Catalog identifier"),
    ({"catalog_prod": "prod catalog"}, "catalog_prod 'prod catalog' is not a Unity Catalog"),
    ({"schema_name": "ml.models"}, "schema_name 'ml.models' is not a Unity Catalog identifier"),
    (
        {"workspace_host_dev": "http://dev.cloud.databricks.com"},
        "workspace_host_dev 'http://dev.cloud.databricks.com' is not an https workspace URL",
    ),
    (
        {"workspace_host_prod": "https://prod.cloud.databricks.com/?o=123"},
        "workspace_host_prod 'https://prod.cloud.databricks.com/?o=123' is not an https",
    ),
    ({"workspace_host_staging": "staging-ws"}, "workspace_host_staging 'staging-ws' is not an"),
    ({"prod_service_principal": "deployer"}, "prod_service_principal 'deployer' is not a service"),
    # A checkout path (the old answer) would leak the generating machine into the project.
    (
        {"framework_source": "/work/databricks-mlops"},
        "framework_source '/work/databricks-mlops' is no longer supported: a local checkout "
        "path would be written into the project, and no other machine (CI runner, cluster) "
        "has it; use 'vendor'",
    ),
    ({"framework_source": "../databricks-mlops"}, "'../databricks-mlops' is no longer supported"),
    ({"framework_source": "conda"}, "framework_source 'conda' is not one of vendor, pypi"),
    ({"project_name": "Churn\nMLOps", "project_slug": "churn"}, "contains a line break"),
    ({"description": "one\u2028two"}, "description 'one\\u2028two' contains a line break"),
    ({"author": "Data\tTeam"}, "author 'Data\\tTeam' contains a line break or invisible"),
    ({"project_name": "2024 churn"}, "project_slug '2024-churn' is not a valid project name"),
]


@pytest.mark.parametrize(("answers", "message"), BAD_ANSWERS, ids=[str(a) for a, _ in BAD_ANSWERS])
def test_bad_answer_is_rejected_with_its_message(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], answers: dict[str, str], message: str
) -> None:
    with pytest.raises(
        ProjectError, match="the template rejected the answers: .*" + re.escape(message)
    ):
        render(tmp_path, answers)
    assert capfd.readouterr().err == "", "the hook's output is in the error, not on the terminal"
    assert not any(tmp_path.iterdir()), "a project was (partly) written"


def test_every_problem_is_reported_at_once(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(ProjectError, match="rejected") as raised:
        render(tmp_path, {"catalog_dev": "a-b", "catalog_prod": "c d", "author_email": "x"})
    problems = str(raised.value).removeprefix("the template rejected the answers: ").split("; ")
    assert [p.split(" ")[0] for p in problems] == ["author_email", "catalog_dev", "catalog_prod"]
    assert "\n" not in str(raised.value)


def test_template_syntax_in_an_answer_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(
        ProjectError,
        match=r"rejected the answers: Unable to render variable 'description': 'x' is undefined "
        r"\(answers are rendered as Jinja: leave '\{\{' and '\{%' out of them\)$",
    ):
        render(tmp_path, {"description": "uses {{ x }}"})
    assert not any(tmp_path.iterdir())


def test_any_visible_unicode_is_a_fine_name(tmp_path: Path) -> None:
    project = render(tmp_path, {"project_name": "Prévision des ventes 📈"})
    assert project.name == "prevision-des-ventes"
    assert "# Prévision des ventes 📈" in (project / "README.md").read_text(encoding="utf-8")


def test_empty_hosts_are_fine_and_taken_from_the_cli_profile(tmp_path: Path) -> None:
    project = render(tmp_path, {"workspace_host_dev": "", "workspace_host_prod": ""})
    assert "host:" not in (project / "databricks.yml").read_text()


def test_broken_answer_checks_are_not_blamed_on_the_answers(tmp_path: Path) -> None:
    template = shutil.copytree(TEMPLATE, tmp_path / "template")
    (template / "hooks" / "pre_gen_project.py").write_text("1 / 0\n")
    with pytest.raises(
        ProjectError, match=r"answer checks .*pre_gen_project\.py failed: ZeroDivisionError"
    ):
        render(tmp_path / "out", template=template)


def test_plain_cookiecutter_cannot_vendor_and_says_what_to_do(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """Plain `cookiecutter` has no framework wheel to name: vendor (the default) refuses."""
    from cookiecutter.exceptions import FailedHookException  # type: ignore[import-untyped]
    from cookiecutter.main import cookiecutter  # type: ignore[import-untyped]

    with pytest.raises(FailedHookException, match=r"Hook script failed \(exit status: 1\)"):
        cookiecutter(str(TEMPLATE), no_input=True, output_dir=str(tmp_path))
    assert capfd.readouterr().err.strip() == (
        "error: framework_source 'vendor' needs the framework's wheel in vendor/, which "
        "`databricks-mlops new` builds (plain cookiecutter cannot): generate the project with "
        "`databricks-mlops new`, or answer framework_source=pypi"
    )
    assert not any(tmp_path.iterdir())
    # pypi works with plain cookiecutter: nothing to vendor.
    project = Path(
        cookiecutter(
            str(TEMPLATE),
            no_input=True,
            output_dir=str(tmp_path),
            extra_context={"framework_source": "pypi"},
        )
    )
    assert not (project / "vendor").exists()
