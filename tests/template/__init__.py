"""Tests of the cookiecutter project template and `databricks-mlops new` / `update`."""
