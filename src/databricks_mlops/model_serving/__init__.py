"""Moved to :mod:`databricks_mlops.serving_client` (the HTTP client of served models);
this old path, the documented API's, stays importable: the same modules and classes."""

from databricks_mlops.moved import keep_old_path
from databricks_mlops.serving_client import *  # noqa: F403
from databricks_mlops.serving_client import __all__ as __all__

keep_old_path(__name__, "databricks_mlops.serving_client")
