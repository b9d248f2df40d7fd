"""The documented import path of ``WorkspaceConfig`` (defined in ``models.workspace``)."""

from databricks_mlops.config.workspace import WorkspaceConfig

__all__ = ["WorkspaceConfig"]
