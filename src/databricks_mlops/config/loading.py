"""Load a config model from YAML: substitute variables, validate, explain errors.

Every error names the file, the line and the field path, one line per problem, e.g.
``configs/training.yml:14: hyperparameters.max_depth: expected int, got 'ten'``.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, SecretStr, ValidationError
from pydantic_core import ErrorDetails

from databricks_mlops.config.base import SUBSTITUTED
from databricks_mlops.config.substitution import UnsetVariableError, substitute
from databricks_mlops.config.yaml_source import Loc, YamlSource, dotted_path, read_yaml
from databricks_mlops.errors import ConfigError, did_you_mean

M = TypeVar("M", bound=BaseModel)

# Problems listed per file: past this the rest are counted, not worded (a list of 90 000
# wrong values would otherwise take seconds to describe and scroll off any terminal).
MAX_PROBLEMS = 20

# pydantic error types -> the short wording users read.
_EXPECTED = {
    "int_parsing": "expected int",
    "int_type": "expected int",
    "int_from_float": "expected int",
    "float_parsing": "expected float",
    "float_type": "expected float",
    "bool_parsing": "expected bool (true/false)",
    "bool_type": "expected bool (true/false)",
    "string_type": "expected str",
    "list_type": "expected a list",
    "dict_type": "expected a mapping",
    "model_type": "expected a mapping",
    "model_attributes_type": "expected a mapping",
}


def load_config(model: type[M], path: str | Path, variables: Mapping[str, str] | None = None) -> M:
    """Read ``path``, substitute ``${VAR}``s, and validate it as ``model``."""
    source = read_yaml(Path(path))
    if not isinstance(source.data, dict):
        raise ConfigError(f"{source.path}:1: expected a mapping of fields at the top level")
    data = _substitute_all(source, dict(variables or {}))
    try:
        return model.model_validate(data, context={SUBSTITUTED: True})
    except ValidationError as exc:
        errors = _without_missing_explained_by_typos(model, data, exc.errors())
        problems = [_describe(model, source, data, error) for error in errors[:MAX_PROBLEMS]]
        if len(errors) > MAX_PROBLEMS:
            problems.append(f"... and {len(errors) - MAX_PROBLEMS} more problems in {source.path}")
        raise ConfigError("\n".join(problems)) from None


def _without_missing_explained_by_typos(
    model: type[BaseModel], data: Any, errors: list[ErrorDetails]
) -> list[ErrorDetails]:
    """``destination_paht`` makes two errors (unknown key, missing field); report one."""
    meant: set[Loc] = set()
    for error in errors:
        if error["type"] == "extra_forbidden":
            loc = _data_loc(error["loc"], data)
            known = _field_names(_annotation_at(model, loc[:-1], data))
            hint = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
            if hint:
                meant.add((*loc[:-1], hint[0]))
    return [
        error
        for error in errors
        if not (error["type"] == "missing" and _data_loc(error["loc"], data) in meant)
    ]


def _substitute_all(source: YamlSource, variables: dict[str, str]) -> Any:
    """Resolve the config's own ``environment_vars`` first, then everything else with them."""
    data = source.data
    own_raw = data.get("environment_vars")
    own: dict[str, str] = {}
    if isinstance(own_raw, dict):
        own = {
            str(k): _substitute_value(v, ("environment_vars", str(k)), source, variables, {})
            for k, v in own_raw.items()
        }
    return _substitute_value(data, (), source, variables, own)


def _substitute_value(
    value: Any, loc: Loc, source: YamlSource, variables: Mapping[str, str], own: Mapping[str, str]
) -> Any:
    if isinstance(value, str):
        try:
            return substitute(value, variables, own)
        except UnsetVariableError as exc:
            line = source.line_of(loc)
            raise ConfigError(f"{source.path}:{line}: {dotted_path(loc)}: {exc}") from None
    if isinstance(value, dict):
        return {
            k: _substitute_value(v, (*loc, str(k)), source, variables, own)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [
            _substitute_value(v, (*loc, i), source, variables, own) for i, v in enumerate(value)
        ]
    return value


def _describe(model: type[BaseModel], source: YamlSource, data: Any, error: ErrorDetails) -> str:
    loc = _data_loc(error["loc"], data)
    kind = error["type"]
    if kind == "extra_forbidden":
        key = str(loc[-1])
        known = _field_names(_annotation_at(model, loc[:-1], data))
        hint = did_you_mean(key, known)
        line = source.line_of(loc, key=True)
        return f"{source.path}:{line}: {dotted_path(loc)}: unknown field{hint}"
    if kind == "union_tag_invalid":
        tag = str(error.get("ctx", {}).get("tag"))
        expected = [
            t.strip(" '") for t in str(error.get("ctx", {}).get("expected_tags")).split(",")
        ]
        return (
            f"{source.path}:{source.line_of((*loc, 'type'))}: {dotted_path(loc)}.type: unknown type "
            f"{tag!r}{did_you_mean(tag, expected)}; expected one of: {', '.join(expected)}"
        )
    if kind == "missing":
        return f"{source.path}:{source.line_of(loc)}: {dotted_path(loc)}: required field is missing"
    message = _EXPECTED.get(kind, error["msg"][0].lower() + error["msg"][1:])
    if kind.startswith("value_error"):
        message = error["msg"].removeprefix("Value error, ")
    shown = ""
    if _annotation_at(model, loc, data) is SecretStr:
        shown = ", got a value (hidden: secret)"
    elif kind in _EXPECTED or kind in ("literal_error", "enum"):
        shown = f", got {_short_repr(error['input'])}"
    return f"{source.path}:{source.line_of(loc)}: {dotted_path(loc) or '(top level)'}: {message}{shown}"


def _data_loc(raw: tuple[str | int, ...], data: Any) -> Loc:
    """Drop the segments pydantic adds for unions (tags, type names) that are not in the data."""
    kept: list[str | int] = []
    node = data
    for position, segment in enumerate(raw):
        last = position == len(raw) - 1
        in_data = (isinstance(node, dict) and segment in node) or (
            isinstance(node, list) and isinstance(segment, int) and 0 <= segment < len(node)
        )
        if in_data:
            kept.append(segment)
            node = _child(node, segment)
        elif last:
            kept.append(segment)
    return tuple(kept)


def _annotation_at(model: type[BaseModel], loc: Loc, data: Any) -> Any:
    """The declared type at ``loc``, following models, lists, dicts and tagged unions."""
    current: Any = model
    node = data
    for segment in loc:
        current = _resolve_union(current, node)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = _field_for(current, str(segment))
            if field is None:
                return None
            current = field
        else:
            origin = typing.get_origin(current)
            args = typing.get_args(current)
            if origin in (list, tuple, set) and args:
                current = args[0]
            elif origin in (dict, Mapping) and len(args) == 2:
                current = args[1]
            else:
                return None
        node = _child(node, segment)
    return _resolve_union(current, node)


def _child(node: Any, segment: str | int) -> Any:
    if isinstance(node, dict):
        return node.get(segment)
    if isinstance(node, list) and isinstance(segment, int) and 0 <= segment < len(node):
        return node[segment]
    return None


def _resolve_union(annotation: Any, node: Any) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) not in (typing.Union, types.UnionType):
        return annotation
    members = [m for m in typing.get_args(annotation) if m is not type(None)]
    members = [
        typing.get_args(m)[0] if typing.get_origin(m) is typing.Annotated else m for m in members
    ]
    models = [m for m in members if isinstance(m, type) and issubclass(m, BaseModel)]
    if isinstance(node, dict) and models:
        tag = node.get("type")
        for candidate in models:
            type_field = candidate.model_fields.get("type")
            if type_field is not None and tag in typing.get_args(type_field.annotation):
                return candidate
        return models[0]
    return members[0] if len(members) == 1 else annotation


def _field_for(model: type[BaseModel], name: str) -> Any:
    for field_name, info in model.model_fields.items():
        if name == field_name or name in _aliases(info):
            return info.annotation
    return None


def _field_names(annotation: Any) -> list[str]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        names: list[str] = []
        for field_name, info in annotation.model_fields.items():
            names.append(field_name)
            names.extend(_aliases(info))
        return names
    return []


def _aliases(info: Any) -> list[str]:
    from pydantic import AliasChoices

    found: list[str] = []
    if isinstance(info.alias, str):
        found.append(info.alias)
    if isinstance(info.validation_alias, str):
        found.append(info.validation_alias)
    elif isinstance(info.validation_alias, AliasChoices):
        found.extend(c for c in info.validation_alias.choices if isinstance(c, str))
    return found


def _short_repr(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
