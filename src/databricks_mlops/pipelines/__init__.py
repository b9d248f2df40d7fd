"""The whole lifecycle in one call (the seed's Quick Start): ``MLOpsWorkflow(...).run()``."""

from databricks_mlops.pipelines.workflow import (
    MLOpsWorkflow,
    StageResult,
    WorkflowError,
    WorkflowResult,
)

__all__ = ["MLOpsWorkflow", "StageResult", "WorkflowError", "WorkflowResult"]
