"""Renders of the default answers and a matrix over them: clean, complete, consistent."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tests.template.helpers import MATRIX, REPO, leftover_jinja, render, scripts

RENDERS = sorted(MATRIX)
TEXT_SUFFIXES = {".py", ".yml", ".yaml", ".toml", ".md", ".json", ".cfg", ""}


def text_files(project: Path) -> list[Path]:
    return [p for p in sorted(project.rglob("*")) if p.is_file() and p.suffix in TEXT_SUFFIXES]


@pytest.mark.parametrize("name", RENDERS)
def test_no_template_syntax_is_left(rendered: dict[str, Path], name: str) -> None:
    project = rendered[name]
    for path in [*text_files(project), *project.rglob("*")]:
        assert not leftover_jinja(str(path.relative_to(project))), path
    for path in text_files(project):
        assert not leftover_jinja(path.read_text()), f"{path.relative_to(project)} has Jinja left"


@pytest.mark.parametrize("name", RENDERS)
def test_no_empty_file_or_folder_is_left(rendered: dict[str, Path], name: str) -> None:
    for path in rendered[name].rglob("*"):
        if path.is_dir():
            assert any(path.iterdir()), f"empty folder {path}"
        else:
            assert path.read_bytes().strip(), f"empty file {path}"


@pytest.mark.parametrize("name", RENDERS)
def test_no_workspace_host_is_hard_coded(rendered: dict[str, Path], name: str) -> None:
    answered = {v for k, v in MATRIX[name].items() if k.startswith("workspace_host_") and v}
    host = re.compile(
        r"https?://[\w.-]*(cloud\.databricks\.com|azuredatabricks\.net|gcp\.databricks\.com)"
    )
    for path in text_files(rendered[name]):
        if path.name == ".cruft.json":
            continue  # the answers themselves
        for found in host.finditer(path.read_text()):
            assert found.group(0) in answered, f"{path.name} hard-codes {found.group(0)}"
            assert path.name == "databricks.yml", f"host {found.group(0)} outside databricks.yml"


def test_answered_hosts_go_to_their_targets(rendered: dict[str, Path]) -> None:
    import yaml

    bundle = yaml.safe_load(
        (rendered["gcp-no-features-no-ci-py311"] / "databricks.yml").read_text()
    )
    hosts = {name: target["workspace"]["host"] for name, target in bundle["targets"].items()}
    assert hosts == {
        "dev": "https://dev-ws.cloud.databricks.com",
        "staging": "https://staging-ws.cloud.databricks.com",
        "prod": "https://prod-ws.cloud.databricks.com",
        "test": "https://staging-ws.cloud.databricks.com",
    }


@pytest.mark.parametrize(
    ("name", "absent", "words"),
    [
        (
            "azure-clusters-regression-lean",
            ["resources/model_monitoring.job.yml", "configs/monitoring.yml"],
            ["model_monitoring", "-monitor", "smoke", "-deploy"],
        ),
        (
            "gcp-no-features-no-ci-py311",
            [
                "resources/feature_engineering.job.yml",
                "configs/features.yml",
                ".github",
                "src/demand_forecast/features.py",
                "tests/test_features.py",
            ],
            ["feature_engineering", "build-features", "ratio_to_mean", "setup-cli"],
        ),
    ],
)
def test_options_not_chosen_leave_nothing_behind(
    rendered: dict[str, Path], name: str, absent: list[str], words: list[str]
) -> None:
    project = rendered[name]
    for relative in absent:
        assert not (project / relative).exists(), relative
    for path in text_files(project):
        if path.name in (".cruft.json", "README.md"):
            continue
        text = path.read_text()
        for word in words:
            assert word not in text, f"{path.relative_to(project)} still mentions {word!r}"


@pytest.mark.parametrize("name", RENDERS)
def test_every_entry_point_of_the_bundle_is_a_declared_script(
    rendered: dict[str, Path], name: str
) -> None:
    from databricks_mlops.runner import load_bundle

    project = rendered[name]
    declared = scripts(project)
    used = {
        task["python_wheel_task"]["entry_point"]
        for job in load_bundle(project, "dev", {}).jobs.values()
        for task in job["tasks"]
        if "python_wheel_task" in task
    }
    assert used == set(declared), f"unused or undeclared: {sorted(used ^ set(declared))}"
    for script, target in declared.items():
        module, function = target.split(":")
        source = project / "src" / (module.replace(".", "/") + ".py")
        assert re.search(rf"^def {function}\(argv", source.read_text(), re.M), (
            f"{script} -> {target}"
        )


@pytest.mark.parametrize("name", RENDERS)
def test_stage_entry_points_delegate_to_the_framework_tasks(
    rendered: dict[str, Path], name: str
) -> None:
    """The stage logic lives in databricks_mlops.tasks: each entry point is one call to the
    framework's task under the project's script name (plus the user's own steps)."""
    stages = rendered[name] / "src" / rendered[name].name.replace("-", "_") / "stages"
    sources = {path.name: path.read_text() for path in stages.glob("*.py")}
    assert {"data.py", "training.py", "deployment.py", "inference.py"} <= set(sources)
    assert sum(text.count("\n") for text in sources.values()) <= 120
    functions = [
        node
        for node in ast.walk(ast.parse("\n".join(sources.values())))
        if isinstance(node, ast.FunctionDef)
    ]
    assert {"ingest", "validate", "train", "register", "promote", "score"} <= {
        f.name for f in functions
    }
    for function in functions:
        calls = [
            node.func
            for node in ast.walk(function)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute | ast.Name)
        ]
        names = [c.attr if isinstance(c, ast.Attribute) else c.id for c in calls]
        assert len(names) == 1 and names[0].endswith("main"), (function.name, names)
        (prog,) = [k.value for k in calls_of(function) if k.arg == "prog"]
        assert isinstance(prog, ast.Constant) and prog.value.startswith(rendered[name].name)


def calls_of(function: ast.FunctionDef) -> list[ast.keyword]:
    return [k for node in ast.walk(function) if isinstance(node, ast.Call) for k in node.keywords]


@pytest.mark.parametrize("name", RENDERS)
def test_generated_python_is_lint_clean(rendered: dict[str, Path], name: str) -> None:
    project = rendered[name]
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "src", "tests", "notebooks"],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    compiled = subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "src", "tests", "notebooks"],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert compiled.returncode == 0, compiled.stdout


@pytest.mark.parametrize(
    "name", [n for n in RENDERS if MATRIX[n].get("ci", "github_actions") != "none"]
)
def test_workflows_pass_actionlint(rendered: dict[str, Path], name: str) -> None:
    actionlint = shutil.which("actionlint") or "/root/go/bin/actionlint"
    if not Path(actionlint).is_file():
        pytest.skip("actionlint is not installed (make actionlint builds it; needs Go)")
    workflows = sorted((rendered[name] / ".github" / "workflows").glob("*.yml"))
    assert [w.name for w in workflows] == ["cd-prod.yml", "cd-staging.yml", "ci.yml"]
    done = subprocess.run([actionlint, *map(str, workflows)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_this_repository_workflows_pass_actionlint() -> None:
    actionlint = shutil.which("actionlint") or "/root/go/bin/actionlint"
    if not Path(actionlint).is_file():
        pytest.skip("actionlint is not installed (make actionlint builds it; needs Go)")
    workflows = sorted((REPO / ".github" / "workflows").glob("*.yml"))
    assert workflows, "no workflows in .github/workflows"
    done = subprocess.run([actionlint, *map(str, workflows)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_answers_file_records_the_template(rendered: dict[str, Path]) -> None:
    import json

    state = json.loads((rendered["defaults"] / ".cruft.json").read_text())
    assert state["directory"] == "template"
    assert state["context"]["cookiecutter"]["project_slug"] == "churn-mlops"
    assert state["context"]["cookiecutter"]["model_type"] == "classification"


# Free-text answers with everything that means something in YAML, TOML or Python: a
# colon-space, double and single quotes, a backslash, a `#`, non-ASCII
# letters and a character beyond U+FFFF.
HOSTILE = {
    "project_name": 'Churn: v2 "beta"',
    "description": "Prévision: \"quoted\", 'single', C:\\temp\\new # not a comment 📈",
    "author": 'O\'Brien, "Bob" \\ Data # Team',
}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render(tmp_path_factory.mktemp("hostile"), HOSTILE)


def test_a_hostile_name_still_gives_a_valid_slug_and_package(hostile: Path) -> None:
    assert hostile.name == "churn-v2-beta"
    assert (hostile / "src" / "churn_v2_beta" / "__init__.py").is_file()


def test_every_generated_file_parses_with_free_text_answers(hostile: Path) -> None:
    import tomllib

    import yaml

    loaded = {
        path.relative_to(hostile).as_posix(): yaml.safe_load(path.read_text(encoding="utf-8"))
        for path in sorted(hostile.rglob("*.yml"))
    }
    assert "databricks.yml" in loaded and "configs/features.yml" in loaded
    tomllib.loads((hostile / "pyproject.toml").read_text(encoding="utf-8"))
    for path in sorted(hostile.rglob("*.py")):
        compile(path.read_text(encoding="utf-8"), str(path), "exec")


def test_free_text_answers_round_trip_into_each_file(hostile: Path) -> None:
    import ast
    import tomllib

    import yaml

    name, description, author = (HOSTILE[k] for k in ("project_name", "description", "author"))
    features = yaml.safe_load((hostile / "configs" / "features.yml").read_text(encoding="utf-8"))
    assert features["description"].startswith(f"{name} features (")
    artifacts = yaml.safe_load(
        (hostile / "resources" / "ml_artifacts.yml").read_text(encoding="utf-8")
    )
    schema = artifacts["resources"]["schemas"]["project_schema"]
    assert schema["comment"] == f"Tables, volumes and models of {name}."
    project = tomllib.loads((hostile / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["description"] == description
    assert project["authors"] == [{"name": author, "email": "data-science@example.com"}]
    module = ast.parse((hostile / "src" / "churn_v2_beta" / "__init__.py").read_text("utf-8"))
    docstring = ast.get_docstring(module) or ""
    assert docstring.startswith(f"{name}.\n\n{description}\n")
