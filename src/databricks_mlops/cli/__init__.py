"""The ``databricks-mlops`` command line."""
