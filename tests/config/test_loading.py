"""Config errors name the file, the line and the field; variables resolve as documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from databricks_mlops.config.kinds import (
    DataConfig,
    DeploymentConfig,
    MonitoringConfig,
    TrainingConfig,
)
from databricks_mlops.errors import ConfigError

TRAINING = """\
model_type: classification
target_column: churn
feature_columns: [tenure, monthly_charges]
experiment_name: churn
registry_model_name: main.churn.model
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_typo_key_names_file_line_and_suggests(tmp_path: Path) -> None:
    path = write(tmp_path, "training.yml", TRAINING + "stratfy: true\n")
    with pytest.raises(ConfigError) as info:
        TrainingConfig.from_yaml(path)
    assert str(info.value) == f"{path}:6: stratfy: unknown field (did you mean 'stratify'?)"


def test_missing_required_field_is_reported_when_no_typo_explains_it(tmp_path: Path) -> None:
    path = write(tmp_path, "data.yml", "source_path: a\n")
    with pytest.raises(
        ConfigError, match=r"data\.yml:1: destination_path: required field is missing$"
    ):
        DataConfig.from_yaml(path)


def test_wrong_type_names_line_field_and_value(tmp_path: Path) -> None:
    path = write(tmp_path, "training.yml", TRAINING + "cross_validation_folds: ten\n")
    with pytest.raises(
        ConfigError, match=r"training\.yml:6: cross_validation_folds: expected int, got 'ten'$"
    ):
        TrainingConfig.from_yaml(path)


def test_typo_inside_a_tagged_union_is_one_clean_line(tmp_path: Path) -> None:
    text = "source_path: a\ndestination_path: b\ntransformation_steps:\n  - type: drop_columns\n    colums: [x]\n"
    path = write(tmp_path, "data.yml", text)
    with pytest.raises(ConfigError) as info:
        DataConfig.from_yaml(path)
    lines = str(info.value).splitlines()
    assert (
        f"{path}:5: transformation_steps[0].colums: unknown field (did you mean 'columns'?)"
        in lines
    )
    # The typo explains the missing `columns`: one problem, one line.
    assert lines == [
        f"{path}:5: transformation_steps[0].colums: unknown field (did you mean 'columns'?)"
    ]


def test_unknown_step_type_suggests_the_closest(tmp_path: Path) -> None:
    text = "source_path: a\ndestination_path: b\ntransformation_steps:\n  - type: drop_column\n"
    path = write(tmp_path, "data.yml", text)
    with pytest.raises(
        ConfigError,
        match=r"data\.yml:4: transformation_steps\[0\]\.type: unknown type 'drop_column' \(did you mean 'drop_columns'\?\)",
    ):
        DataConfig.from_yaml(path)


def test_unset_variable_names_it_with_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_SUCH_VAR", raising=False)
    path = write(tmp_path, "data.yml", "source_path: a\ndestination_path: ${NO_SUCH_VAR}/out\n")
    with pytest.raises(
        ConfigError,
        match=r"data\.yml:2: destination_path: environment variable \$\{NO_SUCH_VAR\} is not set",
    ):
        DataConfig.from_yaml(path)


def test_variable_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = (
        "source_path: ${ROOT}/in\n"
        "destination_path: ${catalog}.${SCHEMA:-fallback}.t\n"
        "environment_vars:\n  ROOT: /from-file\n"
    )
    path = write(tmp_path, "data.yml", text)
    monkeypatch.delenv("ROOT", raising=False)
    monkeypatch.delenv("SCHEMA", raising=False)
    config = DataConfig.from_yaml(path, {"catalog": "main"})
    assert (config.source_path, config.destination_path) == ("/from-file/in", "main.fallback.t")
    # The environment overrides the file's own environment_vars; explicit variables win over both.
    monkeypatch.setenv("ROOT", "/from-env")
    monkeypatch.setenv("catalog", "ignored")
    config = DataConfig.from_yaml(path, {"catalog": "main"})
    assert (config.source_path, config.destination_path) == ("/from-env/in", "main.fallback.t")


def test_escaped_dollar_brace_is_kept_literally(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "data.yml",
        "source_path: a\ndestination_path: b\nread_options: {x: '$${literal}'}\n",
    )
    assert DataConfig.from_yaml(path).read_options == {"x": "${literal}"}


def test_yaml_syntax_error_has_a_line(tmp_path: Path) -> None:
    path = write(tmp_path, "data.yml", "source_path: a\ndestination_path: [b\nformat: csv\n")
    with pytest.raises(ConfigError, match=r"data\.yml:3: invalid YAML"):
        DataConfig.from_yaml(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        DataConfig.from_yaml(tmp_path / "nope.yml")


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r":1: expected a mapping"):
        DataConfig.from_yaml(write(tmp_path, "data.yml", "- a\n- b\n"))


def test_cross_field_rule_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path, "data.yml", "source_path: a\ndestination_path: b\nwrite_mode: merge\n")
    with pytest.raises(ConfigError, match="write_mode 'merge' needs merge_keys"):
        DataConfig.from_yaml(path)


def test_flat_deployment_key_error_points_at_its_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "deployment.yml",
        "model_name: m\nmodel_version: '1'\nmin_replicas: 1\nmax_replicas: two\n",
    )
    with pytest.raises(
        ConfigError, match=r"deployment\.yml:4: max_replicas: expected int, got 'two'"
    ):
        DeploymentConfig.from_yaml(path)


def test_secret_value_never_appears_in_an_error(tmp_path: Path) -> None:
    text = "metrics: [a]\nalerting:\n  notification_channels:\n    - type: slack\n      webhook: [hunter2]\n"
    path = write(tmp_path, "monitoring.yml", text)
    with pytest.raises(ConfigError) as info:
        MonitoringConfig.from_yaml(path)
    assert "hunter2" not in str(info.value)
    assert "monitoring.yml:5: alerting.notification_channels[0].webhook" in str(info.value)


def test_unknown_metric_suggests(tmp_path: Path) -> None:
    path = write(tmp_path, "training.yml", TRAINING + "metrics: [f1score]\n")
    with pytest.raises(
        ConfigError, match=r"unknown classification metric 'f1score' \(did you mean 'f1_score'\?\)"
    ):
        TrainingConfig.from_yaml(path)


def test_anchors_and_merge_keys_keep_line_numbers(tmp_path: Path) -> None:
    text = "base: &b\n  source_path: a\n"  # an unknown top-level key defined with an anchor
    path = write(tmp_path, "data.yml", text + "destination_path: b\nsource_path: a\n")
    with pytest.raises(ConfigError, match=r"data\.yml:1: base: unknown field"):
        DataConfig.from_yaml(path)


def test_escaped_dollar_brace_survives_in_a_secret_field(tmp_path: Path) -> None:
    text = "metrics: [a]\nalerting:\n  notification_channels:\n    - type: webhook\n      url: 'https://x/$${TOKEN}'\n"
    config = MonitoringConfig.from_yaml(write(tmp_path, "monitoring.yml", text))
    assert config.alerting is not None
    channel = config.alerting.notification_channels[0]
    assert channel.url.get_secret_value() == "https://x/${TOKEN}"  # type: ignore[union-attr]
