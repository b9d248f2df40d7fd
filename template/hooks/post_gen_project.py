"""Remove what the answers did not choose, so no dead file or empty folder is left behind.

Cookiecutter renders this file with the answers and runs it inside the new project.
"""

from __future__ import annotations

import shutil
from pathlib import Path

PACKAGE = "{{ cookiecutter.package_name }}"
CHOSEN = {
    "feature_table": "{{ cookiecutter.include_feature_table }}" == "yes",
    "serving": "{{ cookiecutter.include_serving_endpoint }}" == "yes",
    "monitoring": "{{ cookiecutter.include_monitoring }}" == "yes",
    "github_actions": "{{ cookiecutter.ci }}" == "github_actions",
}

# Paths (relative to the project) that exist only for one option.
OPTIONAL = {
    "feature_table": [
        "resources/feature_engineering.job.yml",
        "configs/features.yml",
        f"src/{PACKAGE}/features.py",
        f"src/{PACKAGE}/stages/feature_engineering.py",
        "tests/test_features.py",
    ],
    "serving": [],
    "monitoring": [
        "resources/model_monitoring.job.yml",
        "configs/monitoring.yml",
        f"src/{PACKAGE}/stages/monitoring.py",
        "notebooks/drift_gate.py",
    ],
    "github_actions": [".github"],
}


def remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


def main() -> None:
    project = Path.cwd()
    for option, paths in OPTIONAL.items():
        if not CHOSEN[option]:
            for relative in paths:
                remove(project / relative)
    # Jinja conditionals can leave a file with nothing but whitespace: never ship one.
    for path in sorted(project.rglob("*"), reverse=True):
        if path.is_file() and not path.read_bytes().strip():
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()


if __name__ == "__main__":
    main()
