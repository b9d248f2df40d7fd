"""The lifecycle's stages as library calls: what the job tasks (``databricks_mlops.tasks``)
and ``MLOpsWorkflow`` (``databricks_mlops.pipelines``) both run."""
