"""The documented import path for the validator."""

from databricks_mlops.validation.results import RuleResult, ValidationResult
from databricks_mlops.validation.validator import DataValidator

__all__ = ["DataValidator", "RuleResult", "ValidationResult"]
