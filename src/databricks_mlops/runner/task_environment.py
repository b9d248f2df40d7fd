"""A fresh Python environment per python_wheel_task, built from what the bundle declares.

On Databricks a wheel task runs on compute that has its own packages (the serverless
environment version, or the cluster's runtime) plus exactly the task's declared
dependencies: serverless ``environments[].spec.dependencies`` or the task's cluster
``libraries``. Running the task in the developer's virtualenv instead lets an undeclared
import pass locally and fail after deploy, so the local runner builds that environment with
uv: :mod:`.platform_packages` first, then the bundle's artifacts (built as ``bundle deploy``
builds them) and declared requirements, installed on top as pip installs them on Databricks.

Environments are cached under ``$MLOPS_HOME/task-envs/<hash>`` by a content hash of
everything that goes in (Python, the platform pins, the requirement strings, each wheel's
sha256), so a re-run with nothing changed starts at once; a changed wheel is a new hash.
An environment is built in a staging directory and renamed into place, so a concurrent run
or an interrupted build never leaves a half-built environment under the final name.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from databricks_mlops.errors import RunnerError, TaskEnvironmentError
from databricks_mlops.runner.bundle import Bundle
from databricks_mlops.runner.bundle_files import expand_includes, find_root_file, read_yaml_mapping
from databricks_mlops.runner.platform_packages import compute_packages, pinned
from databricks_mlops.runtime.locations import local_path

ISOLATION_ENV = "MLOPS_TASK_ISOLATION"
ISOLATED, IN_PROCESS = "isolated", "in-process"
_MARKER = "mlops-task-env.json"
_UV_MESSAGE_LINES = 25


def isolation_requested(environ: Mapping[str, str] | None = None) -> bool:
    """``MLOPS_TASK_ISOLATION``: ``isolated`` (the default) or ``in-process``."""
    value = (environ if environ is not None else os.environ).get(ISOLATION_ENV, "").strip()
    if value in ("", ISOLATED):
        return True
    if value == IN_PROCESS:
        return False
    raise RunnerError(
        f"{ISOLATION_ENV}={value!r} is not a task isolation mode: set it to {ISOLATED!r} "
        f"(each wheel task in its own environment, the default) or {IN_PROCESS!r}"
    )


def find_uv() -> str:
    uv = shutil.which("uv")
    if uv is None:
        raise TaskEnvironmentError(
            "uv is not on PATH: isolated task runs build each task's environment with uv. "
            "Install it (`pip install uv`, or `make setup`), or run the tasks in this "
            f"process with `databricks-mlops run --in-process` ({ISOLATION_ENV}={IN_PROCESS})"
        )
    return uv


@dataclass(frozen=True)
class Declaration:
    """What a task's compute and its declared dependencies are, as written in the bundle."""

    task_key: str
    compute: str
    """For messages: ``serverless environment 'default' (version 4)``, ``job cluster ...``."""
    kind: str
    version: str | None
    wheels: tuple[str, ...]
    """Wheel paths and globs, as declared (``./dist/*.whl``)."""
    requirements: tuple[str, ...]
    """PyPI requirement strings (``pyyaml>=6``) and ``-r <file>`` lines."""


def _by_key(items: object, key_name: str, what: str, task_key: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and isinstance(item.get(key_name), str):
            found[item[key_name]] = item
    if not found and items:
        raise RunnerError(f"task '{task_key}': the job's {what} must be a list of mappings")
    return found


def declared_dependencies(job: Mapping[str, Any], task: Mapping[str, Any]) -> Declaration:
    """Where ``task`` runs and what it declares, from its job's definition."""
    task_key = str(task.get("task_key"))
    environment_key = task.get("environment_key")
    if isinstance(environment_key, str):
        environments = _by_key(job.get("environments"), "environment_key", "environments", task_key)
        if environment_key not in environments:
            raise TaskEnvironmentError(
                f"task '{task_key}' uses environment_key '{environment_key}', which the job "
                f"does not declare (environments: {', '.join(environments) or 'none'})"
            )
        spec = environments[environment_key].get("spec") or {}
        version = spec.get("environment_version", spec.get("client"))
        version = None if version is None else str(version)
        wheels, requirements = _split_dependencies(spec.get("dependencies") or [], task_key)
        return Declaration(
            task_key,
            f"serverless environment '{environment_key}' (version {version or '?'})",
            "serverless",
            version,
            wheels,
            requirements,
        )
    if not {"job_cluster_key", "new_cluster", "existing_cluster_id"} & set(task):
        raise TaskEnvironmentError(
            f"task '{task_key}' declares no compute (environment_key, job_cluster_key, "
            "new_cluster or existing_cluster_id), so nothing says what to install for it and "
            "Databricks would not run it: add a serverless environment whose dependencies "
            "list the task's wheel, or run the job in this process with --in-process"
        )
    cluster_key = task.get("job_cluster_key")
    if isinstance(cluster_key, str):
        clusters = _by_key(job.get("job_clusters"), "job_cluster_key", "job_clusters", task_key)
        cluster = (clusters.get(cluster_key) or {}).get("new_cluster") or {}
        compute = f"job cluster '{cluster_key}'"
    elif isinstance(task.get("new_cluster"), dict):
        cluster, compute = task["new_cluster"], "the task's new_cluster"
    else:
        cluster, compute = {}, "an existing cluster (its runtime is unknown here)"
    spark_version = cluster.get("spark_version") if isinstance(cluster, dict) else None
    wheels, requirements = _split_libraries(task.get("libraries") or [], task_key)
    return Declaration(
        task_key,
        f"{compute} ({spark_version or 'runtime ?'})",
        "cluster",
        None if spark_version is None else str(spark_version),
        wheels,
        requirements,
    )


def _is_path(entry: str) -> bool:
    return entry.startswith(("./", "../", "/", "~")) or entry.endswith(".whl")


def _split_dependencies(entries: object, task_key: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if not isinstance(entries, list):
        raise RunnerError(f"task '{task_key}': environment dependencies must be a list")
    wheels, requirements = [], []
    for entry in entries:
        text = str(entry).strip()
        if text.startswith(("-r ", "--requirement ")):
            requirements.append(text)  # a requirements file, as pip reads it on Databricks
        elif text.startswith("-"):
            raise TaskEnvironmentError(
                f"task '{task_key}': dependency {text!r} is a pip option the local runner "
                "does not apply; list requirement strings and wheel paths instead"
            )
        elif _is_path(text):
            wheels.append(text)
        elif text:
            requirements.append(text)
    return tuple(wheels), tuple(requirements)


def _split_libraries(entries: object, task_key: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if not isinstance(entries, list):
        raise RunnerError(f"task '{task_key}': libraries must be a list")
    wheels, requirements = [], []
    for library in entries:
        if not isinstance(library, dict):
            raise RunnerError(f"task '{task_key}': each library must be a mapping, got {library!r}")
        if "whl" in library:
            wheels.append(str(library["whl"]))
        elif "pypi" in library:
            requirements.append(str((library["pypi"] or {}).get("package", "")))
        elif "requirements" in library:
            requirements.append(f"-r {library['requirements']}")
        elif not {"jar", "maven"} & set(library):  # JVM libraries: not Python's business
            raise TaskEnvironmentError(
                f"task '{task_key}': library {library!r} is not a kind the local runner "
                "installs (whl, pypi, requirements)"
            )
    return tuple(wheels), tuple(requirements)


# --- artifacts ---------------------------------------------------------------------


def build_artifacts(bundle: Bundle) -> list[str]:
    """Run each artifact's ``build`` command in its ``path``, as ``bundle deploy`` does.

    Returns the names built. (``dynamic_version`` is not applied: locally each build is
    hashed by content, which is what that option protects on Databricks.)"""
    artifacts = bundle.config.get("artifacts") or {}
    built = []
    for name, artifact in artifacts.items() if isinstance(artifacts, dict) else ():
        command = artifact.get("build") if isinstance(artifact, dict) else None
        if not isinstance(command, str) or not command.strip():
            continue
        where = (bundle.root / str(artifact.get("path") or ".")).resolve()
        done = subprocess.run(
            command, shell=True, cwd=where, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise TaskEnvironmentError(
                f"artifact '{name}' of bundle '{bundle.name}': build `{command}` in {where} "
                f"failed (exit {done.returncode}):\n{_tail(done.stderr or done.stdout)}"
            )
        built.append(name)
    return built


def defining_directory(bundle: Bundle, job_key: str, section: str) -> Path:
    """The folder of the file that defines ``resources.jobs.<job_key>.<section>``.

    The CLI reads a relative library path relative to the configuration file it is written
    in (``../dist/*.whl`` in ``resources/x.job.yml`` is the root's ``dist/``), so locally
    it must be read from the same place."""
    root_file = find_root_file(bundle.root)
    root_tree = read_yaml_mapping(root_file, bundle.root)
    for path in [root_file, *expand_includes(bundle.root, root_file, root_tree.get("include"))]:
        tree = root_tree if path == root_file else read_yaml_mapping(path, bundle.root)
        jobs = (tree.get("resources") or {}).get("jobs") or {}
        job = jobs.get(job_key) if isinstance(jobs, dict) else None
        if isinstance(job, dict) and section in job:
            return path.parent
    return bundle.root  # defined by a target override in the root file


def resolve_wheels(
    declaration: Declaration, bundle: Bundle, home: Path, job_key: str
) -> tuple[Path, ...]:
    """The wheel files a declaration names: relative to the file that declares them, globs
    expanded, ``/Volumes/...`` mapped to the local home."""
    files: list[Path] = []
    section = "environments" if declaration.kind == "serverless" else "tasks"
    base = defining_directory(bundle, job_key, section) if declaration.wheels else bundle.root
    for pattern in declaration.wheels:
        mapped = local_path(os.path.expanduser(pattern), home)
        absolute = mapped if os.path.isabs(mapped) else os.path.normpath(base / mapped)
        matches = sorted(glob.glob(absolute))
        if not matches:
            artifacts = ", ".join(bundle.config.get("artifacts") or {}) or "none declared"
            raise TaskEnvironmentError(
                f"task '{declaration.task_key}' ({declaration.compute}) installs {pattern!r}, "
                f"but no file matches {absolute} (a relative path is read from the folder of "
                f"the file that declares it, {base}, as the Databricks CLI reads it); build "
                f"it first (bundle artifacts: {artifacts}), or fix the path"
            )
        files += [Path(match) for match in matches]
    return tuple(files)


# --- the environment ---------------------------------------------------------------


@dataclass(frozen=True)
class TaskEnvironment:
    path: Path
    key: str
    cached: bool
    seconds: float
    serverless: bool = False
    """Serverless compute: the task's Spark session is a Spark Connect client."""

    @property
    def python(self) -> Path:
        return python_of(self.path)

    def describe(self) -> str:
        how = "cached" if self.cached else f"built in {self.seconds:.1f} s"
        spark = ", Spark Connect" if self.serverless else ""
        return f"isolated env {self.key[:12]} ({how}{spark})"


def python_of(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def environment_spec(declaration: Declaration, wheels: Sequence[Path]) -> dict[str, Any]:
    """Everything that goes into the environment: its hash is the cache key."""
    return {
        "python": sys.version,
        "base": sys.base_prefix,
        "platform": list(pinned(compute_packages(declaration.kind, declaration.version))),
        "requirements": list(declaration.requirements),
        "wheels": [{"name": wheel.name, "sha256": _sha256(wheel)} for wheel in wheels],
    }


def ensure_environment(
    declaration: Declaration, wheels: Sequence[Path], home: Path, bundle_root: Path
) -> TaskEnvironment:
    """The task's environment: from the cache, or built now (and cached). ``-r`` files
    are read relative to ``bundle_root``."""
    spec = environment_spec(declaration, wheels)
    serverless = declaration.kind == "serverless"
    key = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()
    root = home / "task-envs"
    final = root / key[:16]
    if (final / _MARKER).is_file():
        return TaskEnvironment(final, key, cached=True, seconds=0.0, serverless=serverless)
    uv = find_uv()
    clock = time.monotonic()
    root.mkdir(parents=True, exist_ok=True)
    staging = root / f".{key[:16]}.{secrets.token_hex(4)}.tmp"
    try:
        # --relocatable: the environment is built under the staging name, then renamed.
        _uv(uv, ["venv", "--quiet", "--relocatable", "--python", sys.executable, str(staging)],
            declaration, "create the virtualenv", bundle_root)  # fmt: skip
        python = str(python_of(staging))
        # Two steps, as on Databricks: the compute's packages are there first, and the
        # declared dependencies are installed on top (upgrading one only when they must).
        if spec["platform"]:
            _install(
                uv, python, spec["platform"], declaration, "the compute's packages", bundle_root
            )
        declared = [str(wheel) for wheel in wheels]
        for requirement in declaration.requirements:
            declared += (
                requirement.split(None, 1) if requirement.startswith("-r") else [requirement]
            )
        if declared:
            _install(uv, python, declared, declaration, "the declared dependencies", bundle_root)
        (staging / _MARKER).write_text(json.dumps(spec, indent=2), encoding="utf-8")
        try:
            os.rename(staging, final)
        except OSError:
            if not (final / _MARKER).is_file():
                raise
            # Another run built the same environment meanwhile: use that one.
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return TaskEnvironment(
        final, key, cached=False, seconds=time.monotonic() - clock, serverless=serverless
    )


def _install(
    uv: str,
    python: str,
    requirements: list[str],
    declaration: Declaration,
    what: str,
    cwd: Path,
) -> None:
    arguments = ["pip", "install", "--quiet", "--python", python, *requirements]
    # The uv cache normally has everything (the project's own `uv sync` put it there):
    # offline, an install is hard links; only what the cache lacks goes to the index.
    offline = _run_uv(uv, [*arguments, "--offline"], cwd)
    if offline.returncode == 0:
        return
    _uv(uv, arguments, declaration, f"install {what} ({' '.join(requirements)})", cwd)


def _run_uv(uv: str, arguments: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "UV_PYTHON")}
    return subprocess.run(
        [uv, *arguments], capture_output=True, text=True, check=False, env=environ, cwd=cwd
    )


def _uv(uv: str, arguments: list[str], declaration: Declaration, what: str, cwd: Path) -> None:
    done = _run_uv(uv, arguments, cwd)
    if done.returncode != 0:
        raise TaskEnvironmentError(
            f"task '{declaration.task_key}': failed to build its isolated environment "
            f"({declaration.compute}): could not {what}. uv says:\n"
            f"{_tail(done.stderr or done.stdout)}\nFix the task's dependencies in the bundle "
            "(what Databricks would install), or run in this process with --in-process"
        )


def _tail(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return "\n".join(lines[-_UV_MESSAGE_LINES:])
