"""Render the project template: answers -> a new project directory with ``.cruft.json``.

The template is rendered from its working tree (so a checkout's uncommitted template is
what you get), and the answers file records the template's git repository, commit and
subdirectory the way ``cruft create`` does, so ``cruft update`` / ``databricks-mlops
update`` can later compute what changed in the template since.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from databricks_mlops.errors import MLOpsError

logger = logging.getLogger(__name__)

ANSWERS_FILE = ".cruft.json"
# The template's answer naming the vendored wheel's version (vendor/databricks_mlops-<v>-...).
# Not a private ("_") answer: cruft drops those when it re-renders for an update.
VERSION_ANSWER = "framework_version"


class ProjectError(MLOpsError):
    """A project could not be generated or updated."""


def default_template() -> Path:
    """The template shipped with this installation.

    In a wheel it sits inside the package (``databricks_mlops/project/template``, via
    hatch ``force-include``); in a source checkout (editable install) it is ``template/``
    at the repository root.
    """
    here = Path(__file__).resolve().parent
    for candidate in (here / "template", here.parents[2] / "template"):
        if (candidate / "cookiecutter.json").is_file():
            return candidate
    raise ProjectError(
        f"the project template is not installed (looked in {here / 'template'} and "
        f"{here.parents[2] / 'template'}); pass --template PATH to a template directory"
    )


def load_answers_file(path: Path) -> tuple[dict[str, Any], Path | None]:
    """Answers from ``path``: a flat ``name: value`` YAML/JSON mapping, or a cookiecutter
    user config (with ``default_context:``), which is then passed to cookiecutter as is.

    Returns ``(answers, cookiecutter_config_file_or_None)``.
    """
    import yaml

    from databricks_mlops.config.yaml_source import LimitedSafeLoader, describe_decode_error

    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8")
        # The config loader's limits: an alias bomb or deep nesting is an error, not a hang.
        loaded = yaml.load(text, Loader=LimitedSafeLoader)
    except UnicodeDecodeError as exc:
        line, problem = describe_decode_error(raw, exc)
        raise ProjectError(f"answers file {path}:{line}: {problem}") from exc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise ProjectError(
            f"answers file {path}:{mark.line + 1 if mark else 1}: {exc.problem or exc}"
        ) from exc
    except (OSError, yaml.YAMLError) as exc:
        raise ProjectError(f"Failed to read the answers file {path}: {exc}") from exc
    if loaded is None:
        return {}, None
    if not isinstance(loaded, dict):
        raise ProjectError(
            f"answers file {path} must be a mapping of answer name to value, "
            f"got {type(loaded).__name__}"
        )
    if "default_context" in loaded:
        return {}, path
    return {str(key): value for key, value in loaded.items()}, None


def _git(cwd: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, check=True, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip()


def template_origin(template: Path) -> tuple[str, str | None, str | None]:
    """``(template url, commit, directory)`` for ``.cruft.json``.

    In a git repository: its root, the HEAD commit and the template's path inside it.
    Outside one: the template directory itself, no commit (updates then need a template
    in git).
    """
    root = _git(template, "rev-parse", "--show-toplevel")
    commit = _git(template, "rev-parse", "HEAD") if root else None
    if not root or not commit:
        return str(template), None, None
    directory = template.resolve().relative_to(Path(root).resolve()).as_posix()
    if _git(template, "status", "--porcelain", "--", "."):
        logger.warning(
            "template %s has uncommitted changes: the project is rendered from them, but "
            "later updates are computed from commit %s",
            template,
            commit[:12],
        )
    return root, commit, None if directory == "." else directory


def check_answers(template_dir: Path, context: Mapping[str, Any], cwd: Path) -> None:
    """Run the template's ``pre_gen_project`` hook on the answers, its output captured.

    Cookiecutter runs the hook too, but lets it print straight to the terminal and then
    logs a traceback of its own; run first here, each problem the hook prints becomes part
    of one error message, and nothing else is shown.
    """
    from cookiecutter.utils import create_env_with_context  # type: ignore[import-untyped]
    from jinja2 import TemplateError

    hook = template_dir / "hooks" / "pre_gen_project.py"
    if not hook.is_file():
        return
    try:
        script = (
            create_env_with_context(dict(context))
            .from_string(hook.read_text(encoding="utf-8"))
            .render(**context)
        )
    except (OSError, TemplateError) as exc:
        raise ProjectError(f"Failed to render the template's answer checks {hook}: {exc}") from exc
    try:
        done = subprocess.run(
            [sys.executable, "-"],
            input=script,
            cwd=cwd,
            capture_output=True,
            encoding="utf-8",
            errors="replace",
            env={**os.environ, "PYTHONIOENCODING": "utf-8"},  # answers may be any script
            timeout=120,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise ProjectError(f"Failed to run the template's answer checks {hook}: {exc}") from exc
    if done.returncode == 0:
        return
    lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
    problems = [line.removeprefix("error:").strip() for line in lines if line.startswith("error:")]
    if problems:
        raise ProjectError(f"the template rejected the answers: {'; '.join(problems)}")
    # No "error:" line: the checks themselves broke, and their last line says how.
    raise ProjectError(
        f"the template's answer checks {hook} failed: "
        f"{lines[-1] if lines else f'exit status {done.returncode}'}"
    )


def generate_project(
    answers: Mapping[str, Any] | None,
    output_dir: Path,
    no_input: bool = True,
    config_file: Path | None = None,
    *,
    template: Path | None = None,
    overwrite: bool = False,
    framework_wheel: Path | None = None,
) -> Path:
    """Render the template into ``output_dir/<project_slug>`` and return that directory.

    ``answers`` override the template's defaults (and the config file's); with
    ``no_input`` false, cookiecutter prompts for the rest. Bad answers are rejected by the
    template's ``pre_gen_project`` hook before anything is written: one ``ProjectError``
    naming every problem.

    With ``framework_source: vendor`` (the default), a wheel of the running framework
    (``framework_wheel``, or one found as ``framework_wheel.py`` describes) is copied to
    ``vendor/`` and the template names it, so the project installs without an index.
    """
    template_dir = (template or default_template()).resolve()
    if not (template_dir / "cookiecutter.json").is_file():
        raise ProjectError(f"{template_dir} is not a cookiecutter template (no cookiecutter.json)")
    output_dir = Path(output_dir).resolve()
    output_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="mlops-framework-wheel-") as work_dir:
        return _generate(
            answers,
            output_dir,
            no_input,
            config_file,
            template_dir,
            overwrite,
            framework_wheel,
            Path(work_dir),
        )


def _generate(
    answers: Mapping[str, Any] | None,
    output_dir: Path,
    no_input: bool,
    config_file: Path | None,
    template_dir: Path,
    overwrite: bool,
    framework_wheel: Path | None,
    work_dir: Path,
) -> Path:
    from cookiecutter.exceptions import (  # type: ignore[import-untyped]
        CookiecutterException,
        FailedHookException,
        UndefinedVariableInTemplate,
    )
    from cookiecutter.generate import generate_files  # type: ignore[import-untyped]
    from cruft._commands.utils.cookiecutter import generate_cookiecutter_context

    from databricks_mlops.project import framework_wheel as vendoring

    url, commit, directory = template_origin(template_dir)
    wheel: Path | None = None
    extra = dict(answers or {})
    with contextlib.suppress(ProjectError):  # not installed: only vendoring needs it
        # The prompt's default; generation sets it to the running version in any case.
        extra[VERSION_ANSWER] = vendoring.running_version()
    try:
        context = generate_cookiecutter_context(
            url,
            commit or "",
            template_dir,
            config_file=config_file,
            extra_context=extra,
            no_input=no_input,
        )
        answered = context["cookiecutter"]
        if vendors_framework(answered):
            # Always the running version (whatever a prompt or answers file said): the
            # template names the file, and the answers are checked before a wheel is built.
            answered[VERSION_ANSWER] = vendoring.running_version()
        check_answers(template_dir, context, output_dir)
        if vendors_framework(answered):
            wheel = vendoring.framework_wheel(framework_wheel, work_dir)
        project = Path(
            generate_files(
                repo_dir=str(template_dir),
                context=context,
                overwrite_if_exists=overwrite,
                output_dir=str(output_dir),
            )
        )
    except FailedHookException as exc:
        # The answers passed the checks, so a later hook broke: its output is above.
        raise ProjectError(
            f"a template hook failed after the answers were accepted ({exc}); see its output above"
        ) from exc
    except UndefinedVariableInTemplate as exc:
        # Cookiecutter renders every answer as Jinja (that is how defaults refer to other
        # answers); its own message would dump the whole context.
        raise ProjectError(
            f"the template rejected the answers: {exc.message}: {exc.error.message} (answers "
            "are rendered as Jinja: leave '{{' and '{%' out of them)"
        ) from exc
    except CookiecutterException as exc:
        raise ProjectError(f"Failed to generate a project from {template_dir}: {exc}") from exc
    state = {
        "template": url,
        "commit": commit,
        "checkout": None,
        "context": {"cookiecutter": context["cookiecutter"]},
        "directory": directory,
    }
    if wheel is not None:
        vendoring.vendor_wheel(wheel, project)
    (project / ANSWERS_FILE).write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
    return project


def vendors_framework(answers: Mapping[str, Any]) -> bool:
    """Whether these answers (of a template that supports it) put the framework in vendor/."""
    return VERSION_ANSWER in answers and answers.get("framework_source") == "vendor"
