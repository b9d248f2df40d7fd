"""Bring your own data, with YAML edits alone: a generated project is pointed at a dataset
that ships with scikit-learn (breast cancer, classification) by editing databricks.yml's
variables and configs/*.yml only, then passes its own `make test` and runs its whole
`mlops_workflow` locally. No Python file of the project is touched.

Slow (the project's tests, the workflow): marked `slow`, like test_generated_project.py,
whose render and virtualenv it shares (a copy of the default render, adapted).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.template.helpers import render
from tests.template.test_generated_project import run, stop_servers_started_in

UV = shutil.which("uv")
MAKE = shutil.which("make")

# Delta cannot store the raw names ("mean radius"): the data config renames them.
FEATURE_NAMES = [
    "mean radius", "mean texture", "mean perimeter", "mean area", "mean smoothness",
    "mean compactness", "mean concavity", "mean concave points", "mean symmetry",
    "mean fractal dimension", "radius error", "texture error", "perimeter error", "area error",
    "smoothness error", "compactness error", "concavity error", "concave points error",
    "symmetry error", "fractal dimension error", "worst radius", "worst texture",
    "worst perimeter", "worst area", "worst smoothness", "worst compactness", "worst concavity",
    "worst concave points", "worst symmetry", "worst fractal dimension",
]  # fmt: skip
RENAMES = {name: name.replace(" ", "_") for name in FEATURE_NAMES} | {"target": "benign"}

# databricks.yml: the dataset's names, in one place.
VARIABLES = {
    "source_file": "breast_cancer.csv",
    "bronze_table": "tumours_bronze",
    "feature_table": "tumour_features",
    "key_column": "sample_id",
    "target_column": "benign",
    "sample_dataset": '""',
}


def _mapping(values: dict[str, str], indent: int) -> str:
    pad = " " * indent
    return "\n".join(f'{pad}"{key}": {value}' for key, value in values.items())


DATA_YML = f"""\
# Breast cancer biopsies (scikit-learn's load_breast_cancer), one row per sample.
source_path: "/Volumes/${{catalog}}/${{schema}}/${{raw_volume}}/${{source_file}}"
format: csv
destination_path: "${{catalog}}.${{schema}}.${{bronze_table}}"
transformation_steps:
  - type: rename_columns
    mapping:
{_mapping(RENAMES, 6)}
  - type: cast_columns
    mapping:
      sample_id: int
{_mapping({new: "double" for new in RENAMES.values() if new != "benign"}, 6)}
      benign: int
  - type: add_ingestion_timestamp
    column: _ingested_at
validation_rules:
  - name: key_present
    condition: "${{key_column}} is not null"
  - name: key_unique
    condition: "unique(${{key_column}})"
  - name: not_empty
    condition: "row_count > 0"
  - name: binary_label
    condition: "${{target_column}} in [0, 1]"
  - name: plausible_radius
    condition: "mean_radius > 0 and mean_radius < 50"
  - name: plausible_area
    condition: "mean_area > 0 and mean_area < 5000"
    severity: warning
validation:
  engine: spark
write_mode: overwrite
"""

# No event-time column: a biopsy is measured once, and nothing is joined point in time.
FEATURES_YML = """\
source_table: "${catalog}.${schema}.${bronze_table}"
feature_table_name: "${catalog}.${schema}.${feature_table}"
primary_keys: ["${key_column}"]
description: Tumour features
derived:
  radius_spread: "worst_radius - mean_radius"
feature_transformations:
  radius_scaled: {type: scaling, source_column: mean_radius, method: standard}
  texture_scaled: {type: scaling, source_column: mean_texture, method: min_max}
  area_log: {type: log1p, source_column: mean_area}
  concavity_clipped: {type: clip, source_column: mean_concavity, lower: 0, upper: 0.5}
  radius_vs_mean: {type: custom, name: ratio_to_mean, source_column: worst_radius}
"""

TRAINING_YML = """\
model_type: classification
target_column: "${target_column}"
source_table: "${catalog}.${schema}.${bronze_table}"
feature_table: "${catalog}.${schema}.${feature_table}"
feature_columns:
  - radius_scaled
  - texture_scaled
  - area_log
  - concavity_clipped
  - radius_vs_mean
  - radius_spread
  - worst_concave_points
  - worst_perimeter
  - mean_concave_points
estimator: churn_mlops.models.build_model
hyperparameters: {max_iter: 100, learning_rate: 0.1, max_depth: 4}
split_ratios: [0.7, 0.15, 0.15]
stratify: true
metrics: [accuracy, precision, recall, f1_score, roc_auc]
primary_metric: roc_auc
experiment_name: "${experiment_name}"
run_name: breast_cancer
registry_model_name: "${model_name}"
seed: 42
gates:
  - {metric: roc_auc, threshold: 0.9, min_improvement: -0.01}
  - {metric: recall, threshold: 0.8}
gate_mode: block
"""

INFERENCE_YML = """\
model_name: "${model_name}"
model_alias: champion
input_table: "${catalog}.${schema}.${bronze_table}"
output_table: "${catalog}.${schema}.inference_log"
key_columns: ["${key_column}"]
keep_columns: [mean_radius, mean_texture, worst_perimeter, "${target_column}"]
"""


def adapted_monitoring(rendered: str) -> str:
    """The rendered monitoring.yml with the dataset's columns instead of the churn ones."""
    text = re.sub(
        r"(?m)^  features: \[.*\]$",
        "  features: [mean_radius, mean_texture, worst_perimeter]",
        rendered,
    )
    text = re.sub(r"(?m)^  categorical_features: \[.*\]\n", "", text)
    assert "features: [mean_radius" in text and "contract_type" not in text
    return text


def set_variable(databricks_yml: str, name: str, value: str) -> str:
    pattern = re.compile(rf"(?m)^(  {name}:\n    description: .*\n    default: ).*$")
    assert pattern.search(databricks_yml), f"databricks.yml declares no variable {name}"
    return pattern.sub(lambda m: m.group(1) + value, databricks_yml)


def write_breast_cancer_csv(path: Path) -> int:
    from sklearn.datasets import load_breast_cancer

    frame = load_breast_cancer(as_frame=True).frame
    frame.insert(0, "sample_id", range(1, len(frame) + 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    return len(frame)


def local_source_file(project: Path, target: str) -> Path:
    """The file configs/data.yml reads in ``target``, as the local runner maps it."""
    from databricks_mlops.config.data import DataConfig
    from databricks_mlops.runner import load_bundle
    from databricks_mlops.runtime.locations import local_path

    ingest = next(
        task["python_wheel_task"]["named_parameters"]
        for task in load_bundle(project, target, {}).jobs["data_ingestion"]["tasks"]
        if task["task_key"] == "ingest"
    )
    parameters = {k: str(v) for k, v in ingest.items()}
    config = DataConfig.from_yaml(parameters.pop("config"), parameters)
    return Path(local_path(config.source_path, project / ".mlops"))


def adapt(project: Path) -> None:
    """The YAML edits a user makes, and nothing else."""
    bundle = project / "databricks.yml"
    text = bundle.read_text()
    for name, value in VARIABLES.items():
        text = set_variable(text, name, value)
    bundle.write_text(text)
    configs = project / "configs"
    (configs / "data.yml").write_text(DATA_YML)
    (configs / "features.yml").write_text(FEATURES_YML)
    (configs / "training.yml").write_text(TRAINING_YML)
    (configs / "inference.yml").write_text(INFERENCE_YML)
    monitoring = configs / "monitoring.yml"
    monitoring.write_text(adapted_monitoring(monitoring.read_text()))


@pytest.fixture
def project(copy_of_generated_project: tuple[Path, Path]) -> Iterator[tuple[Path, Path]]:
    yield copy_of_generated_project
    stop_servers_started_in(copy_of_generated_project[0])


def test_the_adaptation_touches_yaml_only_and_leaves_no_churn_name(tmp_path: Path) -> None:
    generated = render(tmp_path, {})
    before = {p: p.read_bytes() for p in generated.rglob("*") if p.is_file()}
    adapt(generated)
    changed = {p for p in generated.rglob("*") if p.is_file() and p.read_bytes() != before[p]}
    assert changed and all(p.suffix == ".yml" for p in changed), sorted(map(str, changed))
    for path in [generated / "databricks.yml", *(generated / "configs").glob("*.yml")]:
        assert not re.search(r"customer|tenure|contract_type|charges", path.read_text()), path


@pytest.mark.slow
@pytest.mark.skipif(UV is None or MAKE is None, reason="needs uv and make on PATH")
def test_a_yaml_only_adaptation_passes_make_test_and_runs_the_workflow(
    project: tuple[Path, Path],
) -> None:
    assert UV is not None and MAKE is not None
    project, venv = project
    adapt(project)

    done, tests_took = run([MAKE, "test"], project, timeout=1500, venv=venv)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert " passed" in done.stdout and " failed" not in done.stdout

    # Where configs/data.yml reads its file locally in the dev target (README: "Bring your
    # own data"); on Databricks, the raw volume of the target's schema.
    source = local_source_file(project, "dev")
    assert source.name == "breast_cancer.csv" and "/volumes/" in str(source)
    rows = write_breast_cancer_csv(source)
    done, workflow_took = run(
        [UV, "run", "databricks-mlops", "run", "mlops_workflow"], project, timeout=1800, venv=venv
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-6000:]
    assert "Job mlops_workflow SUCCEEDED" in " ".join(output.split())
    assert f"{rows} rows" in output  # every sample ingested and scored
    assert "tumour_features" in output and "drift_gate" in output
    print(f"make test {tests_took:.0f}s, mlops_workflow {workflow_took:.0f}s")
