"""Entry points of the bundle's ``python_wheel_task``s (``[project.scripts]``): Databricks, and
``databricks-mlops run JOB`` locally, call each with the task's named parameters as ``--name=value``."""
