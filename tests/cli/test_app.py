"""The CLI end to end, in process (so the suite's SparkSession is reused)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pyspark.sql import SparkSession
from typer.testing import CliRunner

from databricks_mlops.cli.app import app
from databricks_mlops.runner import load_bundle
from databricks_mlops.runtime import Runtime

REPO = Path(__file__).resolve().parents[2]
runner = CliRunner()


def test_root_bundle_data_ingestion_job_runs_locally_and_is_idempotent(
    spark: SparkSession, runtime: Runtime
) -> None:
    made = runner.invoke(
        app,
        [
            "sample-data",
            "churn",
            "--rows",
            "600",
            "--out",
            "/Volumes/main/churn_dev/raw/customers.csv",
        ],
    )
    assert made.exit_code == 0, made.output
    counts = []
    for _ in range(2):
        result = runner.invoke(app, ["run", "data_ingestion", "-C", str(REPO)])
        assert result.exit_code == 0, result.output
        counts.append(spark.table(runtime.table("main.churn_dev.customers_bronze")).count())
    assert counts[0] == counts[1] > 0
    # validate ran after ingest each time: impossible ages held back (not duplicated on re-run),
    # one history row per rule per run.
    quarantine = spark.table(runtime.table("main.churn_dev.customers_bronze_quarantine"))
    assert quarantine.count() > 0
    assert quarantine.where("age >= 0 AND age <= 120").count() == 0
    runs = spark.table(runtime.table("main.churn_dev.validation_runs"))
    assert runs.select("run_id").distinct().count() == 2
    assert runs.count() == 2 * 10
    # The feature job on the validated table: twice gives the same table, content included.
    snapshots = []
    for _ in range(2):
        result = runner.invoke(app, ["run", "feature_engineering", "-C", str(REPO)])
        assert result.exit_code == 0, result.output
        snapshot = spark.table(runtime.table("main.churn_dev.customer_features")).cache()
        snapshot.count()  # materialise now, before the next run rewrites anything
        snapshots.append(snapshot)
    assert snapshots[0].count() == snapshots[1].count() == counts[1]
    assert snapshots[0].exceptAll(snapshots[1]).count() == 0
    # Training on the feature table's stored state: registered as @challenger.
    trained = runner.invoke(app, ["run", "model_training", "-C", str(REPO)])
    assert trained.exit_code == 0, trained.output
    from mlflow import MlflowClient

    runtime.configure_mlflow()
    version = MlflowClient().get_model_version_by_alias("main.churn_dev.churn_model", "challenger")
    assert version.tags["gate.verdict"] == "passed"
    promoted = runner.invoke(app, ["run", "model_deployment", "-C", str(REPO)])
    assert promoted.exit_code == 0, promoted.output
    champion = MlflowClient().get_model_version_by_alias("main.churn_dev.churn_model", "champion")
    assert champion.version == version.version
    # deploy started the champion behind the local endpoint; smoke_test queried it by name.
    assert "smoke_test: 3 rows answered by version" in promoted.output
    from databricks_mlops.config.serving import ClientConfig
    from databricks_mlops.serving_client import ModelClient

    client_config = ClientConfig.model_validate(
        {"workspace_url": "http://127.0.0.1", "auth": {"auth_type": "none"}}
    )
    sample = spark.table(runtime.table("main.churn_dev.customers_bronze")).limit(3).toPandas()
    with ModelClient(client_config) as client:
        # The dev target's endpoint: per developer (databricks.yml's endpoint_name).
        endpoint = load_bundle(REPO, "dev", {}).variables["endpoint_name"]
        assert endpoint == "churn-predictor-dev-local_user"
        answer = client.predict(endpoint, sample)
    assert answer.metadata.model_version == str(champion.version)
    assert all(0 <= p <= 1 for p in answer.predictions["probability"])
    # Batch inference with @champion, twice: the log is not duplicated, and its predictions
    # are what the registered model returns for the same raw rows.
    for _ in range(2):
        scored = runner.invoke(app, ["run", "batch_inference", "-C", str(REPO)])
        assert scored.exit_code == 0, scored.output
    log = spark.table(runtime.table("main.churn_dev.churn_inference_log"))
    assert log.count() == counts[1]
    import mlflow

    sample = spark.table(runtime.table("main.churn_dev.customers_bronze")).limit(25).toPandas()
    direct = mlflow.pyfunc.load_model("models:/main.churn_dev.churn_model@champion").predict(sample)
    logged = log.where(log.customer_id.isin(list(sample.customer_id))).toPandas()
    by_id = dict(zip(logged.customer_id, logged.probability, strict=True))
    assert [by_id[c] for c in sample.customer_id] == pytest.approx(list(direct["probability"]))
    shown = runner.invoke(app, ["table", "main.churn_dev.customers_bronze"])
    assert shown.exit_code == 0, shown.output
    assert f"main.churn_dev.customers_bronze: {counts[0]} rows" in shown.output


def test_target_variables_reach_the_task(spark: SparkSession, runtime: Runtime) -> None:
    made = runner.invoke(
        app,
        [
            "sample-data",
            "churn",
            "--rows",
            "100",
            "--out",
            "/Volumes/main/churn_staging/raw/customers.csv",
        ],
    )
    assert made.exit_code == 0, made.output
    result = runner.invoke(app, ["run", "data_ingestion", "-C", str(REPO), "--target", "staging"])
    assert result.exit_code == 0, result.output
    assert spark.table(runtime.table("main.churn_staging.customers_bronze")).count() > 0


FAILING_BUNDLE = """\
bundle: {name: failing}
resources:
  jobs:
    three_steps:
      name: three_steps
      tasks:
        - task_key: first
          python_wheel_task: {package_name: cli_fixture_tasks, entry_point: ok}
        - task_key: middle
          depends_on: [{task_key: first}]
          python_wheel_task: {package_name: cli_fixture_tasks, entry_point: boom}
        - task_key: last
          depends_on: [{task_key: middle}]
          python_wheel_task: {package_name: cli_fixture_tasks, entry_point: ok}
"""


def test_failing_middle_task_fails_the_run_and_skips_downstream(tmp_path: Path) -> None:
    (tmp_path / "databricks.yml").write_text(FAILING_BUNDLE)
    (tmp_path / "cli_fixture_tasks.py").write_text(
        "def ok():\n    print('ok ran')\n\ndef boom():\n    raise RuntimeError('middle exploded')\n"
    )
    # A real process: exit code and output as a user sees them.
    completed = subprocess.run(
        [sys.executable, "-m", "databricks_mlops.cli", "run", "three_steps", "-C", str(tmp_path)],
        capture_output=True, text=True, cwd=tmp_path, env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin",
                                                          "COLUMNS": "200", "MLOPS_RUNTIME": "local",
                                                          "MLOPS_TASK_ISOLATION": "in-process"},
    )  # fmt: skip
    assert completed.returncode == 1
    report = completed.stdout + completed.stderr
    assert "middle exploded" in report
    lines = {
        line.split()[1]: line
        for line in report.splitlines()
        if line.strip().startswith("│") and len(line.split()) > 3
    }
    assert "SUCCESS" in lines["first"]
    assert "FAILED" in lines["middle"]
    assert "SKIPPED" in lines["last"]


def test_unknown_job_key_lists_jobs_with_a_suggestion() -> None:
    result = runner.invoke(app, ["run", "data_ingest", "-C", str(REPO)])
    assert result.exit_code != 0
    assert "did you mean 'data_ingestion'?" in str(result.exception) + result.output


def test_validate_config_error_is_one_line_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "training.yml"
    bad.write_text(
        "model_type: classification\ntarget_column: y\nfeature_columns: [a]\nregistry_model_name: m\nsplit_ratio: [1]\n"
    )
    completed = subprocess.run(
        [sys.executable, "-m", "databricks_mlops.cli", "validate-config", str(bad)],
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 1
    assert "Traceback" not in completed.stderr
    assert f"{bad}:5: split_ratio: unknown field (did you mean 'split_ratios'?)" in " ".join(
        completed.stderr.split()
    )


def test_validate_config_accepts_the_reference_config() -> None:
    result = runner.invoke(
        app,
        [
            "validate-config",
            str(REPO / "configs/data.yml"),
            "--var",
            "catalog=main",
            "--var",
            "schema=s",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "is a valid data config" in result.output


def test_sample_data_rejects_unknown_dataset(tmp_path: Path) -> None:
    result = runner.invoke(app, ["sample-data", "chrun", "--out", str(tmp_path / "x.csv")])
    assert result.exit_code != 0
    assert "did you mean 'churn'?" in str(result.exception)


def test_version() -> None:
    result = runner.invoke(app, ["version"])
    assert result.exit_code == 0
    assert result.output.startswith("databricks-mlops ")


# -- validate-config checks what the task will check -------------------------------------

CUSTOMERS_CSV = "customer_id,age,email,signup_date\n1,30,a@example.com,2024-01-01\n"


def data_config(tmp_path: Path, rules: str, extra: str = "", source: str | None = None) -> Path:
    csv_file = tmp_path / "customers.csv"
    csv_file.write_text(CUSTOMERS_CSV)
    path = tmp_path / "data.yml"
    path.write_text(
        f"source_path: {source or csv_file}\nformat: csv\ndestination_path: main.s.customers\n"
        f"{extra}validation_rules:\n{rules}"
    )
    return path


BAD_RULES = """\
  - name: unfinished
    condition: "age >= "
  - name: typo
    condition: "agee >= 18"
  - name: escape_attempt
    condition: "__import__('os').system('id')"
"""


def test_validate_config_reports_each_bad_rule_with_its_line_name_and_caret(
    tmp_path: Path,
) -> None:
    path = data_config(tmp_path, BAD_RULES)
    result = runner.invoke(app, ["validate-config", str(path)])
    assert result.exit_code == 1, result.output
    assert "valid data config" not in result.output
    assert str(result.exception) == "\n".join(
        [
            f"{path}:6: validation_rules[0].condition: rule 'unfinished': unexpected end of "
            "the expression: expected a value",
            "  age >=",
            "        ^",
            f"{path}:8: validation_rules[1].condition: rule 'typo': unknown column 'agee' "
            "(did you mean 'age'?)",
            "  agee >= 18",
            "  ^^^^",
            f"{path}:10: validation_rules[2].condition: rule 'escape_attempt': unknown function "
            "'__import__'; functions: null_fraction(column), unique(column)",
            "  __import__('os').system('id')",
            "  ^^^^^^^^^^",
        ]
    )


def test_validate_config_rejects_syntax_and_forbidden_constructs_without_the_data(
    tmp_path: Path,
) -> None:
    path = data_config(tmp_path, BAD_RULES, source="/Volumes/main/s/raw/absent.csv")
    result = runner.invoke(app, ["validate-config", str(path)])
    assert result.exit_code == 1, result.output
    message = str(result.exception)
    assert "rule 'unfinished': unexpected end of the expression" in message
    assert "rule 'escape_attempt': unknown function '__import__'" in message
    # Without the source's columns a column name cannot be judged.
    assert "agee" not in message


def test_validate_config_replays_steps_and_type_checks_declared_columns(tmp_path: Path) -> None:
    steps = """\
transformation_steps:
  - type: rename_columns
    mapping: {email: email_address}
  - type: cast_columns
    mapping: {age: int, signup_date: date}
  - type: deduplicate
    keys: [customer_idd]
z_order_by: [customerid]
"""
    rules = """\
  - name: old_name
    condition: "email is not null"
  - name: compares_a_number_with_text
    condition: "age > 'x'"
  - name: fine
    condition: "email_address is not null and signup_date > '2020-01-01' and age >= 0"
  - name: held_back
    condition: "unique(customer_id)"
    quarantine: true
"""
    path = data_config(tmp_path, rules, extra=steps)
    result = runner.invoke(app, ["validate-config", str(path)])
    assert result.exit_code == 1, result.output
    lines = str(result.exception).splitlines()
    assert lines[0] == (
        f"{path}:9: transformation_steps[2]: deduplicate: column 'customer_idd' not found "
        "(did you mean 'customer_id'?); columns are: customer_id, age, email_address, signup_date"
    )
    assert lines[1] == (
        f"{path}:14: validation_rules[0].condition: rule 'old_name': unknown column 'email'; "
        "columns: age, customer_id, email_address, signup_date"
    )
    assert lines[4] == (
        f"{path}:16: validation_rules[1].condition: rule 'compares_a_number_with_text': "
        "cannot compare a number with a string: 'age' is a number, 'x' is a string"
    )
    assert lines[7] == (
        f"{path}:20: validation_rules[3].condition: rule 'held_back': quarantine moves failing "
        "rows, so it needs a row-level rule; this one checks the whole dataset"
    )
    assert lines[8] == (
        f"{path}:11: z_order_by[0]: column 'customerid' is not in the ingested data "
        "(did you mean 'customer_id'?)"
    )
    assert len(lines) == 9


def test_validate_config_checks_the_reference_config_against_its_sample_data() -> None:
    made = runner.invoke(
        app, ["sample-data", "churn", "--rows", "20", "--out", "/Volumes/cli/vc/raw/customers.csv"]
    )
    assert made.exit_code == 0, made.output
    result = runner.invoke(
        app,
        [
            "validate-config",
            str(REPO / "configs/data.yml"),
            "--var",
            "catalog=cli",
            "--var",
            "schema=vc",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "10 rules parse; columns checked against the header of " in result.output
    assert "customers.csv after the transformation steps" in result.output


def test_validate_config_rejects_a_forbidden_derived_feature_expression(tmp_path: Path) -> None:
    text = (REPO / "configs/features.yml").read_text()
    path = tmp_path / "features.yml"
    path.write_text(text.replace('long_term: "tenure >= 24"', "long_term: \"__import__('os')\""))
    result = runner.invoke(
        app, ["validate-config", str(path), "--var", "catalog=main", "--var", "schema=s"]
    )
    assert result.exit_code == 1, result.output
    line = next(n for n, t in enumerate(text.splitlines(), 1) if "long_term:" in t)
    assert str(result.exception).startswith(
        f"{path}:{line}: derived.long_term: derived column 'long_term': unknown function "
        "'__import__'"
    )


def test_validate_config_names_the_bad_byte_of_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    bad = tmp_path / "data.yml"
    bad.write_bytes(b"source_path: a\ndestination_path: caf\xe9\n")
    completed = subprocess.run(
        [sys.executable, "-m", "databricks_mlops.cli", "validate-config", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 1
    assert "Traceback" not in completed.stderr
    assert (
        f"error: {bad}:2: file is not UTF-8 text (invalid byte 0xe9 at line 2, column 22); "
        "save the file as UTF-8"
    ) in " ".join(completed.stderr.split())
