"""Read a YAML file into plain data *and* remember the line of every key and value.

pydantic reports errors by field path; this map turns a path back into a line so a
config error can say ``configs/training.yml:14: hyperparameters.max_depth: ...``.

Files come from users, so reading is bounded: bytes that are not UTF-8, alias bombs,
nesting deeper than :data:`MAX_DEPTH` and integers too long to convert are each one
located :class:`ConfigError`, within milliseconds, never a hang or a traceback.
"""

from __future__ import annotations

import sys
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


# Limits on what one config document may expand to. A hand-written config has a few
# hundred values and a nesting of under ten; these leave ample room and still stop the
# hostile inputs (alias bombs, nesting thousands deep) long before they cost a second or
# reach Python's recursion limit (each level costs the composer and the checks after it
# a few stack frames).
MAX_DEPTH = 100
MAX_VALUES = 100_000


class YamlLimitError(yaml.MarkedYAMLError):
    """A document past one of the loader's limits (marked: it has a line)."""


class LimitedSafeLoader(yaml.SafeLoader):
    """PyYAML's SafeLoader with limits, enforced in the composer's own hook.

    PyYAML has no alias or depth limit: an alias is the anchored node itself, so the
    composed graph stays small while everything that walks it as a tree (substitution,
    line recording, pydantic) expands it exponentially ("billion laughs"), and nesting
    thousands deep exhausts the recursion of the composer. ``compose_node`` here keeps,
    per composed node, the number of values and the depth it expands to, and stops with
    a marked error past :data:`MAX_VALUES` or :data:`MAX_DEPTH`. Integers too long for
    Python to print (``sys.get_int_max_str_digits``) get a marked error too.

    Usable wherever ``yaml.safe_load`` is: ``yaml.load(text, Loader=LimitedSafeLoader)``.
    """

    def __init__(self, stream: str | bytes) -> None:
        super().__init__(stream)
        self._depth = 0
        self._uses_aliases = False
        # node -> (values it expands to, its depth once expanded); nodes hash by identity.
        self._extent: dict[yaml.Node, tuple[int, int]] = {}

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            alias, mark = self._next_event()
            node = self._compose(parent, index)
            self._uses_aliases = True
            extent = self._extent.get(node)
            if extent is None:  # the anchor is still being composed: it contains itself
                raise YamlLimitError(
                    None,
                    None,
                    f"alias *{alias} refers to a collection that contains it",
                    mark,
                )
            self._check_depth(self._depth + extent[1], mark)
            return node
        self._check_depth(self._depth + 1, self._next_event()[1])
        self._depth += 1
        try:
            node = self._compose(parent, index)
        finally:
            self._depth -= 1
        self._extent[node] = extent = self._measure(node)
        if extent[0] > MAX_VALUES:
            why = (
                " (aliases repeat their anchor's contents: an alias bomb?)"
                if self._uses_aliases
                else ""
            )
            raise YamlLimitError(
                None,
                None,
                f"this document expands to more than {MAX_VALUES} values{why}",
                node.start_mark,
            )
        return node

    def _next_event(self) -> tuple[str | None, yaml.error.Mark | None]:
        """The next event's anchor (an alias's name) and where it starts."""
        event = self.peek_event()  # type: ignore[no-untyped-call]  # untyped in the stubs
        return getattr(event, "anchor", None), event.start_mark

    def _compose(self, parent: yaml.Node | None, index: object) -> yaml.Node:
        node = super().compose_node(parent, index)  # type: ignore[arg-type]
        # None only marks the end of a stream, which compose_node is never called at.
        assert node is not None
        return node

    def _measure(self, node: yaml.Node) -> tuple[int, int]:
        if isinstance(node, yaml.SequenceNode):
            parts = [self._extent[item] for item in node.value]
        elif isinstance(node, yaml.MappingNode):
            parts = [self._extent[n] for pair in node.value for n in pair]
        else:
            return 1, 1
        return 1 + sum(p[0] for p in parts), 1 + max((p[1] for p in parts), default=0)

    @staticmethod
    def _check_depth(depth: int, mark: yaml.error.Mark | None) -> None:
        if depth > MAX_DEPTH:
            raise YamlLimitError(None, None, f"nesting deeper than {MAX_DEPTH} levels", mark)

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        limit = sys.get_int_max_str_digits()  # 0: no limit
        try:
            value = super().construct_yaml_int(node)
        except ValueError as exc:
            raise _integer_too_large(node, limit) from exc
        # Hexadecimal, binary and base-60 (1:30:00) integers are built without a decimal
        # conversion, so a long one would fail later, wherever it is first printed.
        if limit and abs(value) >= 10**limit:
            raise _integer_too_large(node, limit)
        return value


def _integer_too_large(node: yaml.ScalarNode, limit: int) -> YamlLimitError:
    return YamlLimitError(
        None,
        None,
        f"integer too large: written with {len(str(node.value))} characters, it has more than "
        f"{limit} decimal digits; quote it if it is meant as text",
        node.start_mark,
    )


LimitedSafeLoader.add_constructor("tag:yaml.org,2002:int", LimitedSafeLoader.construct_yaml_int)


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
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: config file not found") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc}") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, problem = describe_decode_error(raw, exc)
        raise ConfigError(f"{path}:{line}: {problem}; save the file as UTF-8") from exc
    try:
        node, data = _load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        what = "" if isinstance(exc, YamlLimitError) else "invalid YAML: "
        raise ConfigError(f"{path}:{line}: {what}{exc.problem or exc}") from exc
    except yaml.reader.ReaderError as exc:  # a control character: unmarked, so locate it
        line = text.count("\n", 0, exc.position) + 1
        code = exc.character if isinstance(exc.character, int) else ord(exc.character[:1] or " ")
        raise ConfigError(
            f"{path}:{line}: invalid YAML: control character U+{code:04X} is not allowed "
            "in YAML text"
        ) from exc
    source = YamlSource(path=path, data=data)
    if node is not None:
        _record_lines(node, (), source.lines)
    return source


def _load(text: str) -> tuple[yaml.Node | None, Any]:
    loader = LimitedSafeLoader(text)
    try:
        node = loader.get_single_node()
        return node, (loader.construct_document(node) if node is not None else None)
    finally:
        loader.dispose()


def describe_decode_error(raw: bytes, exc: UnicodeDecodeError) -> tuple[int, str]:
    """``(line, "file is not UTF-8 text (invalid byte 0xe9 at line 3, column 17)")``."""
    line = raw.count(b"\n", 0, exc.start) + 1
    column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
    byte = raw[exc.start]
    return line, (
        f"file is not UTF-8 text (invalid byte 0x{byte:02x} at line {line}, column {column})"
    )


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
