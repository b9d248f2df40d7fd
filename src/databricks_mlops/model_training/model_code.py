"""What a logged model needs to load anywhere: its code and its pinned requirements.

Model Serving (and ``mlflow models serve`` / ``spark_udf`` with a uv environment) installs
only the model's ``requirements.txt`` and puts its ``code/`` directory on ``sys.path``.
So the model carries:

* ``code_paths``: the ``databricks_mlops`` package (not on a package index, and the
  pyfunc class lives in it) and the top-level package of every module that defines a
  custom transform or a class/function the estimator references, unless that package was
  installed from a package index (no PEP 610 ``direct_url.json``: the index can install it
  again). A package installed from a local path, a wheel file or a VCS (an editable
  project, a vendored framework wheel) or found on ``sys.path`` only is shipped as code.
* ``pip_requirements``: the framework's scoring-time dependencies, the third-party
  packages the estimator's types come from, and the distributions the shipped packages
  import at module level, each pinned to the version installed here (listed explicitly:
  MLflow's inference imports and profiles the model, ~13 s per model).
* ``custom_transforms``: custom transform name -> ``module:QualName``, so the loaded
  model imports and registers them itself (entry points need an installed distribution,
  which a ``code/`` directory is not).
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from databricks_mlops.model_training.errors import TrackingError

if TYPE_CHECKING:
    from databricks_mlops.feature_engineering import FittedFeatureState

FRAMEWORK_PACKAGE = "databricks_mlops"

# What `databricks_mlops` imports when the logged model is loaded and scores (the pyfunc
# class, the feature state's pandas backend, skops): distribution names, pinned from this
# environment. tests/model_training/test_model_code.py loads a model in a fresh venv built
# from nothing else, so a missing entry fails there.
FRAMEWORK_SCORING_REQUIREMENTS = (
    "mlflow",
    "scikit-learn",
    "skops",
    "pandas",
    "numpy",
    "pydantic",
    "cloudpickle",
    "pyyaml",
)

# Never shipped as code: the framework's own third-party stack is pinned instead.
_NEVER_CODE = {"builtins", "__main__"}

# Inside the framework package: things a model never needs (the cookiecutter template an
# installed wheel carries, byte code).
_FRAMEWORK_IGNORED_DIRS = {"template"}


@dataclass(frozen=True)
class ModelCode:
    """Code directories to log with the model and its pinned requirements."""

    code_paths: list[str]
    requirements: list[str]
    custom_transforms: dict[str, str] = field(default_factory=dict)
    shipped_packages: list[str] = field(default_factory=list)


def pinned(distribution: str) -> str:
    """``name==installed version``; a distribution not installed here stays unpinned."""
    try:
        return f"{distribution}=={metadata.version(distribution)}"
    except metadata.PackageNotFoundError:
        return distribution


def custom_transform_paths(feature_state: FittedFeatureState | None) -> dict[str, str]:
    """Custom transform name -> ``module:QualName`` of the class (or instance's class)."""
    from databricks_mlops.feature_engineering import get_transform

    paths: dict[str, str] = {}
    if feature_state is None:
        return paths
    for spec in feature_state.transforms.values():
        if spec.type != "custom":
            continue
        transform = get_transform(spec.name)
        kind = type(transform)
        paths[spec.name] = f"{kind.__module__}:{kind.__qualname__}"
    return paths


def collect_model_code(
    *,
    estimator: Any,
    estimator_types: list[str],
    feature_state: FittedFeatureState | None,
    workdir: Path,
    extra_requirements: list[str] | None = None,
) -> ModelCode:
    """Copy the packages the model needs into ``workdir`` and pin its requirements.

    ``estimator_types`` are the dotted type names skops recorded for the estimator file
    (every class and function it references, nested estimators included).
    """
    transforms = custom_transform_paths(feature_state)
    modules = {FRAMEWORK_PACKAGE, type(estimator).__module__}
    modules |= {path.partition(":")[0] for path in transforms.values()}
    modules |= {name.rpartition(".")[0] or name for name in estimator_types}

    distributions = metadata.packages_distributions()
    requirements = [pinned(name) for name in FRAMEWORK_SCORING_REQUIREMENTS]
    code_packages: list[str] = []
    for top in sorted({module.partition(".")[0] for module in modules if module}):
        if top in _NEVER_CODE or top in sys.stdlib_module_names:
            continue
        if top == FRAMEWORK_PACKAGE or not _from_index(top, distributions):
            code_packages.append(top)
        else:
            requirements.extend(pinned(dist) for dist in distributions[top])

    copied = {top: _copy_package(top, workdir / "code") for top in code_packages}
    for top, path in copied.items():
        if top == FRAMEWORK_PACKAGE:
            continue  # its scoring-time imports are FRAMEWORK_SCORING_REQUIREMENTS
        for imported in sorted(_module_level_imports(path)):
            if imported in copied or imported in sys.stdlib_module_names:
                continue
            if imported in _NEVER_CODE or imported not in distributions:
                continue  # not installed here: importing the package fails here too
            requirements.extend(pinned(dist) for dist in distributions[imported])
    return ModelCode(
        code_paths=[str(path) for path in copied.values()],
        # The caller's explicit requirements win over the pins of the same distribution.
        requirements=_unique_by_name([*(extra_requirements or []), *requirements]),
        custom_transforms=transforms,
        shipped_packages=code_packages,
    )


def _from_index(top: str, distributions: Mapping[str, list[str]]) -> bool:
    """True when ``top`` belongs to a distribution a package index installed (PEP 610:
    an install from a path, a file URL or a VCS records ``direct_url.json``)."""
    names = distributions.get(top)
    if not names:
        return False
    for name in names:
        try:
            if metadata.distribution(name).read_text("direct_url.json") is not None:
                return False
        except metadata.PackageNotFoundError:
            return False
    return True


def _copy_package(top: str, destination: Path) -> Path:
    """Copy package (or single module) ``top`` as imported here, without byte code."""
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError) as exc:
        raise TrackingError(
            f"Failed to find package {top!r}, which the model references: {exc}"
        ) from exc
    if spec is None or (spec.origin is None and not spec.submodule_search_locations):
        raise TrackingError(
            f"package {top!r}, which the model references, cannot be found on sys.path; "
            "install the project (uv sync) or run from its root so it can be logged with "
            "the model"
        )
    destination.mkdir(parents=True, exist_ok=True)
    target = destination / top
    locations = list(spec.submodule_search_locations or [])
    if not locations:  # a single-module "package": my_transforms.py
        assert spec.origin is not None
        target = destination / Path(spec.origin).name
        shutil.copy2(spec.origin, target)
        return target
    if len(locations) > 1:
        raise TrackingError(
            f"package {top!r} is a namespace package spread over {locations}; "
            "the model can only carry a regular package (one directory with __init__.py)"
        )
    source = Path(locations[0])

    def ignore(directory: str, names: list[str]) -> set[str]:
        skipped = {n for n in names if n == "__pycache__" or n.endswith((".pyc", ".pyo"))}
        if top == FRAMEWORK_PACKAGE and Path(directory).name == "project":
            skipped |= _FRAMEWORK_IGNORED_DIRS & set(names)
        return skipped

    shutil.copytree(source, target, ignore=ignore, dirs_exist_ok=True)
    return target


def _module_level_imports(path: Path) -> set[str]:
    """Top-level names imported at module level (not in functions, not under
    ``if TYPE_CHECKING:``) by the modules under ``path``: what importing them needs."""
    files = [path] if path.is_file() else sorted(path.rglob("*.py"))
    found: set[str] = set()
    for file in files:
        try:
            tree = ast.parse(file.read_text(encoding="utf-8"), filename=str(file))
        except (SyntaxError, UnicodeDecodeError) as exc:
            raise TrackingError(f"Failed to read {file} to log it with the model: {exc}") from exc
        found |= _imports_in(tree.body)
    return found


def _imports_in(statements: list[ast.stmt]) -> set[str]:
    found: set[str] = set()
    for node in statements:
        if isinstance(node, ast.Import):
            found |= {alias.name.partition(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module:
                found.add(node.module.partition(".")[0])
        elif isinstance(node, ast.If):
            if not _is_type_checking(node.test):
                found |= _imports_in(node.body)
            found |= _imports_in(node.orelse)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody):
                found |= _imports_in(block)
            for handler in node.handlers:
                found |= _imports_in(handler.body)
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _unique_by_name(requirements: list[str]) -> list[str]:
    """The first requirement of each distribution name."""
    import re

    seen: set[str] = set()
    unique = []
    for requirement in requirements:
        name = re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0]
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key not in seen:
            seen.add(key)
            unique.append(requirement)
    return unique


def import_custom_transforms(paths: dict[str, str]) -> None:
    """Import and register each ``name -> module:QualName`` (in the loaded model)."""
    from databricks_mlops.feature_engineering import register_transform

    for name, path in paths.items():
        module_name, _, qualname = path.partition(":")
        try:
            target: Any = importlib.import_module(module_name)
            for part in qualname.split("."):
                target = getattr(target, part)
        except (ImportError, AttributeError) as exc:
            raise TrackingError(
                f"the model's custom transform {name!r} is {path}, which cannot be imported "
                f"here ({exc}); log the model with its code (log_feature_pipeline_model "
                f"ships the transform's package in code_paths) or install that package"
            ) from exc
        register_transform(name)(target)
