"""One validation run: every rule compiled once, quarantine on the engine's own Columns,
and the raise-on-ERROR policy of the validate task."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pyspark.sql import SparkSession

from databricks_mlops.config.data import DataConfig
from databricks_mlops.config.validation import Severity
from databricks_mlops.errors import ValidationFailedError
from databricks_mlops.expressions import compile_rule, spark_backend
from databricks_mlops.expressions.parser import parse_cache_clear, parse_cache_info
from databricks_mlops.runtime import Runtime
from databricks_mlops.validation import rules as validation_rules
from databricks_mlops.validation.results import RuleResult, ValidationResult
from databricks_mlops.validation.validation_run import ValidationRun, run_validation

RULES = (
    "  - {name: plausible_age, condition: 'age <= 120', severity: error, quarantine: true}\n"
    "  - {name: has_id, condition: 'id is not null', severity: error}\n"
    "  - {name: enough_rows, condition: 'row_count > 1', severity: warning}\n"
)


class CallCounter:
    """Counts calls of the real function it wraps (nothing is replaced)."""

    def __init__(self, real: Callable[..., Any]) -> None:
        self.real = real
        self.calls: list[Any] = []

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls.append(args[0])
        return self.real(*args, **kwargs)


@pytest.fixture
def compile_calls(monkeypatch: pytest.MonkeyPatch) -> CallCounter:
    """Every rule compile of the validation package goes through ``prepare_rules``."""
    counter = CallCounter(compile_rule)
    monkeypatch.setattr(validation_rules, "compile_rule", counter)
    parse_cache_clear()
    return counter


@pytest.fixture
def spark_compiles(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry per tree compiled to a Spark Column (``to_spark``), wherever it was
    imported to: the compiler object is made once per call."""
    made: list[int] = []
    real_init = spark_backend._SparkCompiler.__init__

    def counting_init(self: Any, column_count: int) -> None:
        made.append(column_count)
        real_init(self, column_count)

    monkeypatch.setattr(spark_backend._SparkCompiler, "__init__", counting_init)
    return made


def people_config(tmp_path: Path, table: str, engine: str) -> DataConfig:
    path = tmp_path / "data.yml"
    path.write_text(
        f"source_path: unused\ndestination_path: {table}\n"
        f"validation:\n  engine: {engine}\n  report_dir: {tmp_path}/reports\n"
        f"validation_rules:\n{RULES}"
    )
    return DataConfig.from_yaml(path, {})


@pytest.mark.parametrize(
    ("engine", "columns_built"),
    # Spark counts with a Column per rule; GX counts in SQL, so only the quarantine rule
    # needs a Column (for picking its rows).
    [("spark", 3), ("great_expectations", 1)],
)
def test_each_rule_is_compiled_once_per_run_and_quarantine_reuses_it(
    spark: SparkSession,
    runtime: Runtime,
    tmp_path: Path,
    compile_calls: CallCounter,
    spark_compiles: list[int],
    engine: str,
    columns_built: int,
) -> None:
    table = f"main.validation_run_{engine}.people"
    frame = spark.createDataFrame([(1, 30), (2, 150), (3, 41)], "id int, age int")
    runtime.save_table(frame.write.format("delta").mode("overwrite"), table)

    run = run_validation(runtime, people_config(tmp_path, table, engine), run_id="once")

    assert compile_calls.calls == ["age <= 120", "id is not null", "row_count > 1"]
    assert (parse_cache_info().misses, parse_cache_info().hits) == (3, 0)
    assert len(spark_compiles) == columns_built
    # The rows held are the ones the engine counted, with no second compile.
    outcomes = {r.name: (r.outcome, r.failed_count) for r in run.result.rule_results}
    assert outcomes == {
        "plausible_age": ("quarantined", 1),
        "has_id": ("passed", 0),
        "enough_rows": ("passed", 0),
    }
    assert run.quarantined == 1
    held = spark.table(runtime.table(f"{table}_quarantine")).collect()
    assert [(r.id, r._quarantine_rule) for r in held] == [(2, "plausible_age")]
    assert sorted(r.id for r in spark.table(runtime.table(table)).collect()) == [1, 3]
    run.raise_for_errors()  # a quarantined ERROR rule does not fail the run


def failed_run(*, staged: bool, destination_version: int | None = None) -> ValidationRun:
    results = [
        RuleResult(
            name=name,
            severity=severity,
            condition="age >= 18",
            failed_count=failed,
            total_count=5,
            outcome="failed" if failed else "passed",
        )
        for name, severity, failed in [
            ("adult", Severity.ERROR, 2),
            ("email_ok", Severity.WARNING, 1),
            ("known_id", Severity.ERROR, 1),
            ("fine", Severity.ERROR, 0),
        ]
    ]
    return ValidationRun(
        ValidationResult(total_rows=5, rule_results=results, engine="spark"),
        Path("/reports/main.s.people/r1.json"),
        0,
        validated="main.s.people_staging" if staged else "main.s.people",
        validated_version=7 if staged else 3,
        destination="main.s.people",
        staged=staged,
        destination_version=destination_version,
    )


@pytest.mark.parametrize(
    ("run", "message"),
    [
        (
            failed_run(staged=True, destination_version=4),
            "2 ERROR rule(s) failed on main.s.people: adult, known_id; nothing was published: "
            "main.s.people stays at version 4, the rejected batch stays in "
            "main.s.people_staging version 7 (details: /reports/main.s.people/r1.json)",
        ),
        (
            failed_run(staged=True),
            "2 ERROR rule(s) failed on main.s.people: adult, known_id; nothing was published: "
            "main.s.people was not created, the rejected batch stays in "
            "main.s.people_staging version 7 (details: /reports/main.s.people/r1.json)",
        ),
        (
            failed_run(staged=False),
            "2 ERROR rule(s) failed on main.s.people: adult, known_id "
            "(details: /reports/main.s.people/r1.json)",
        ),
    ],
)
def test_raise_for_errors_names_the_error_rules_and_what_was_kept(
    run: ValidationRun, message: str
) -> None:
    with pytest.raises(ValidationFailedError, match=f"^{re.escape(message)}$"):
        run.raise_for_errors()


def test_raise_for_errors_lets_warnings_pass() -> None:
    warning_only = RuleResult(
        name="email_ok",
        severity=Severity.WARNING,
        condition="email is not null",
        failed_count=1,
        total_count=5,
        outcome="failed",
    )
    run = ValidationRun(
        ValidationResult(total_rows=5, rule_results=[warning_only], engine="spark"),
        Path("r.json"),
        0,
        destination="main.s.people",
    )
    run.raise_for_errors()
