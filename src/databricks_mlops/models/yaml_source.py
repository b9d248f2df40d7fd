"""Read a YAML file into plain data *and* remember the line of every key and value.

pydantic reports errors by field path; this map turns a path back into a line so a
config error can say ``configs/training.yml:14: hyperparameters.max_depth: ...``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from databricks_mlops.errors import ConfigError

Loc = tuple[str | int, ...]


def dotted_path(loc: Loc) -> str:
    """``("tasks", 0, "name")`` -> ``tasks[0].name``: how a field is named in messages."""
    text = ""
    for segment in loc:
        text += f"[{segment}]" if isinstance(segment, int) else (f".{segment}" if text else segment)
    return text


@dataclass
class YamlSource:
    path: Path
    data: Any
    # path -> (line of the key, line of the value); 1-based
    lines: dict[Loc, tuple[int, int]] = field(default_factory=dict)

    def line_of(self, loc: Loc, *, key: bool = False) -> int:
        """Line of ``loc``; for a path not in the file (a missing field), its nearest parent."""
        candidates: list[Loc] = [loc]
        # A field lifted by a validator (e.g. a flat deployment key moved under `serving`)
        # is found in the file one segment shorter.
        candidates += [loc[:i] + loc[i + 1 :] for i in range(len(loc))]
        for candidate in candidates:
            if candidate in self.lines:
                key_line, value_line = self.lines[candidate]
                return key_line if key else value_line
        for end in range(len(loc) - 1, 0, -1):
            if loc[:end] in self.lines:
                return self.lines[loc[:end]][0]
        return 1


def read_yaml(path: Path) -> YamlSource:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: config file not found") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc}") from exc
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise ConfigError(f"{path}:{line}: invalid YAML: {exc.problem or exc}") from exc
    finally:
        loader.dispose()
    source = YamlSource(path=path, data=data)
    if node is not None:
        _record_lines(node, (), source.lines)
    return source


def _record_lines(node: yaml.Node, loc: Loc, lines: dict[Loc, tuple[int, int]]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *anchor` merges into this map
                merged = (
                    value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                )
                for anchor in merged:
                    _record_lines(anchor, loc, lines)
                continue
            child = (*loc, str(key_node.value))
            lines.setdefault(child, (key_node.start_mark.line + 1, value_node.start_mark.line + 1))
            _record_lines(value_node, child, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            child = (*loc, index)
            lines[child] = (item.start_mark.line + 1, item.start_mark.line + 1)
            _record_lines(item, child, lines)
