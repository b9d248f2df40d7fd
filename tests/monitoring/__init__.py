"""Tests for databricks_mlops.monitoring."""
