"""{{ cookiecutter.project_name | replace("\\", "\\\\") | replace('"', '\\"') }}.

{{ cookiecutter.description | replace("\\", "\\\\") | replace('"', '\\"') }}

``stages/`` holds the job tasks' entry points (one small function each: parse the
arguments, load the typed config, call databricks-mlops); ``features.py`` and
``models.py`` hold this project's own feature transforms and model factory.
"""
