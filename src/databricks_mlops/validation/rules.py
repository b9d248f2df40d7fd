"""Rules checked against the data's schema before any Spark job runs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from databricks_mlops.config.validation import ValidationRule
from databricks_mlops.errors import ConfigError, ExpressionError
from databricks_mlops.expressions import CompiledRule, ExprType, compile_rule


@dataclass(frozen=True)
class PreparedRule:
    rule: ValidationRule
    compiled: CompiledRule

    @property
    def dataset_level(self) -> bool:
        return self.compiled.dataset_level


def prepare_rules(
    rules: Sequence[ValidationRule], schema: Mapping[str, ExprType]
) -> list[PreparedRule]:
    """Parse and type-check every rule; the first bad one is an error naming the rule."""
    prepared: list[PreparedRule] = []
    for rule in rules:
        try:
            compiled = compile_rule(rule.condition, schema)
        except ExpressionError as exc:
            raise ExpressionError(
                f"rule {rule.name!r}: {exc.message}", exc.expression, exc.start, exc.end
            ) from None
        if rule.quarantine and compiled.dataset_level:
            raise ConfigError(
                f"rule {rule.name!r}: quarantine moves failing rows, so it needs a row-level "
                f"rule; {rule.condition!r} checks the whole dataset"
            )
        prepared.append(PreparedRule(rule, compiled))
    return prepared
