"""``${VAR}`` and ``${VAR:-default}`` substitution for configuration values.

Kept free of YAML and pydantic so Python-constructed configs (``token="${DATABRICKS_TOKEN}"``)
and YAML files resolve variables the same way.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

# ${NAME} or ${NAME:-default}; `$${` escapes a literal `${`.
_VARIABLE = re.compile(r"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_.]*)(?::-([^}]*))?\}")


class UnsetVariableError(KeyError):
    """A ``${VAR}`` without default names a variable that has no value."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name

    def __str__(self) -> str:
        return (
            f"environment variable ${{{self.name}}} is not set and has no default "
            f"(set it, or write ${{{self.name}:-default}})"
        )


def substitute(
    text: str,
    variables: Mapping[str, str] | None = None,
    fallbacks: Mapping[str, str] | None = None,
) -> str:
    """Replace every ``${VAR}`` / ``${VAR:-default}`` in ``text``.

    Lookup order: ``variables`` (explicit values, e.g. a task's ``--catalog``), then the
    process environment, then ``fallbacks`` (the config's own ``environment_vars``, so the
    environment can override them), then the inline default.
    """
    scope = variables or {}
    below_env = fallbacks or {}

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$${":
            return "${"
        name, default = match.group(1), match.group(2)
        if name in scope:
            return scope[name]
        if name in os.environ:
            return os.environ[name]
        if name in below_env:
            return below_env[name]
        if default is not None:
            return default
        raise UnsetVariableError(name)

    return _VARIABLE.sub(replace, text)


def has_variables(text: str) -> bool:
    return _VARIABLE.search(text) is not None
