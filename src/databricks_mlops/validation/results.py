"""What a validation run found: one result per rule, and the verdict."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

from databricks_mlops.config.validation import Severity

if TYPE_CHECKING:
    from databricks_mlops.validation.rules import PreparedRule

RuleOutcome = Literal["passed", "failed", "quarantined"]


def rule_outcome(*, failed: int, quarantined: bool = False) -> RuleOutcome:
    """The one place a rule's outcome is decided from its count of failing rows.

    ``quarantined`` is true only when the caller moves those rows out of the data in the
    same run (``validation.run`` does, for ``quarantine: true`` rules); a rule whose rows
    are held back does not fail the run. An engine on its own says "failed"."""
    if failed == 0:
        return "passed"
    return "quarantined" if quarantined else "failed"


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
        quarantine: bool = False,
    ) -> RuleResult:
        """A rule's result from its counts. With ``quarantine`` (the caller holds back the
        failing rows of ``quarantine: true`` rules) such a rule reports "quarantined"."""
        return cls(
            name=rule.rule.name,
            severity=rule.rule.severity,
            condition=rule.rule.condition,
            dataset_level=rule.dataset_level,
            failed_count=failed,
            total_count=total,
            outcome=rule_outcome(failed=failed, quarantined=quarantine and rule.rule.quarantine),
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
