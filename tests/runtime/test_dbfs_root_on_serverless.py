"""Serverless compute has no /dbfs mount of the DBFS root: file I/O there is refused, locally
too when the runtime emulates serverless (MLOPS_SPARK_CONNECT=1)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from databricks_mlops.errors import ConfigError
from databricks_mlops.runtime import Runtime
from databricks_mlops.runtime.environment import Environment
from databricks_mlops.runtime.locations import volume_root_of

REPO = Path(__file__).resolve().parents[2]


def _local(home: Path) -> Runtime:
    return Runtime(Environment("local", "test"), home)


def test_a_dbfs_root_path_is_refused_under_serverless_semantics_locally(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLOPS_SPARK_CONNECT", "1")
    with pytest.raises(ConfigError, match=r"dbfs:/mlops/alerts is on the DBFS root.*/Volumes/"):
        _local(tmp_path).file_path("dbfs:/mlops/alerts")


def test_classic_local_compute_still_maps_the_dbfs_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MLOPS_SPARK_CONNECT", raising=False)
    assert _local(tmp_path).file_path("dbfs:/mlops/alerts") == str(tmp_path / "dbfs/mlops/alerts")


def test_a_volume_path_written_through_dbfs_is_the_volume(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLOPS_SPARK_CONNECT", "1")
    mapped = _local(tmp_path).file_path("dbfs:/Volumes/main/s/raw/reports")
    assert mapped == str(tmp_path / "volumes/main/s/raw/reports")


@pytest.mark.parametrize(
    ("runtime_version", "refused"), [("client.4.9", True), ("17.3", False), ("16.4", False)]
)
def test_on_databricks_only_serverless_refuses_the_dbfs_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runtime_version: str, refused: bool
) -> None:
    monkeypatch.setenv("DATABRICKS_RUNTIME_VERSION", runtime_version)
    runtime = Runtime(Environment("databricks", "test"), tmp_path)
    if refused:
        with pytest.raises(ConfigError, match="serverless compute cannot open"):
            runtime.file_path("dbfs:/mlops/reports")
    else:
        assert runtime.file_path("dbfs:/mlops/reports") == "/dbfs/mlops/reports"
    assert runtime.file_path("/Volumes/main/s/v/r") == "/Volumes/main/s/v/r"


_REPORT_DIR = re.compile(r"^\s*(?:report_dir|alert_state_dir):\s*\"?([^\"\n]+)", re.MULTILINE)


@pytest.mark.parametrize(
    "configs",
    [REPO / "configs", REPO / "template" / "{{cookiecutter.project_slug}}" / "configs"],
    ids=["root", "template"],
)
def test_the_bundles_keep_reports_in_the_targets_volume(configs: Path) -> None:
    # Line-wise: the template's configs are Jinja, not YAML yet.
    dirs = [
        d for file in sorted(configs.glob("*.yml")) for d in _REPORT_DIR.findall(file.read_text())
    ]
    assert len(dirs) >= 3  # validation's report_dir, monitoring's report_dir and alert state
    assert all(d.startswith("/Volumes/${catalog}/${schema}/") for d in dirs), dirs


@pytest.mark.parametrize(
    ("source", "report_dir", "expected"),
    [
        (
            "/Volumes/main/churn/raw/in/customers.csv",
            None,
            "/Volumes/main/churn/raw/reports/validation",
        ),
        (
            "dbfs:/Volumes/main/churn/raw/customers.csv",
            None,
            "/Volumes/main/churn/raw/reports/validation",
        ),
        ("main.churn.bronze", None, "dbfs:/mlops/validation"),
        (
            "/Volumes/main/churn/raw/x.csv",
            "/Volumes/main/churn/qa/runs",
            "/Volumes/main/churn/qa/runs",
        ),
    ],
)
def test_validation_reports_default_to_the_source_volume(
    source: str, report_dir: str | None, expected: str
) -> None:
    """A data config that names no report_dir still runs on serverless when its source is in
    a volume (the template's and the root bundle's are): the reports go beside it."""
    from databricks_mlops.config.data import DataConfig
    from databricks_mlops.validation.validation_run import default_report_dir

    config = DataConfig.model_validate(
        {
            "source_path": source,
            "destination_path": "main.churn.customers",
            "validation": {"report_dir": report_dir},
        }
    )
    assert default_report_dir(config) == expected
    assert volume_root_of("/Volumes/main/churn") is None  # not inside a volume
