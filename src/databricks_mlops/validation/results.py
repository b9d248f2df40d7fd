"""What a validation run found: one result per rule, and the verdict."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

from databricks_mlops.models.validation import Severity

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
