from __future__ import annotations

import json
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from databricks_mlops.runtime import Runtime
from databricks_mlops.tasks.validate import main


@pytest.fixture
def table(spark: SparkSession, runtime: Runtime) -> str:
    name = "main.validate_task.people"
    frame = spark.createDataFrame(
        [
            (1, "a@x.org", 30),
            (2, None, 15),
            (3, "bad", 40),
            (4, "d@x.org", 150),
            (5, "e@x.org", None),
        ],
        "id int, email string, age int",
    )
    runtime.save_table(frame.write.format("delta").mode("overwrite"), name)
    return name


def config(tmp_path: Path, rules: str) -> Path:
    path = tmp_path / "data.yml"
    path.write_text(
        "source_path: unused\ndestination_path: main.validate_task.people\n"
        f"validation:\n  report_dir: {tmp_path}/reports\nvalidation_rules:\n{rules}"
    )
    return path


def test_error_rule_fails_the_task_naming_it(table: str, tmp_path: Path) -> None:
    rules = (
        "  - {name: adult, condition: 'age >= 18', severity: error}\n"
        "  - {name: email_ok, condition: \"email.str.contains('@') or email is null\", severity: warning}\n"
    )
    with pytest.raises(
        SystemExit, match=r"1 ERROR rule\(s\) failed on main\.validate_task\.people: adult"
    ):
        main([f"--config={config(tmp_path, rules)}", "--run_id=r1"])
    report = json.loads(
        (tmp_path / "reports" / "main.validate_task.people" / "r1.json").read_text()
    )
    counts = {r["name"]: r["failed_count"] for r in report["rule_results"]}
    assert counts == {"adult": 2, "email_ok": 1}  # a NULL age is not >= 18
    assert report["passed"] is False


def test_quarantine_moves_rows_and_passes(
    spark: SparkSession, runtime: Runtime, table: str, tmp_path: Path
) -> None:
    rules = (
        "  - {name: plausible_age, condition: 'age <= 120', severity: error, quarantine: true}\n"
    )
    main([f"--config={config(tmp_path, rules)}", "--run_id=r2"])
    # Three-valued: a NULL age does not satisfy `age <= 120`, so it is held back too.
    assert sorted(r.id for r in spark.table(runtime.table(table)).collect()) == [1, 2, 3]
    quarantine = f"{table}_quarantine"
    held = spark.table(runtime.table(quarantine)).where("_validation_run_id = 'r2'").collect()
    assert sorted((r.id, r._quarantine_rule) for r in held) == [
        (4, "plausible_age"),
        (5, "plausible_age"),
    ]
    report = json.loads(
        (tmp_path / "reports" / "main.validate_task.people" / "r2.json").read_text()
    )
    assert [r["outcome"] for r in report["rule_results"]] == ["quarantined"]
    # The table is clean now: a second run moves nothing and keeps the first run's rows.
    main([f"--config={config(tmp_path, rules)}", "--run_id=r3"])
    assert spark.table(runtime.table(quarantine)).where("_validation_run_id = 'r2'").count() == 2
    assert spark.table(runtime.table(quarantine)).where("_validation_run_id = 'r3'").count() == 0


def test_bad_expression_is_a_one_line_task_error_with_a_caret(table: str, tmp_path: Path) -> None:
    rules = "  - {name: typo, condition: 'agee >= 18'}\n"
    with pytest.raises(SystemExit, match=r"(?s)rule 'typo': .*agee >= 18\n\s+\^\^\^\^"):
        main([f"--config={config(tmp_path, rules)}"])


def test_great_expectations_engine_writes_data_docs(table: str, tmp_path: Path) -> None:
    rules = "  - {name: email_ok, condition: \"email.str.contains('@') or email is null\", severity: warning}\n"
    path = config(tmp_path, rules)
    path.write_text(
        path.read_text().replace("validation:\n", "validation:\n  engine: great_expectations\n")
    )
    main([f"--config={path}", "--run_id=gx1"])
    report = json.loads(
        (tmp_path / "reports" / "main.validate_task.people" / "gx1.json").read_text()
    )
    assert report["engine"] == "great_expectations"
    assert [(r["name"], r["failed_count"]) for r in report["rule_results"]] == [("email_ok", 1)]
    index = tmp_path / "reports" / "main.validate_task.people" / "data_docs" / "index.html"
    assert index.is_file()


def gated_config(tmp_path: Path, source: Path, destination: str, rules: str) -> Path:
    path = tmp_path / f"{destination.rsplit('.', 1)[-1]}.yml"
    path.write_text(
        f"source_path: {source}\nformat: csv\ndestination_path: {destination}\n"
        "transformation_steps:\n  - {type: add_ingestion_timestamp}\n"
        f"validation:\n  report_dir: {tmp_path}/reports\nvalidation_rules:\n{rules}"
    )
    return path


def ingest_then_validate(config: Path, run_id: str) -> None:
    from databricks_mlops.tasks.ingest import main as ingest

    ingest([f"--config={config}"])
    main([f"--config={config}", f"--run_id={run_id}"])


def test_failed_error_rule_leaves_the_published_table_exactly_as_it_was(
    spark: SparkSession, runtime: Runtime, tmp_path: Path
) -> None:
    destination = "main.validate_gate.customers"
    rules = "  - {name: non_negative_age, condition: 'age >= 0', severity: error}\n"
    source = tmp_path / "customers.csv"
    source.write_text("id,age\n1,30\n2,40\n")
    config = gated_config(tmp_path, source, destination, rules)
    ingest_then_validate(config, "good")
    published = int(runtime.delta_history(destination, 1).collect()[0]["version"])
    table = runtime.table(destination)
    rows = sorted((r.id, r.age, r._ingested_at) for r in spark.table(table).collect())
    assert [(i, a) for i, a, _ in rows] == [(1, 30), (2, 40)]

    source.write_text("id,age\n1,30\n2,-5\n3,41\n")
    from databricks_mlops.tasks.ingest import main as ingest

    ingest([f"--config={config}"])
    with pytest.raises(
        SystemExit,
        match=rf"1 ERROR rule\(s\) failed on main\.validate_gate\.customers: non_negative_age; "
        rf"nothing was published: main\.validate_gate\.customers stays at version {published}, "
        r"the rejected batch stays in main\.validate_gate\.customers_staging version \d+",
    ):
        main([f"--config={config}", "--run_id=bad"])
    history = spark.sql(f"DESCRIBE HISTORY {table}").collect()
    assert max(row["version"] for row in history) == published
    assert sorted((r.id, r.age, r._ingested_at) for r in spark.table(table).collect()) == rows
    # Validating again on its own still refuses the waiting batch.
    with pytest.raises(SystemExit, match=r"non_negative_age; nothing was published"):
        main([f"--config={config}", "--run_id=bad-again"])
    assert spark.table(table).count() == 2


def test_quarantine_keeps_one_copy_per_input_and_publishes_the_rest(
    spark: SparkSession, runtime: Runtime, tmp_path: Path
) -> None:
    destination = "main.validate_gate.people"
    rules = (
        "  - {name: plausible_age, condition: 'age >= 0 and age <= 120', severity: error,"
        " quarantine: true}\n"
    )
    source = tmp_path / "people.csv"
    source.write_text("id,age\n1,30\n2,150\n3,41\n")
    config = gated_config(tmp_path, source, destination, rules)
    quarantine = runtime.table(f"{destination}_quarantine")
    ingest_then_validate(config, "q1")
    assert sorted(r.id for r in spark.table(runtime.table(destination)).collect()) == [1, 3]
    assert [r.id for r in spark.table(quarantine).collect()] == [2]
    # The same input again (a re-run, a retry): the quarantine does not grow.
    ingest_then_validate(config, "q2")
    held = spark.table(quarantine).collect()
    assert [(r.id, r._validation_run_id) for r in held] == [(2, "q2")]
    assert sorted(r.id for r in spark.table(runtime.table(destination)).collect()) == [1, 3]
    # A different input keeps the first input's rows and adds its own.
    source.write_text("id,age\n4,-1\n5,20\n")
    ingest_then_validate(config, "q3")
    assert sorted(r.id for r in spark.table(quarantine).collect()) == [2, 4]
    assert [r.id for r in spark.table(runtime.table(destination)).collect()] == [5]
