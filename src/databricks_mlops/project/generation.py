"""Render the project template: answers -> a new project directory with ``.cruft.json``.

The template is rendered from its working tree (so a checkout's uncommitted template is
what you get), and the answers file records the template's git repository, commit and
subdirectory the way ``cruft create`` does, so ``cruft update`` / ``databricks-mlops
update`` can later compute what changed in the template since.
"""

from __future__ import annotations

import json
import logging
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from databricks_mlops.errors import MLOpsError

logger = logging.getLogger(__name__)

ANSWERS_FILE = ".cruft.json"


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

    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
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


def generate_project(
    answers: Mapping[str, Any] | None,
    output_dir: Path,
    no_input: bool = True,
    config_file: Path | None = None,
    *,
    template: Path | None = None,
    overwrite: bool = False,
) -> Path:
    """Render the template into ``output_dir/<project_slug>`` and return that directory.

    ``answers`` override the template's defaults (and the config file's); with
    ``no_input`` false, cookiecutter prompts for the rest. Bad answers are rejected by the
    template's ``pre_gen_project`` hook, which prints each problem on stderr.
    """
    from cookiecutter.exceptions import (  # type: ignore[import-untyped]
        CookiecutterException,
        FailedHookException,
    )
    from cookiecutter.generate import generate_files  # type: ignore[import-untyped]
    from cruft._commands.utils.cookiecutter import generate_cookiecutter_context

    template_dir = (template or default_template()).resolve()
    if not (template_dir / "cookiecutter.json").is_file():
        raise ProjectError(f"{template_dir} is not a cookiecutter template (no cookiecutter.json)")
    url, commit, directory = template_origin(template_dir)
    output_dir = Path(output_dir).resolve()
    output_dir.mkdir(parents=True, exist_ok=True)
    try:
        context = generate_cookiecutter_context(
            url,
            commit or "",
            template_dir,
            config_file=config_file,
            extra_context=dict(answers or {}),
            no_input=no_input,
        )
        project = Path(
            generate_files(
                repo_dir=str(template_dir),
                context=context,
                overwrite_if_exists=overwrite,
                output_dir=str(output_dir),
            )
        )
    except FailedHookException as exc:
        raise ProjectError(
            f"the template rejected the answers ({exc}); the problems are printed above"
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
    (project / ANSWERS_FILE).write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
    return project
