"""databricks-mlops: an MLOps framework and project template for Databricks.

"The documented API", wherever a docstring says it, is the public contract of the original
product description, shown in the README and ``examples/``: its import paths
(``databricks_mlops.config.kinds``, ``databricks_mlops.utils.data_validation``,
``databricks_mlops.model_serving``, ...), class names and YAML config fields. Every release
keeps them working; modules that move leave their old path behind (``moved.keep_old_path``).
"""
