"""``path_segment``: the one way a name becomes a file or directory name, and its callers."""

from __future__ import annotations

from pathlib import Path

import pytest

from databricks_mlops.runner.job_lock import job_run_slot, lock_directory
from databricks_mlops.runtime import Runtime
from databricks_mlops.runtime.locations import path_segment


@pytest.mark.parametrize(
    ("name", "segment"),
    [
        ("main.churn.model", "main.churn.model"),  # dots stay: the names read as before
        ("churn_model-v2", "churn_model-v2"),
        ("../x", ".._x"),  # the slash goes, so it cannot climb out of its folder
        ("a/b", "a_b"),
        ("a\\b", "a_b"),
        ("/Volumes/c/s/v/t", "_Volumes_c_s_v_t"),
        ("dbfs:/mlops/x", "dbfs__mlops_x"),
        ("two  spaces", "two__spaces"),  # one for one: no collapsing, fewer collisions
        ("tab\tand\nnewline", "tab_and_newline"),
        ("café", "caf_"),  # ASCII only: macOS and Linux normalise accents differently
        ("模型", "__"),
        ("", "_"),  # an empty segment would name the parent folder itself
        (".", "_"),
        ("..", "__"),
        ("...", "___"),
        (".hidden", ".hidden"),
    ],
)
def test_path_segment_is_one_safe_name(name: str, segment: str) -> None:
    assert path_segment(name) == segment
    assert Path(path_segment(name)).name == path_segment(name)


def test_experiment_artifacts_use_the_shared_segment(runtime: Runtime) -> None:
    location = runtime.artifact_location("/Users/me@x.com/churn.v2")
    assert location is not None
    # Before: a set of its own that also replaced the dots ("_Users_me_x_com_churn_v2").
    assert location.endswith("/mlartifacts/_Users_me_x.com_churn.v2")


def test_job_lock_files_use_the_shared_segment(tmp_path: Path) -> None:
    with job_run_slot(tmp_path, "my  bundle", "dev", "..", 1, "run-1"):
        names = sorted(path.name for path in lock_directory(tmp_path).iterdir())
    # Before: runs collapsed and ".." kept ("my_bundle.dev....0.lock").
    assert names == ["my__bundle.dev.__.0.lock"]
