"""Entry points of the bundle's ``python_wheel_task``s, declared in ``[project.scripts]``.

Databricks calls each one with the task's ``named_parameters`` as ``--name=value``
arguments; ``databricks-mlops run JOB`` calls them the same way on your machine.
"""
