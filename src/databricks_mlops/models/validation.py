"""Data quality rules (the expression language itself lives in its own module)."""

from __future__ import annotations

from pydantic import Field

from databricks_mlops.models.base import CaseInsensitiveEnum, StrictModel


class Severity(CaseInsensitiveEnum):
    """ERROR fails the validate task; WARNING and INFO are reported only."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class ValidationRule(StrictModel):
    name: str = Field(min_length=1, description="Unique name of the rule, used in reports.")
    condition: str = Field(
        min_length=1,
        description="Expression every row must satisfy, e.g. `age >= 18 or guardian_email is not null`.",
    )
    severity: Severity = Field(Severity.ERROR, description="error fails the run; warning reports.")
    description: str = Field("", description="What the rule protects, for people reading reports.")
