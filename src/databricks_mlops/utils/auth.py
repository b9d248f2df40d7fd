"""The documented import path of ``WorkspaceConfig`` (defined in ``models.workspace``)."""

from databricks_mlops.models.workspace import WorkspaceConfig

__all__ = ["WorkspaceConfig"]
