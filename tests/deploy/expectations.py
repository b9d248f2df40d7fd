"""What a bundle declares for one target, read from its YAML without the CLI: the jobs of
resources/*.yml with their tasks' compute and wheels, and the names its schemas, volumes,
registered models and experiments must get (development mode's prefixes included)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

COMPUTE_KEYS = ("environment_key", "job_cluster_key", "existing_cluster_id")
_REFERENCE = re.compile(r"\$\{([A-Za-z0-9_.\-]+)\}")


@dataclass(frozen=True)
class Task:
    key: str
    kind: str  # python_wheel_task, notebook_task, run_job_task, condition_task, ...
    compute: dict[str, str]  # the COMPUTE_KEYS it declares
    wheels: tuple[str, ...]  # the local wheels (libraries whl) it names itself
    wheel_task: tuple[str, str] | None  # (package_name, entry_point)


@dataclass(frozen=True)
class Job:
    key: str
    name: str
    tasks: dict[str, Task]
    environments: dict[str, tuple[str, ...]]  # environment_key -> the local wheels it names
    job_clusters: tuple[str, ...]


@dataclass
class Expected:
    target: str
    development: bool
    root_path: str
    jobs: dict[str, Job] = field(default_factory=dict)
    schemas: dict[str, str] = field(default_factory=dict)  # key -> catalog.schema
    volumes: dict[str, str] = field(default_factory=dict)  # key -> catalog.schema.volume
    registered_models: dict[str, str] = field(default_factory=dict)  # key -> full name
    experiments: dict[str, str] = field(default_factory=dict)  # key -> path (no /Workspace)


def bundle_targets(bundle: Path) -> list[str]:
    return list(_load(bundle / "databricks.yml").get("targets", {}))


def _load(path: Path) -> dict[str, Any]:
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    return loaded if isinstance(loaded, dict) else {}


def _files(bundle: Path) -> list[dict[str, Any]]:
    root = _load(bundle / "databricks.yml")
    files = [root]
    for pattern in root.get("include", []):
        files.extend(_load(path) for path in sorted(bundle.glob(pattern)))
    return files


def _is_local_wheel(reference: str) -> bool:
    return reference.endswith(".whl") and not reference.startswith(("/", "dbfs:", "s3:"))


def expected(
    bundle: Path, target: str, user: str, short_name: str, overrides: Mapping[str, str]
) -> Expected:
    files = _files(bundle)
    root = files[0]
    target_config = root.get("targets", {}).get(target) or {}
    development = target_config.get("mode") == "development"
    prefix = f"[dev {short_name}] " if development else ""
    uc_prefix = f"dev_{short_name}_" if development else ""

    variables: dict[str, Any] = {}
    for config in files:
        for name, spec in (config.get("variables") or {}).items():
            variables[name] = (spec or {}).get("default")
    for config in files:
        for name, value in (
            ((config.get("targets") or {}).get(target) or {}).get("variables", {}).items()
        ):
            variables[name] = value
        assert "resources" not in ((config.get("targets") or {}).get(target) or {}), (
            "a target overrides resources: teach tests/deploy/expectations.py to merge them"
        )
    variables.update(overrides)

    values: dict[str, Any] = {
        "bundle.target": target,
        "bundle.name": root["bundle"]["name"],
        "workspace.current_user.userName": user,
        "workspace.current_user.short_name": short_name,
        **{f"var.{name}": value for name, value in variables.items()},
    }

    def resolve(text: Any) -> Any:
        if not isinstance(text, str):
            return text
        for _ in range(10):  # references to references, a few levels deep
            new = _REFERENCE.sub(lambda m: str(values.get(m.group(1), m.group(0))), text)
            if new == text:
                break
            text = new
        return text

    workspace = {**(root.get("workspace") or {}), **(target_config.get("workspace") or {})}
    default_root = "/Workspace/Users/${workspace.current_user.userName}/.bundle/${bundle.name}/${bundle.target}"
    root_path = resolve(workspace.get("root_path", default_root))
    values["workspace.root_path"] = root_path
    values["workspace.file_path"] = f"{root_path}/files"
    result = Expected(target, development, root_path)

    resources: dict[str, dict[str, Any]] = {}
    for config in files:
        for kind, entries in (config.get("resources") or {}).items():
            resources.setdefault(kind, {}).update(entries or {})

    for key, schema in resources.get("schemas", {}).items():
        name = uc_prefix + resolve(schema["name"])
        values[f"resources.schemas.{key}.name"] = name
        result.schemas[key] = f"{resolve(schema['catalog_name'])}.{name}"
    for key, model in resources.get("registered_models", {}).items():
        name = uc_prefix + resolve(model["name"])
        values[f"resources.registered_models.{key}.name"] = name
        result.registered_models[key] = ".".join(
            [resolve(model["catalog_name"]), resolve(model["schema_name"]), name]
        )
    for key, volume in resources.get("volumes", {}).items():
        name = resolve(volume["name"])  # volumes live in the (prefixed) schema, unprefixed
        values[f"resources.volumes.{key}.name"] = name
        result.volumes[key] = ".".join(
            [resolve(volume["catalog_name"]), resolve(volume["schema_name"]), name]
        )
    for key, experiment in resources.get("experiments", {}).items():
        path = resolve(experiment["name"]).removeprefix("/Workspace")
        folder, _, base = path.rpartition("/")
        result.experiments[key] = f"{folder}/{prefix}{base}"

    for key, job in resources.get("jobs", {}).items():
        environments = {
            env["environment_key"]: tuple(
                d for d in (env.get("spec") or {}).get("dependencies", []) if _is_local_wheel(d)
            )
            for env in job.get("environments", [])
        }
        tasks: dict[str, Task] = {}
        for task in job["tasks"]:
            kinds = [name for name in task if name.endswith("_task")]
            assert len(kinds) == 1, f"{key}.{task['task_key']}: {kinds}"
            wheel = task.get("python_wheel_task")
            tasks[task["task_key"]] = Task(
                key=task["task_key"],
                kind=kinds[0],
                compute={name: resolve(task[name]) for name in COMPUTE_KEYS if name in task},
                wheels=tuple(
                    library["whl"]
                    for library in task.get("libraries", [])
                    if "whl" in library and _is_local_wheel(library["whl"])
                ),
                wheel_task=(wheel["package_name"], wheel["entry_point"]) if wheel else None,
            )
        result.jobs[key] = Job(
            key=key,
            name=prefix + resolve(job["name"]),
            tasks=tasks,
            environments=environments,
            job_clusters=tuple(c["job_cluster_key"] for c in job.get("job_clusters", [])),
        )
    return result
