"""The whole lifecycle in one call (the documented Quick Start): ``MLOpsWorkflow(...).run()``."""

from databricks_mlops.pipelines.workflow import (
    MLOpsWorkflow,
    StageResult,
    WorkflowError,
    WorkflowResult,
)

__all__ = ["MLOpsWorkflow", "StageResult", "WorkflowError", "WorkflowResult"]
