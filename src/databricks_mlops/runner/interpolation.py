"""``${...}`` references in a merged bundle, resolved the way the Databricks CLI does.

Every reference is a path into the bundle tree (``${bundle.name}``,
``${workspace.current_user.userName}``, ``${resources.jobs.train.name}``), with two
shorthands: ``${var.x}`` is ``${variables.x.value}``, and ``${resources.<type>.<key>.id}``
is a local stand-in (``local-job:<key>``) because nothing is deployed. A string that is
exactly one reference takes the referenced value whole (so a complex variable stays a
map); a reference inside a longer string is formatted as text. Databricks' run-time
``{{...}}`` references are a different syntax and are left alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from databricks_mlops.config.yaml_source import dotted_path
from databricks_mlops.errors import BundleError, did_you_mean

# The CLI's reference pattern: dotted keys of letters/digits joined by - or _, with [n].
_KEY = r"[a-zA-Z]+(?:[-_]?[a-zA-Z0-9]+)*"
REFERENCE = re.compile(r"\$\{(" + _KEY + r"(?:\[[0-9]+\])*(?:\." + _KEY + r"(?:\[[0-9]+\])*)*)\}")
_SEGMENT = re.compile(r"(" + _KEY + r")|\[([0-9]+)\]")

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Unresolvable:
    """A value that exists only in the workspace (a ``lookup:`` variable)."""

    reason: str


def parse_reference(reference: str) -> Path:
    parts: list[str | int] = []
    for match in _SEGMENT.finditer(reference):
        parts.append(match.group(1) if match.group(1) else int(match.group(2)))
    if parts[:1] == ["var"] and len(parts) >= 2:
        # ${var.x.field} reaches into a complex variable's value.
        return ("variables", parts[1], "value", *parts[2:])
    return tuple(parts)


def contains_reference(value: str) -> bool:
    return REFERENCE.search(value) is not None


class ReferenceResolver:
    """Resolves every ``${...}`` in a bundle tree, following references depth first.

    ``locate`` maps a tree path to the file it came from, for error messages.
    """

    def __init__(self, tree: dict[str, Any], locate: Callable[[Path], str | None]) -> None:
        self._tree = tree
        self._locate = locate
        self._resolved: dict[Path, Any] = {}
        self._in_progress: list[Path] = []

    def resolve(self, path: Path = ()) -> Any:
        """The fully resolved value at ``path`` (the whole tree by default)."""
        if path in self._resolved:
            return self._resolved[path]
        if path in self._in_progress:
            cycle = [*self._in_progress[self._in_progress.index(path) :], path]
            raise BundleError(
                "Cycle in bundle references: " + " -> ".join(dotted_path(p) for p in cycle)
            )
        self._in_progress.append(path)
        try:
            value = self._resolve_value(self._raw(path), path)
        finally:
            self._in_progress.pop()
        self._resolved[path] = value
        return value

    def _raw(self, path: Path) -> Any:
        node: Any = self._tree
        for part in path:
            node = node[part]
        return node

    def _resolve_value(self, value: Any, path: Path) -> Any:
        if isinstance(value, dict):
            return {key: self.resolve((*path, key)) for key in value}
        if isinstance(value, list):
            return [self.resolve((*path, index)) for index in range(len(value))]
        if isinstance(value, str):
            return self._resolve_string(value, path)
        return value

    def _resolve_string(self, text: str, path: Path) -> Any:
        whole = REFERENCE.fullmatch(text)
        if whole and not self._is_foreign(whole.group(1)):
            return self._follow(whole.group(1), path)

        def substitute(match: re.Match[str]) -> str:
            if self._is_foreign(match.group(1)):
                return match.group(0)
            return self._as_text(self._follow(match.group(1), path), match.group(0), path)

        return REFERENCE.sub(substitute, text)

    def _is_foreign(self, reference: str) -> bool:
        """``${NAME}`` with no dot and no bundle meaning is an environment placeholder.

        Configs use ``${DATABRICKS_TOKEN}``-style placeholders that are substituted later,
        at run time, so they pass through untouched. Dotted references always belong
        to the bundle and must resolve.
        """
        return "." not in reference and "[" not in reference and reference not in self._tree

    def _as_text(self, value: Any, reference: str, path: Path) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if value is None:
            return ""
        if isinstance(value, dict | list):
            raise BundleError(
                f"{reference} in {self._where(path)} is a {type(value).__name__}; a map or "
                "list can only be used as a whole value, not inside a longer string"
            )
        return str(value)

    def _follow(self, reference: str, origin: Path) -> Any:
        target = parse_reference(reference)
        local_id = self._local_resource_id(target)
        if local_id is not None:
            return local_id
        self._check_exists(target, reference, origin)
        value = self.resolve(target)
        if isinstance(value, Unresolvable):
            raise BundleError(f"${{{reference}}} in {self._where(origin)}: {value.reason}")
        return value

    def _local_resource_id(self, target: Path) -> str | None:
        if len(target) != 4 or target[0] != "resources" or target[3] != "id":
            return None
        kind, key = target[1], target[2]
        resources = self._tree.get("resources") or {}
        group = resources.get(kind) if isinstance(kind, str) else None
        if not isinstance(group, dict) or key not in group:
            return None  # let _check_exists explain what is missing
        if isinstance(group[key], dict) and "id" in group[key]:
            return None  # an explicit id wins
        singular = str(kind).removesuffix("s")
        return f"local-{singular}:{key}"

    def _check_exists(self, target: Path, reference: str, origin: Path) -> None:
        node: Any = self._tree
        for depth, part in enumerate(target):
            if isinstance(node, dict) and part in node:
                node = node[part]
                continue
            if isinstance(node, list) and isinstance(part, int) and part < len(node):
                node = node[part]
                continue
            raise BundleError(
                f"Unknown reference ${{{reference}}} in {self._where(origin)}: "
                + self._explain_missing(target, depth, node)
            )

    @staticmethod
    def _explain_missing(target: Path, depth: int, node: Any) -> str:
        part = target[depth]
        if target[0] == "variables" and depth == 1:
            names = list(node) if isinstance(node, dict) else []
            return f"variable '{part}' is not declared under 'variables'" + did_you_mean(
                str(part), names
            )
        parent = dotted_path(target[:depth]) or "the bundle"
        if isinstance(node, dict):
            keys = [str(k) for k in node]
            return f"{parent} has no '{part}'" + did_you_mean(str(part), keys)
        if isinstance(node, list):
            return f"{parent} has {len(node)} element(s), no [{part}]"
        return f"{parent} is a value, it has no '{part}'"

    def _where(self, path: Path) -> str:
        shown = dotted_path(path) or "the bundle"
        source = self._locate(path)
        return f"{shown} ({source})" if source else shown
