"""Load a Databricks Asset Bundle from disk, as ``databricks bundle deploy`` would see it.

Order of work (the CLI's): read ``databricks.yml`` and its includes and merge them;
pick the target and merge its overrides; fold job tasks/clusters/environments by key;
choose variable values; fill in the computed ``bundle.*`` / ``workspace.*`` fields with
local stand-ins; resolve every ``${...}``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from databricks_mlops.errors import BundleError, did_you_mean
from databricks_mlops.runner.bundle_files import (
    display_path,
    expand_includes,
    find_root_file,
    merge,
    merge_job_sequences,
    read_yaml_mapping,
)
from databricks_mlops.runner.bundle_variables import resolve_variables
from databricks_mlops.runner.interpolation import Path as TreePath
from databricks_mlops.runner.interpolation import ReferenceResolver, Unresolvable

LOCAL_USER_ENV = "MLOPS_LOCAL_USER"
DEFAULT_LOCAL_USER = "local.user@localhost"
# The parts of a target that are merged over the root configuration.
TARGET_OVERRIDES = (
    "bundle",
    "workspace",
    "artifacts",
    "resources",
    "presets",
    "run_as",
    "permissions",
    "sync",
    "git",
    "experimental",
)
# Implicit target name when a bundle declares no targets (as the CLI does).
IMPLICIT_TARGET = "default"


@dataclass(frozen=True)
class Bundle:
    """A bundle with one target applied and every ``${...}`` resolved."""

    name: str
    target: str
    root: Path
    variables: Mapping[str, Any]
    jobs: Mapping[str, dict[str, Any]]
    mode: str | None = None
    config: Mapping[str, Any] = field(default_factory=dict)
    """The whole resolved configuration (``bundle``, ``workspace``, ``resources``, ...)."""


class _Sources:
    """Which file each resource (or top-level section) came from, for error messages."""

    def __init__(self) -> None:
        self._files: dict[TreePath, list[str]] = {}

    def record(self, data: Mapping[str, Any], shown: str) -> None:
        for section, value in data.items():
            self._add((section,), shown)
            if section == "resources" and isinstance(value, dict):
                for kind, group in value.items():
                    for key in group if isinstance(group, dict) else ():
                        self._add(("resources", kind, key), shown)

    def _add(self, path: TreePath, shown: str) -> None:
        files = self._files.setdefault(path, [])
        if shown not in files:
            files.append(shown)

    def locate(self, path: TreePath) -> str | None:
        for length in range(min(len(path), 3), 0, -1):
            files = self._files.get(path[:length])
            if files:
                return ", ".join(files)
        return None


def _select_target(targets: Mapping[str, Any], requested: str | None, root_file: str) -> str:
    names = list(targets)
    if requested is not None:
        if requested in targets or (not targets and requested == IMPLICIT_TARGET):
            return requested
        listing = ", ".join(names) if names else "none (the only target is 'default')"
        raise BundleError(
            f"Unknown target '{requested}'{did_you_mean(requested, names)}; "
            f"targets in {root_file}: {listing}"
        )
    if not targets:
        return IMPLICIT_TARGET
    defaults = [n for n, t in targets.items() if isinstance(t, dict) and t.get("default") is True]
    if len(defaults) > 1:
        raise BundleError(f"More than one target has 'default: true': {', '.join(defaults)}")
    if defaults:
        return defaults[0]
    if len(names) == 1:
        return names[0]
    raise BundleError(
        f"No target selected and none has 'default: true' in {root_file}; "
        f"pass --target with one of: {', '.join(names)}"
    )


def _short_name(user_name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", user_name.split("@", 1)[0])


def _with_computed_fields(tree: dict[str, Any], target: str, root: Path) -> dict[str, Any]:
    """Fill in what the CLI computes, with local stand-ins for workspace facts."""
    bundle = dict(tree.get("bundle") or {})
    if not isinstance(bundle.get("name"), str) or not bundle["name"]:
        raise BundleError("bundle.name is required (add `bundle: {name: my_project}`)")
    bundle["target"] = target
    bundle["environment"] = target  # deprecated alias the CLI still serves

    user_name = os.environ.get(LOCAL_USER_ENV) or DEFAULT_LOCAL_USER
    workspace = dict(tree.get("workspace") or {})
    workspace["current_user"] = {
        "userName": user_name,
        "displayName": user_name,
        "short_name": _short_name(user_name),
        "domain_friendly_name": _short_name(user_name),
    }
    workspace.setdefault(
        "root_path",
        "/Workspace/Users/${workspace.current_user.userName}/.bundle/"
        "${bundle.name}/${bundle.target}",
    )
    # Deployed, file_path is where the bundle's files are synced; locally they are right
    # here, so `${workspace.file_path}/configs/x.yml` reads the local file.
    workspace["file_path"] = str(root)
    workspace.setdefault("artifact_path", "${workspace.root_path}/artifacts")
    workspace.setdefault("state_path", "${workspace.root_path}/state")
    workspace.setdefault("resource_path", "${workspace.root_path}/resources")
    return {**tree, "bundle": bundle, "workspace": workspace}


def _merged_configuration(root: Path) -> tuple[dict[str, Any], _Sources, str]:
    root_file = find_root_file(root)
    tree = read_yaml_mapping(root_file, root)
    sources = _Sources()
    sources.record(tree, root_file.name)
    for included in expand_includes(root, root_file, tree.get("include")):
        data = read_yaml_mapping(included, root)
        if "include" in data:
            raise BundleError(
                f"{display_path(included, root)}: 'include' is only allowed in {root_file.name}"
            )
        sources.record(data, display_path(included, root))
        tree = merge(tree, data)
    return tree, sources, root_file.name


def load_bundle(
    root: Path,
    target: str | None = None,
    variables: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Bundle:
    """Load the bundle at ``root`` for ``target`` with ``--var`` values ``variables``.

    ``environ`` (default ``os.environ``) supplies ``BUNDLE_VAR_<name>`` values.
    """
    root = Path(root).resolve()
    tree, sources, root_file = _merged_configuration(root)

    targets = tree.get("targets", tree.get("environments")) or {}
    if not isinstance(targets, dict):
        raise BundleError(f"'targets' in {root_file} must be a mapping of target name to settings")
    chosen = _select_target(targets, target, root_file)
    overrides = targets.get(chosen) or {}
    if not isinstance(overrides, dict):
        raise BundleError(f"targets.{chosen} in {root_file} must be a mapping")
    for section in TARGET_OVERRIDES:
        if section in overrides:
            tree[section] = merge(tree.get(section), overrides[section])
    sources.record(
        {k: v for k, v in overrides.items() if k in TARGET_OVERRIDES},
        f"{root_file} targets.{chosen}",
    )

    resources = tree.get("resources") or {}
    if not isinstance(resources, dict):
        raise BundleError("'resources' must be a mapping of resource type to resources")
    if resources.get("jobs") is not None:
        if not isinstance(resources["jobs"], dict):
            raise BundleError("resources.jobs must be a mapping of job key to job")
        resources = {**resources, "jobs": merge_job_sequences(resources["jobs"])}
    tree["resources"] = resources

    tree["variables"] = resolve_variables(
        tree.get("variables"),
        overrides.get("variables"),
        chosen,
        dict(variables or {}),
        os.environ if environ is None else environ,
    )
    for dropped in ("targets", "environments", "include"):
        tree.pop(dropped, None)
    tree = _with_computed_fields(tree, chosen, root)

    resolver = ReferenceResolver(tree, sources.locate)
    config = {key: resolver.resolve((key,)) for key in tree if key != "variables"}
    values: dict[str, Any] = {}
    for name in tree["variables"]:
        value = resolver.resolve(("variables", name, "value"))
        if not isinstance(value, Unresolvable):
            values[name] = value

    mode = overrides.get("mode")
    return Bundle(
        name=config["bundle"]["name"],
        target=chosen,
        root=root,
        variables=values,
        jobs=dict(config["resources"].get("jobs") or {}),
        mode=mode if isinstance(mode, str) else None,
        config=config,
    )
