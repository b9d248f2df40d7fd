"""Exists in the checkout only (excluded from the wheel in pyproject.toml)."""

NOTES = "local"
