"""Typed configuration schemas (pydantic v2). Imports neither Spark nor MLflow."""
