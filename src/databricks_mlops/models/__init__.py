"""Moved to :mod:`databricks_mlops.config` (the typed configs); this old path, the documented
API's (``databricks_mlops.models.config``, ``.data``, ``.training``, ...), stays importable:
the same modules and classes. ``models.config`` is ``config.kinds``."""

from databricks_mlops.moved import keep_old_path

keep_old_path(__name__, "databricks_mlops.config", renamed={"config": "kinds"})
