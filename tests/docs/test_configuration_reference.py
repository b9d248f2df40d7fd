"""docs/reference/configuration.md is exactly what the models generate today."""

from __future__ import annotations

from pathlib import Path

import pytest

from databricks_mlops.cli import config_reference as reference
from databricks_mlops.cli.config_reference import REGENERATE, build_reference, main, stale_summary
from databricks_mlops.config.data import DataConfig
from databricks_mlops.config.deployment import ServingConfig
from databricks_mlops.config.features import FeatureConfig

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "docs" / "reference" / "configuration.md"


def test_committed_reference_is_up_to_date() -> None:
    generated = build_reference()
    problems = stale_summary(COMMITTED.read_text(encoding="utf-8"), generated, str(COMMITTED))
    assert problems == [], "\n".join(problems)


def test_changing_a_field_description_makes_the_reference_stale(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Compared with a fresh build, not the committed file, so that this test says only
    # "a description change is detected" (staleness itself is the test above).
    before = build_reference()
    field = DataConfig.model_fields["source_path"]
    monkeypatch.setattr(field, "description", "Where the rows come from (edited).")
    problems = stale_summary(before, build_reference(), "ref.md")
    assert problems[0].startswith("ref.md is stale: 1 line(s) to add, 1 to remove")
    assert REGENERATE in problems[0]
    assert "+| `source_path` | str | — | yes | Where the rows come from (edited). |" in problems


def test_a_new_field_in_a_copied_model_is_documented() -> None:
    class EditedServing(ServingConfig):
        """A serving config with one more knob."""

        warmup_requests: int = 0

    text = build_reference([reference.Section("Serving", "", (EditedServing,))], extra_models=[])
    assert "| `warmup_requests` | int | `0` | no |  |" in text
    assert '<a id="editedserving"></a>' in text
    assert "[RolloutConfig](#rolloutconfig) defaults" in text  # nested models reached


def test_every_field_of_every_stage_config_is_in_the_reference() -> None:
    from databricks_mlops.config.kinds import CONFIG_KINDS

    text = COMMITTED.read_text(encoding="utf-8")
    for model in CONFIG_KINDS.values():
        assert f'<a id="{model.__name__.lower()}"></a>' in text
        for name in model.model_fields:
            assert f"| `{name}`" in text, f"{model.__name__}.{name}"


def test_types_aliases_defaults_and_unions_are_readable() -> None:
    text = COMMITTED.read_text(encoding="utf-8")
    rows = [
        # alias, required, no default
        "| `feature_table_name` (alias `name`) | str | — | yes | Name of the output feature table. |",
        # Literal choices and a default
        '| `format` | Literal["delta", "parquet", "csv", "json", "table"] | `"delta"` | no |',
        # Optional nested model link
        "| `serving` | [ServingConfig](#servingconfig) \\| null | `null` | no |",
        # Enum shown with its values
        '| `severity` | Severity: Literal["error", "warning", "info"] | `"error"` | no |',
        # Factory default evaluated
        "| `split_ratios` | list[float] | `[0.7, 0.15, 0.15]` | no |",
    ]
    for row in rows:
        assert row in text, row
    # Discriminated unions: listed by their `type` value, each variant has its section.
    assert "[`drop_columns`](#dropcolumns)" in text
    assert "### FloatParameter (`type: float` / `type: log`)" in text
    assert "### EmailChannel (`type: email`)" in text


def test_field_info_type_renderer_on_plain_annotations() -> None:
    assert reference.render_type(list[str]) == "list[str]"
    assert reference.render_type(dict[str, float] | None) == "dict[str, float] \\| null"
    assert reference.render_type(FeatureConfig) == "[FeatureConfig](#featureconfig)"


def test_main_check_reports_stale_and_fresh_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "configuration.md"
    assert main([str(target)]) == 0
    assert target.read_text(encoding="utf-8") == build_reference()
    assert main(["--check", str(target)]) == 0
    assert "is up to date" in capsys.readouterr().out

    target.write_text(build_reference().replace("Registered model name.", "Old text."), "utf-8")
    assert main(["--check", str(target)]) == 1
    err = capsys.readouterr().err
    assert "is stale" in err and "+| `model_name` | str | — | yes | Registered model name. |" in err

    assert main(["--check", str(tmp_path / "missing.md")]) == 1
    assert "cannot read" in capsys.readouterr().err


def test_cli_module_runs_as_documented(tmp_path: Path) -> None:
    import subprocess
    import sys

    target = tmp_path / "ref.md"
    done = subprocess.run(
        [sys.executable, "-m", "databricks_mlops.cli.config_reference", str(target)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    stale = subprocess.run(
        [sys.executable, "-m", "databricks_mlops.cli.config_reference", "--check", str(target)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert stale.returncode == 0, stale.stderr
    assert "is up to date" in stale.stdout
    target.write_text("# an old reference\n", encoding="utf-8")
    stale = subprocess.run(
        [sys.executable, "-m", "databricks_mlops.cli.config_reference", "--check", str(target)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert stale.returncode == 1
    assert "is stale" in stale.stderr and REGENERATE in stale.stderr
