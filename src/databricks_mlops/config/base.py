"""The one base every config model derives from: strict, aliased, loadable from YAML."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum, StrEnum
from pathlib import Path
from typing import Annotated, Any, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, SecretStr, ValidationInfo

from databricks_mlops.config.substitution import UnsetVariableError, substitute

# Validation context key the YAML loader sets once it has substituted ${...} itself.
SUBSTITUTED = "variables_substituted"


class StrictModel(BaseModel):
    """Unknown keys are errors; fields may be given by name or by any of their aliases.

    A ``ValidationError``'s text leaves input values out: a config built in Python can hold
    a token, password or webhook URL, and pydantic would echo it as ``input_value=...``
    (only the outermost model's setting counts, so every config has it). Errors of YAML
    files are worded by ``models.loading``, which shows non-secret values itself."""

    model_config = ConfigDict(
        hide_input_in_errors=True,
        extra="forbid",
        validate_by_name=True,
        validate_by_alias=True,
        validate_assignment=True,
        str_strip_whitespace=True,
    )

    @classmethod
    def from_yaml(cls, path: str | Path, variables: Mapping[str, str] | None = None) -> Self:
        """Load ``path``; ``${VAR}`` / ``${VAR:-default}`` come from ``variables``, the
        environment, then the file's own ``environment_vars``."""
        from databricks_mlops.config.loading import load_config

        return load_config(cls, path, variables)


class CaseInsensitiveEnum(StrEnum):
    """String enum that also accepts ``"ERROR"`` for ``"error"`` (YAML users write both)."""

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if isinstance(value, str):
            for member in cls:
                if member.value == value.lower():
                    return member
        return None


def _expand_variables(value: Any, info: ValidationInfo) -> Any:
    # A YAML file was substituted already (by the loader, with the file's own variables);
    # doing it twice would turn an escaped `$${literal}` into a lookup of `literal`.
    if isinstance(info.context, dict) and info.context.get(SUBSTITUTED):
        return value
    if isinstance(value, str):
        try:
            return substitute(value)
        except UnsetVariableError as exc:
            raise ValueError(str(exc)) from None
    if isinstance(value, SecretStr):
        return _expand_variables(value.get_secret_value(), info)
    return value


# A secret that may be written as "${DATABRICKS_TOKEN}" in Python code as well as YAML.
EnvSecret = Annotated[SecretStr, BeforeValidator(_expand_variables)]
# A plain string with the same substitution (hosts, URLs).
EnvStr = Annotated[str, BeforeValidator(_expand_variables)]


def as_list(value: Any) -> Any:
    """Let a single value stand for a one-element list (``method: ks_test``)."""
    return [value] if isinstance(value, str | Enum) else value
