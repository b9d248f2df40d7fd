"""Bundle variables: which value each one takes, with the Databricks CLI's precedence.

``--var name=value`` beats ``BUNDLE_VAR_<name>``, which beats the target's value, which
beats the declared default. A variable with no value from any source is an error; a
``lookup:`` variable (resolved by the CLI against the workspace) becomes
:class:`Unresolvable` and fails only if something actually references it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from databricks_mlops.errors import BundleError, did_you_mean
from databricks_mlops.runner.interpolation import Unresolvable

ENV_PREFIX = "BUNDLE_VAR_"
_DEFINITION_KEYS = {"default", "description", "type", "lookup"}


def _declarations(raw: object) -> dict[str, dict[str, Any]]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise BundleError("'variables' must be a mapping of variable name to definition")
    declared: dict[str, dict[str, Any]] = {}
    for name, definition in raw.items():
        if definition is None:
            definition = {}
        if not isinstance(definition, dict) or not set(definition) <= _DEFINITION_KEYS:
            raise BundleError(
                f"variable '{name}' must be a mapping with any of "
                f"{', '.join(sorted(_DEFINITION_KEYS))}; got {definition!r}"
            )
        declared[str(name)] = definition
    return declared


def _target_value(name: str, value: Any, target: str) -> dict[str, Any]:
    """A target may give a bare value, or ``{default: ...}`` / ``{lookup: ...}``."""
    is_definition = isinstance(value, dict) and value and set(value) <= _DEFINITION_KEYS
    if is_definition and ("default" in value or "lookup" in value):
        return {k: v for k, v in value.items() if k in ("default", "lookup")}
    if value is None:
        raise BundleError(f"targets.{target}.variables.{name} has no value")
    return {"default": value}


def _lookup_placeholder(name: str, lookup: object) -> Unresolvable:
    described = (
        ", ".join(f"{k} {v!r}" for k, v in lookup.items())
        if isinstance(lookup, dict)
        else repr(lookup)
    )
    return Unresolvable(
        f"variable '{name}' is a lookup ({described}) that only a Databricks workspace can "
        f"resolve; give it a value locally with --var {name}=<value> or {ENV_PREFIX}{name}"
    )


def resolve_variables(
    raw_declarations: object,
    target_values: object,
    target: str,
    cli_values: Mapping[str, str],
    environ: Mapping[str, str],
) -> dict[str, dict[str, Any]]:
    """The ``variables`` section with each variable's chosen ``value`` filled in."""
    declared = _declarations(raw_declarations)
    if target_values is not None and not isinstance(target_values, dict):
        raise BundleError(f"targets.{target}.variables must be a mapping of name to value")
    per_target = target_values or {}

    for name in cli_values:
        if name not in declared:
            raise BundleError(
                f"--var {name}=...: variable '{name}' is not declared under 'variables'"
                + did_you_mean(name, declared)
            )
    for name in per_target:
        if name not in declared:
            raise BundleError(
                f"targets.{target}.variables sets '{name}', which is not declared under "
                "'variables'" + did_you_mean(str(name), declared)
            )

    section: dict[str, dict[str, Any]] = {}
    for name, definition in declared.items():
        overridden = _target_value(name, per_target[name], target) if name in per_target else {}
        value: Any
        if name in cli_values:
            value = cli_values[name]
        elif ENV_PREFIX + name in environ:
            value = environ[ENV_PREFIX + name]
        elif "default" in overridden:
            value = overridden["default"]
        elif "lookup" in overridden:
            value = _lookup_placeholder(name, overridden["lookup"])
        elif "default" in definition:
            value = definition["default"]
        elif "lookup" in definition:
            value = _lookup_placeholder(name, definition["lookup"])
        else:
            raise BundleError(
                f"no value assigned to required variable '{name}' (target '{target}'); "
                f"pass --var {name}=<value>, set {ENV_PREFIX}{name}, give it a 'default', "
                f"or set it under targets.{target}.variables"
            )
        section[name] = {**definition, "value": value}
    return section
