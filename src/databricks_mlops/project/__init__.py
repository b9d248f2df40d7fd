"""New projects from the cookiecutter template, and template updates for existing ones.

``generate_project`` renders ``template/`` (the shipped one by default) and writes a
``.cruft.json`` answers file; ``update_project`` uses it to bring a later template version
into the project with a three-way merge, keeping the user's edits.
"""

from databricks_mlops.project.generation import (
    ProjectError,
    default_template,
    generate_project,
    load_answers_file,
)
from databricks_mlops.project.update import ProjectUpdate, update_project

__all__ = [
    "ProjectError",
    "ProjectUpdate",
    "default_template",
    "generate_project",
    "load_answers_file",
    "update_project",
]
