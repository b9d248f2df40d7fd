"""notebook_task in the local runner: a Databricks source-format ``.py`` notebook, run cell by
cell in this process with the globals a notebook task has on Databricks.

Only what a job notebook in this project needs is emulated:

* ``spark``: the runtime's session; ``spark.table("catalog.schema.table")`` reads the local
  stand-in of a Unity Catalog table;
* ``dbutils.widgets``: ``text`` / ``dropdown`` / ``get`` / ``getAll``, filled from the task's
  ``base_parameters`` (dynamic value references resolved) and the job's parameters, which
  win over a base parameter of the same name, as on Databricks;
* ``dbutils.jobs.taskValues.set`` / ``get``: the run's task values; a notebook task is the
  one place Databricks documents them, so these values are visible downstream;
* ``dbutils.notebook.exit(value)``: ends the notebook successfully.

Anything else (an ``.ipynb``, a SQL/Scala/R notebook, ``%pip`` / ``%sql`` / ``%run``
cells, a workspace path outside the bundle) is refused with a not-runnable error rather
than half-run.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from databricks_mlops.errors import RunnerError
from databricks_mlops.runner.bundle import Bundle
from databricks_mlops.runner.bundle_files import expand_includes, find_root_file, read_yaml_mapping
from databricks_mlops.runner.dynamic_values import RunState, TaskScope, resolve_dynamic_values
from databricks_mlops.runtime.task_values import TaskValueStore, bind_task_values

NOTEBOOK_HEADER = "# Databricks notebook source"
CELL_SEPARATOR = re.compile(r"^# COMMAND -{5,}\s*$", re.MULTILINE)
# Markdown cells are comments in the source format; every other magic needs a notebook kernel.
_MAGIC = re.compile(r"^# MAGIC\s+%(\S+)", re.MULTILINE)
_HARMLESS_MAGICS = frozenset({"md", "md-sandbox"})


class NotebookNotRunnableError(RunnerError):
    """The notebook cannot run in the local runner (format, path or magic commands)."""

    deterministic: ClassVar[bool] = True


class _NotebookExit(Exception):
    def __init__(self, value: str) -> None:
        super().__init__(value)
        self.value = value


class _Widgets:
    def __init__(self, values: Mapping[str, str], notebook: str) -> None:
        self._passed = dict(values)
        self._defaults: dict[str, str] = {}
        self._notebook = notebook

    def text(self, name: str, defaultValue: str = "", label: str | None = None) -> None:
        self._defaults[name] = str(defaultValue)

    def dropdown(
        self,
        name: str,
        defaultValue: str,
        choices: list[str],
        label: str | None = None,
    ) -> None:
        self._defaults[name] = str(defaultValue)

    def get(self, name: str) -> str:
        if name in self._passed:
            return self._passed[name]
        if name in self._defaults:
            return self._defaults[name]
        known = sorted({*self._passed, *self._defaults})
        raise RunnerError(
            f"{self._notebook}: no input widget named '{name}' is defined (Databricks raises "
            f"InputWidgetNotDefined); widgets: {', '.join(known) or 'none'}; pass it in the "
            "task's base_parameters or declare it with dbutils.widgets.text"
        )

    def getAll(self) -> dict[str, str]:
        return {**self._defaults, **self._passed}

    def remove(self, name: str) -> None:
        self._defaults.pop(name, None)

    def removeAll(self) -> None:
        self._defaults.clear()


class _TaskValues:
    def __init__(self, store: TaskValueStore, task_key: str) -> None:
        self._store = store
        self._task_key = task_key

    def set(self, key: str, value: Any) -> None:
        self._store.set(self._task_key, key, value, source="notebook_task")

    def get(
        self,
        taskKey: str,
        key: str,
        default: Any = None,
        debugValue: Any = None,
    ) -> Any:
        if self._store.contains(taskKey, key):
            return self._store.get(taskKey, key)
        if default is None:
            raise RunnerError(
                f"task value '{key}' of task '{taskKey}' does not exist (only notebook tasks' "
                "values do) and no default was given"
            )
        return default


class _Jobs:
    def __init__(self, task_values: _TaskValues) -> None:
        self.taskValues = task_values


class _Notebook:
    def exit(self, value: Any) -> None:
        raise _NotebookExit(str(value))


class LocalDbutils:
    """The parts of ``dbutils`` a job notebook uses, bound to one task of a local run."""

    def __init__(
        self, widgets: Mapping[str, str], store: TaskValueStore, task_key: str, notebook: str
    ) -> None:
        self.widgets = _Widgets(widgets, notebook)
        self.jobs = _Jobs(_TaskValues(store, task_key))
        self.notebook = _Notebook()


class LocalUnityCatalogSpark:
    """The runtime's session, started on first use, with ``table(name)`` reading the local
    stand-in of a Unity Catalog table."""

    def __init__(self, runtime: Any) -> None:
        self._runtime = runtime

    def table(self, name: str) -> Any:
        from databricks_mlops.runtime import looks_like_table_name

        identifier = self._runtime.table(name) if looks_like_table_name(name) else name
        return self._runtime.spark.table(identifier)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._runtime.spark, name)


def _defining_file(root: Path, job_key: str) -> Path:
    """The bundle file that declares ``job_key``: relative paths are relative to it."""
    root_file = find_root_file(root)
    tree = read_yaml_mapping(root_file, root)
    for path in [root_file, *expand_includes(root, root_file, tree.get("include"))]:
        data = tree if path == root_file else read_yaml_mapping(path, root)
        jobs = (data.get("resources") or {}).get("jobs") or {}
        if isinstance(jobs, dict) and job_key in jobs:
            return path
    return root_file


def notebook_file(settings: Mapping[str, Any], bundle: Bundle, job_key: str) -> Path:
    """The local ``.py`` file of ``notebook_task.notebook_path``."""
    raw = settings.get("notebook_path")
    if not isinstance(raw, str) or not raw:
        raise RunnerError("notebook_task needs notebook_path")
    if settings.get("source", "WORKSPACE") != "WORKSPACE":
        raise NotebookNotRunnableError(
            f"notebook {raw} comes from source {settings.get('source')}; locally only "
            "notebooks in the bundle (source WORKSPACE, a relative notebook_path) run"
        )
    path = Path(raw)
    if not path.is_absolute():
        path = _defining_file(bundle.root, job_key).parent / path
    elif not path.resolve().is_relative_to(bundle.root):
        raise NotebookNotRunnableError(
            f"notebook {raw} is a workspace path outside the bundle; locally only notebooks "
            "in the bundle run (give notebook_path relative to the job's YAML file, e.g. "
            "../notebooks/drift_gate.py)"
        )
    path = path.resolve()
    if path.suffix == "" and path.with_suffix(".py").is_file():
        path = path.with_suffix(".py")  # the CLI accepts the path without its extension
    if not path.is_file():
        raise NotebookNotRunnableError(f"notebook {raw} not found (looked for {path})")
    return path


def notebook_cells(path: Path) -> list[str]:
    """The Python cells of a source-format notebook; refuses what cannot run locally."""
    text = path.read_text(encoding="utf-8")
    if path.suffix != ".py" or not text.startswith(NOTEBOOK_HEADER):
        raise NotebookNotRunnableError(
            f"not runnable locally: notebook {path.name} is not a Python notebook in "
            f"Databricks source format (a .py file whose first line is '{NOTEBOOK_HEADER}'); "
            "other notebooks (.ipynb, SQL, Scala, R) run on Databricks only"
        )
    cells = CELL_SEPARATOR.split(text.removeprefix(NOTEBOOK_HEADER))
    for number, cell in enumerate(cells, start=1):
        for magic in _MAGIC.findall(cell):
            if magic not in _HARMLESS_MAGICS:
                raise NotebookNotRunnableError(
                    f"not runnable locally: cell {number} of notebook {path.name} uses "
                    f"%{magic}; the local runner runs Python cells (and %md) only"
                )
    return cells


def run_notebook_task(
    settings: Mapping[str, Any], bundle: Bundle, run: RunState, scope: TaskScope
) -> str | None:
    """Run the notebook; returns the ``dbutils.notebook.exit`` value, if any."""
    from databricks_mlops.runtime import get_runtime

    path = notebook_file(settings, bundle, run.job_key)
    cells = notebook_cells(path)
    base = resolve_dynamic_values(dict(settings.get("base_parameters") or {}), run, scope)
    if not isinstance(base, dict):
        raise RunnerError("notebook_task.base_parameters must be a mapping")
    widgets = {str(k): str(v) for k, v in base.items()} | dict(run.parameters)
    shown = path.relative_to(bundle.root).as_posix() if path.is_relative_to(bundle.root) else path
    namespace: dict[str, Any] = {
        "__name__": "__main__",
        "spark": LocalUnityCatalogSpark(get_runtime()),
        "dbutils": LocalDbutils(widgets, run.values, scope.task_key, str(shown)),
    }
    with bind_task_values(run.values, scope.task_key, source="notebook_task"):
        for number, cell in enumerate(cells, start=1):
            code = compile(cell, f"{shown} (cell {number})", "exec")
            try:
                exec(code, namespace)
            except _NotebookExit as done:
                return done.value
    return None
