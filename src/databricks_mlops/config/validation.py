"""Data quality rules (the expression language itself lives in its own module)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from databricks_mlops.config.base import CaseInsensitiveEnum, StrictModel


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
    quarantine: bool = Field(
        False,
        description="Move failing rows to `<table>_quarantine` instead of failing the rule "
        "(row-level rules only).",
    )


class GxExpectation(StrictModel):
    """A native Great Expectations expectation, by its GX name (used by the GX engine)."""

    type: str = Field(
        pattern=r"^expect_[a-z0-9_]+$",
        description="GX expectation name, e.g. expect_column_values_to_be_between.",
    )
    kwargs: dict[str, Any] = Field(default_factory=dict, description="Its arguments.")
    severity: Severity = Severity.ERROR


class ValidationSettings(StrictModel):
    """How the validate task runs the rules and where it records the results."""

    engine: Literal["spark", "great_expectations"] = Field(
        "spark", description="spark: one-pass native validator; great_expectations: GX 1.x."
    )
    sample_failures: int = Field(5, ge=0, le=1000, description="Failing rows kept per rule.")
    results_table: str | None = Field(
        None,
        description="Delta table of validation runs; default `<catalog>.<schema>.validation_runs`.",
    )
    report_dir: str | None = Field(
        None,
        description="Where the JSON result (and GX Data Docs) go; default `reports/validation` "
        "in the source's Unity Catalog volume, else dbfs:/mlops/validation (classic compute "
        "only: serverless has no DBFS root).",
    )
    expectations: list[GxExpectation] = Field(default_factory=list)
