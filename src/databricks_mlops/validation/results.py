"""What a validation run found: one result per rule, and the verdict."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

from databricks_mlops.models.validation import Severity

if TYPE_CHECKING:
    from databricks_mlops.validation.rules import PreparedRule

RuleOutcome = Literal["passed", "failed", "quarantined"]


class RuleResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    severity: Severity
    condition: str
    dataset_level: bool = False
    failed_count: int = Field(description="Rows where the condition is not TRUE (FALSE or NULL).")
    total_count: int
    outcome: RuleOutcome = "passed"
    sample_failures: list[dict[str, Any]] = Field(default_factory=list)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def passed(self) -> bool:
        return self.outcome != "failed"

    @classmethod
    def from_counts(
        cls,
        rule: PreparedRule,
        *,
        failed: int,
        total: int,
        samples: list[dict[str, Any]] | None = None,
    ) -> RuleResult:
        """A rule's result from its counts. "quarantined" is only set once rows were
        actually moved (``validation.run`` does that), so an engine says "failed"."""
        return cls(
            name=rule.rule.name,
            severity=rule.rule.severity,
            condition=rule.rule.condition,
            dataset_level=rule.dataset_level,
            failed_count=failed,
            total_count=total,
            outcome="passed" if failed == 0 else "failed",
            sample_failures=samples or [],
        )

    @property
    def failed_fraction(self) -> float:
        return self.failed_count / self.total_count if self.total_count else 0.0


class ValidationResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    total_rows: int
    rule_results: list[RuleResult]
    engine: Literal["spark", "pandas", "great_expectations"]
    duration_seconds: float = 0.0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def passed(self) -> bool:
        """No rule of severity ERROR failed (warnings and quarantines do not fail a run)."""
        return not any(r.severity is Severity.ERROR for r in self.failures)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def failures(self) -> list[RuleResult]:
        return [r for r in self.rule_results if not r.passed]

    @property
    def errors(self) -> list[RuleResult]:
        return [r for r in self.failures if r.severity is Severity.ERROR]
