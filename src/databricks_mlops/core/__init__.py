"""Moved to :mod:`databricks_mlops.ingestion` (source -> steps -> Delta); this old path, the
documented API's (``databricks_mlops.core.pipeline.DataPipeline``), stays importable: the
same modules and classes."""

from databricks_mlops.ingestion import *  # noqa: F403
from databricks_mlops.moved import keep_old_path

keep_old_path(__name__, "databricks_mlops.ingestion")
