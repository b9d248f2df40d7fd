"""Reading bundle YAML files and merging them the way the Databricks CLI does.

The CLI merges ``databricks.yml``, its includes and the selected target with three rules:
mappings merge key by key, sequences are appended, and a later scalar replaces an earlier
one. After the merge, a few job sequences are folded by their key (``tasks`` by
``task_key`` and so on) so that a target can override a single task.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from databricks_mlops.config.yaml_source import LimitedSafeLoader, describe_decode_error
from databricks_mlops.errors import BundleError

ROOT_FILE_NAMES = ("databricks.yml", "databricks.yaml")

# Job sequences whose elements the CLI merges by key once every file and the target
# are merged (mutators MergeJobTasks, MergeJobClusters, MergeJobEnvironments,
# MergeJobParameters).
JOB_SEQUENCE_KEYS: dict[str, str] = {
    "tasks": "task_key",
    "job_clusters": "job_cluster_key",
    "environments": "environment_key",
    "parameters": "name",
}


def find_root_file(root: Path) -> Path:
    found = [root / name for name in ROOT_FILE_NAMES if (root / name).is_file()]
    if not found:
        raise BundleError(
            f"No bundle found in {root}: expected {' or '.join(ROOT_FILE_NAMES)} "
            "(run from the bundle's root directory or pass its path)"
        )
    if len(found) > 1:
        raise BundleError(
            f"Both {found[0].name} and {found[1].name} exist in {root}; keep only one"
        )
    return found[0]


def read_yaml_mapping(path: Path, root: Path) -> dict[str, Any]:
    """Parse one bundle file; errors name the file (relative to the bundle) and line."""
    shown = display_path(path, root)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BundleError(f"Cannot read bundle file {shown}: {exc}") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, problem = describe_decode_error(raw, exc)
        raise BundleError(f"{shown}:{line}: {problem}; save the file as UTF-8") from exc
    try:
        # The config loader's limits: alias bombs, nesting past its depth and integers too
        # long to print are one located error instead of a hang or a RecursionError.
        data = yaml.load(text, Loader=LimitedSafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{shown}:{mark.line + 1}:{mark.column + 1}" if mark is not None else shown
        problem = getattr(exc, "problem", None) or str(exc)
        raise BundleError(f"YAML syntax error in {where}: {problem}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise BundleError(
            f"{shown} must contain a mapping at the top level, not a {type(data).__name__}"
        )
    return data


def display_path(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def expand_includes(root: Path, root_file: Path, patterns: object) -> list[Path]:
    """Files named by ``include:`` globs: sorted per pattern, each file once, in order."""
    if patterns is None:
        return []
    if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
        raise BundleError(f"'include' in {root_file.name} must be a list of glob patterns")
    files: list[Path] = []
    for pattern in patterns:
        if Path(pattern).is_absolute():
            raise BundleError(f"include pattern {pattern!r} must be relative to the bundle root")
        matches = sorted(p for p in root.glob(pattern) if p.is_file())
        if not matches:
            raise BundleError(
                f"include pattern {pattern!r} in {root_file.name} does not match any files"
            )
        for match in matches:
            if match.resolve() != root_file.resolve() and match not in files:
                files.append(match)
    return files


def merge(base: Any, override: Any) -> Any:
    """The CLI's merge: maps recursively, sequences appended, later scalars win."""
    if override is None:
        return base
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = merge(merged[key], value) if key in merged else value
        return merged
    if isinstance(base, list) and isinstance(override, list):
        return [*base, *override]
    return override


def merge_elements_by_key(elements: list[Any], key_name: str, where: str) -> list[Any]:
    """Fold elements sharing ``key_name`` into the first one, keeping first-seen order."""
    folded: dict[str, Any] = {}
    for index, element in enumerate(elements):
        if not isinstance(element, dict):
            raise BundleError(f"{where}[{index}] must be a mapping")
        key = element.get(key_name)
        if not isinstance(key, str) or not key:
            raise BundleError(f"{where}[{index}] has no '{key_name}'")
        folded[key] = merge(folded[key], element) if key in folded else element
    return list(folded.values())


def merge_job_sequences(jobs: Mapping[str, Any]) -> dict[str, Any]:
    """Apply the keyed merges to every job (so a target can override one task)."""
    result: dict[str, Any] = {}
    for job_key, job in jobs.items():
        if not isinstance(job, dict):
            raise BundleError(f"resources.jobs.{job_key} must be a mapping")
        job = dict(job)
        for sequence_name, key_name in JOB_SEQUENCE_KEYS.items():
            elements = job.get(sequence_name)
            if elements is None:
                continue
            if not isinstance(elements, list):
                raise BundleError(f"resources.jobs.{job_key}.{sequence_name} must be a list")
            job[sequence_name] = merge_elements_by_key(
                elements, key_name, f"resources.jobs.{job_key}.{sequence_name}"
            )
        result[job_key] = job
    return result
