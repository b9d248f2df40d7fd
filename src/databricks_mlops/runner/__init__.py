"""The local job runner: run a Databricks Asset Bundle's jobs on this machine.

``load_bundle`` reads ``databricks.yml`` and its includes exactly as the Databricks CLI
would for one target; ``run_job`` runs one of its jobs task by task, each wheel task in
an environment of its own built from what the bundle declares (or all in this process).
"""

from databricks_mlops.runner.bundle import Bundle, load_bundle
from databricks_mlops.runner.executor import run_job
from databricks_mlops.runner.results import JobRunResult, TaskResult, TaskStatus

__all__ = ["Bundle", "JobRunResult", "TaskResult", "TaskStatus", "load_bundle", "run_job"]
