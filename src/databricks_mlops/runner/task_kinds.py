"""How each runnable task type behaves locally: python_wheel_task and condition_task.

(run_job_task needs the executor itself, so it lives there; notebook_task is in
:mod:`.notebook_task`.)
"""

from __future__ import annotations

import importlib
import importlib.metadata
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from databricks_mlops.errors import EntryPointNotFoundError, RunnerError, did_you_mean

RUNNABLE_TASK_TYPES = ("python_wheel_task", "condition_task", "run_job_task", "notebook_task")
_INSTALL_HINT = (
    "install the project into this environment (`uv sync`, or `pip install -e .` in the "
    "project that defines it)"
)


def task_type_of(spec: Mapping[str, Any]) -> str:
    """The ``*_task`` key of a task definition (``notebook_task``, ``python_wheel_task``...)."""
    kinds = [key for key in spec if key.endswith("_task")]
    if not kinds:
        return "unknown"
    return kinds[0]


def not_runnable_message(task_type: str) -> str:
    return (
        f"not runnable locally: {task_type} (only python_wheel_task, condition_task, "
        "run_job_task and notebook_task with a .py source notebook run in the local runner)"
    )


# --- python_wheel_task -------------------------------------------------------------


def find_entry_point(
    distribution: importlib.metadata.Distribution, name: str
) -> importlib.metadata.EntryPoint | None:
    points = list(distribution.entry_points)
    # console_scripts first: that is where `[project.scripts]` puts task entry points.
    points.sort(key=lambda point: point.group != "console_scripts")
    return next((point for point in points if point.name == name), None)


def _import_fallback_module(module_name: str) -> Any | None:
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        # Only "the package itself is missing" means fall through; a missing import
        # *inside* the package is a real error the user has to see.
        if exc.name is not None and module_name.startswith(exc.name):
            return None
        raise


def resolve_entry_point(package_name: str, entry_point: str) -> Callable[[], object]:
    """Find the callable Databricks would run for a python_wheel_task.

    Databricks looks ``entry_point`` up in the metadata of distribution ``package_name``
    and, failing that, calls ``$packageName.$entryPoint()``; we do the same.
    """
    try:
        distribution: importlib.metadata.Distribution | None = importlib.metadata.distribution(
            package_name
        )
    except importlib.metadata.PackageNotFoundError:
        distribution = None
    if distribution is not None:
        point = find_entry_point(distribution, entry_point)
        if point is not None:
            try:
                loaded = point.load()
            except ModuleNotFoundError as exc:
                if exc.name is None or not point.module.startswith(exc.name):
                    raise  # an import inside the task's module failed: show its traceback
                # Metadata names a module that is not there: a stale install.
                raise EntryPointNotFoundError(
                    f"entry point '{entry_point}' of distribution '{package_name}' points at "
                    f"{point.value}, but module '{exc.name}' does not exist; {_INSTALL_HINT}"
                ) from exc
            if not callable(loaded):
                raise EntryPointNotFoundError(
                    f"entry point '{entry_point}' of distribution '{package_name}' "
                    f"({point.value}) is not callable"
                )
            return loaded  # type: ignore[no-any-return]

    module_name = package_name.replace("-", "_")
    module = _import_fallback_module(module_name)
    function = getattr(module, entry_point, None) if module is not None else None
    if callable(function):
        return function  # type: ignore[no-any-return]

    if distribution is None and module is None:
        raise EntryPointNotFoundError(
            f"package '{package_name}' is not installed in this Python environment "
            f"({sys.executable}) and no module '{module_name}' can be imported; {_INSTALL_HINT}"
        )
    if distribution is not None:
        declared = sorted({point.name for point in distribution.entry_points})
        where = f"distribution '{package_name}' has no entry point '{entry_point}'" + did_you_mean(
            entry_point, declared
        )
        suggestion = ""
    else:
        declared = _module_functions(module)
        where = f"no distribution '{package_name}' is installed"
        suggestion = did_you_mean(entry_point, declared)
    raise EntryPointNotFoundError(
        f"{where}, and module '{module_name}' has no function '{entry_point}'{suggestion} "
        f"(entry points of '{package_name}': {', '.join(declared) or 'none'}); declare it "
        f"under [project.scripts] in pyproject.toml and {_INSTALL_HINT}"
    )


def _module_functions(module: Any) -> list[str]:
    """The public functions a fallback module defines itself (not the ones it imports)."""
    name = getattr(module, "__name__", None)
    return sorted(
        key
        for key, value in vars(module).items()
        if not key.startswith("_")
        and callable(value)
        and getattr(value, "__module__", None) == name
    )


def wheel_arguments(entry_point: str, task: Mapping[str, Any]) -> list[str]:
    """``sys.argv`` for the entry point, converted as Databricks converts parameters."""
    named = task.get("named_parameters")
    positional = task.get("parameters")
    if named is not None and positional is not None:
        raise RunnerError("python_wheel_task sets both parameters and named_parameters; use one")
    if named is not None:
        if not isinstance(named, dict):
            raise RunnerError("python_wheel_task.named_parameters must be a mapping")
        return [entry_point, *(f"--{key}={value}" for key, value in named.items())]
    if positional is None:
        return [entry_point]
    if not isinstance(positional, list):
        raise RunnerError("python_wheel_task.parameters must be a list of strings")
    return [entry_point, *(str(item) for item in positional)]


def exit_failure(exc: SystemExit) -> str | None:
    """The failure a ``SystemExit`` means, or None when it is a clean exit."""
    if exc.code is None or exc.code == 0:
        return None
    if isinstance(exc.code, int):
        return f"exited with code {exc.code}"
    return str(exc.code)  # sys.exit("message") prints the message and exits 1


# --- condition_task ----------------------------------------------------------------

_ORDERINGS: dict[str, Callable[[Any, Any], bool]] = {
    "GREATER_THAN": lambda a, b: bool(a > b),
    "GREATER_THAN_OR_EQUAL": lambda a, b: bool(a >= b),
    "LESS_THAN": lambda a, b: bool(a < b),
    "LESS_THAN_OR_EQUAL": lambda a, b: bool(a <= b),
}
CONDITION_OPERATORS: Sequence[str] = ("EQUAL_TO", "NOT_EQUAL", *_ORDERINGS)


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def evaluate_condition(op: object, left: object, right: object) -> bool:
    """Databricks' If/else semantics.

    EQUAL_TO / NOT_EQUAL compare the operands as strings (Databricks documents that
    ``12.0 == 12`` is false); the orderings compare numerically when both sides are
    numbers and fall back to string order otherwise.
    """
    if op not in CONDITION_OPERATORS:
        raise RunnerError(
            f"condition_task op {op!r} is not one of {', '.join(CONDITION_OPERATORS)}"
            + did_you_mean(str(op), CONDITION_OPERATORS)
        )
    left_text, right_text = _operand(left, "left"), _operand(right, "right")
    if op == "EQUAL_TO":
        return left_text == right_text
    if op == "NOT_EQUAL":
        return left_text != right_text
    compare = _ORDERINGS[str(op)]
    left_number, right_number = _number(left_text), _number(right_text)
    if left_number is not None and right_number is not None:
        return compare(left_number, right_number)
    return compare(left_text, right_text)


def _operand(value: object, side: str) -> str:
    if value is None:
        raise RunnerError(f"condition_task has no '{side}' operand")
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
