"""Start one python_wheel_task inside its isolated environment, as Databricks starts it.

This file is not imported by the runner: its source is passed to ``python -I -c`` in the
task's environment, which need not contain databricks_mlops at all, so it uses the standard
library only. Arguments: ``package_name entry_point argv0 [args...]``.

The entry point is looked up in the metadata of distribution ``package_name`` (console
scripts first), and failing that ``$packageName.$entryPoint()`` is called, as on Databricks.
An exception the task raises is left to Python to print (the traceback the Databricks run
page shows) and exits 1. When the failure is a framework error that a retry would only
repeat (``deterministic``), the reason is written to ``$MLOPS_TASK_RESULT_FILE``.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from collections.abc import Callable
from importlib import metadata


def _record_not_retried(reason: str) -> None:
    target = os.environ.get("MLOPS_TASK_RESULT_FILE")
    if target:
        with open(target, "w", encoding="utf-8") as stream:
            json.dump({"not_retried": reason}, stream)


def _deterministic_reason(exc: BaseException) -> str | None:
    """The outermost framework error in the chain decides (the runner's own rule)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if any(kind.__name__ == "MLOpsError" for kind in type(current).__mro__):
            if getattr(type(current), "deterministic", False) is True:
                return f"{type(current).__name__} fails the same way on every attempt"
            return None
        current = current.__cause__ or current.__context__
    return None


def _not_found(message: str) -> SystemExit:
    _record_not_retried("EntryPointNotFoundError fails the same way on every attempt")
    return SystemExit(f"error: {message}")


def _entry_point(package_name: str, name: str) -> Callable[[], object]:
    try:
        distribution: metadata.Distribution | None = metadata.distribution(package_name)
    except metadata.PackageNotFoundError:
        distribution = None
    if distribution is not None:
        points = sorted(
            distribution.entry_points, key=lambda point: point.group != "console_scripts"
        )
        for point in points:
            if point.name == name:
                loaded: Callable[[], object] = point.load()
                return loaded
    module_name = package_name.replace("-", "_")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is None or not module_name.startswith(exc.name):
            raise  # an import inside the package failed: its traceback is the message
        module = None
    function = getattr(module, name, None) if module is not None else None
    if callable(function):
        found: Callable[[], object] = function
        return found
    declared = sorted({point.name for point in distribution.entry_points}) if distribution else []
    if distribution is None and module is None:
        raise _not_found(
            f"package '{package_name}' is not installed in the task's environment and no "
            f"module '{module_name}' can be imported: add the wheel that provides it to the "
            "task's dependencies (environments[].spec.dependencies or libraries)"
        )
    raise _not_found(
        f"no entry point '{name}' in distribution '{package_name}' (entry points: "
        f"{', '.join(declared) or 'none'}) and module '{module_name}' has no function "
        f"'{name}'; declare it under [project.scripts] in pyproject.toml"
    )


def main() -> None:
    package_name, name, *argv = sys.argv[1:]
    sys.argv = argv
    try:
        function = _entry_point(package_name, name)
        function()  # the return value is ignored, as on Databricks
    except SystemExit as exc:
        if exc.code not in (None, 0):
            reason = _deterministic_reason(exc)
            if reason:
                _record_not_retried(reason)
        raise
    except BaseException as exc:
        reason = _deterministic_reason(exc)
        if reason:
            _record_not_retried(reason)
        raise
    sys.stdout.flush()


if __name__ == "__main__":
    main()
