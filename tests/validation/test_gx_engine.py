"""The Great Expectations backend: GX's counts are exactly the native validator's."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest
from pyspark.sql import DataFrame, SparkSession

from databricks_mlops.config.validation import GxExpectation, Severity, ValidationRule
from databricks_mlops.datasets import generate_churn
from databricks_mlops.errors import ConfigError, ExpressionError
from databricks_mlops.utils.data_validation import DataValidator
from databricks_mlops.validation.gx_engine import (
    GreatExpectationsError,
    GxOutcome,
    validate_with_gx,
)

CONTRACTS = ["Month-to-month", "One year", "Two year"]
RULES = [
    ValidationRule(
        name="valid_email",
        condition="email.str.contains('@') or email is null",
        severity=Severity.WARNING,
    ),
    ValidationRule(name="adult_customers", condition="age >= 18 or guardian_email is not null"),
    ValidationRule(name="id_present", condition="customer_id is not null"),
    ValidationRule(
        name="known_contract",
        condition="contract_type in ['Month-to-month', 'One year', 'Two year']",
    ),
    ValidationRule(name="unique_ids", condition="unique(customer_id)", severity=Severity.WARNING),
    ValidationRule(name="not_empty", condition="row_count > 0"),
    ValidationRule(name="emails_mostly_present", condition="null_fraction(email) < 0.5"),
    # No native GX form: a computed dataset-level check.
    ValidationRule(
        name="enough_rows_with_email", condition="null_fraction(email) <= 0.02 and row_count >= 100"
    ),
    ValidationRule(
        name="charges_per_month", condition="total_charges / tenure >= 0", quarantine=True
    ),
    # Braces reach GX's str.format-ed query; they must arrive as literal text.
    ValidationRule(
        name="no_placeholder_emails", condition="email != '{email}'", severity=Severity.INFO
    ),
]
AGE_RANGE = GxExpectation(
    type="expect_column_values_to_be_between",
    kwargs={"column": "age", "min_value": 0, "max_value": 120},
)


def expected_failures(df: pd.DataFrame) -> dict[str, int]:
    """The rules by hand in pandas, with SQL's NULL rules spelled out (NULL is not TRUE)."""
    email_ok = df.email.isna() | df.email.fillna("").str.contains("@", regex=False)
    adult_ok = (df.age >= 18) | df.guardian_email.notna()
    per_month_ok = (df.total_charges / df.tenure.where(df.tenure != 0)) >= 0
    null_emails = df.email.isna().mean()
    return {
        "valid_email": int((~email_ok).sum()),
        "adult_customers": int((~adult_ok).sum()),
        "id_present": int(df.customer_id.isna().sum()),
        "known_contract": int((~df.contract_type.isin(CONTRACTS)).sum()),
        "unique_ids": 0 if not df.customer_id.dropna().duplicated().any() else 1,
        "not_empty": 0 if len(df) > 0 else 1,
        "emails_mostly_present": 0 if null_emails < 0.5 else 1,
        "enough_rows_with_email": 0 if null_emails <= 0.02 and len(df) >= 100 else 1,
        "charges_per_month": int((~per_month_ok).sum()),
        "no_placeholder_emails": int(df.email.isna().sum()),
        "expect_column_values_to_be_between": int((~df.age.between(0, 120)).sum()),
    }


def counts(outcome: GxOutcome) -> dict[str, int]:
    return {r.name: r.failed_count for r in outcome.result.rule_results}


@pytest.fixture(scope="module")
def churn() -> pd.DataFrame:
    return generate_churn(rows=500, seed=5)


@pytest.fixture(scope="module")
def churn_spark(spark: SparkSession, churn: pd.DataFrame) -> DataFrame:
    return spark.createDataFrame(churn).cache()


@pytest.fixture(scope="module")
def spark_outcome(churn_spark: DataFrame, tmp_path_factory: pytest.TempPathFactory) -> GxOutcome:
    docs = tmp_path_factory.mktemp("gx") / "data_docs"
    return validate_with_gx(
        churn_spark, RULES, [AGE_RANGE], data_docs_dir=docs, suite_name="churn_quality"
    )


@pytest.fixture(scope="module")
def pandas_outcome(churn: pd.DataFrame) -> GxOutcome:
    return validate_with_gx(churn, RULES, [AGE_RANGE])


def test_spark_counts_match_an_independent_pandas_computation(
    churn: pd.DataFrame, spark_outcome: GxOutcome
) -> None:
    expected = expected_failures(churn)
    assert counts(spark_outcome) == expected
    # The sample data's deliberate problems are really there, so the match means something.
    assert expected["valid_email"] > 0
    assert expected["adult_customers"] > 0
    assert expected["unique_ids"] == 1
    assert spark_outcome.result.engine == "great_expectations"
    assert spark_outcome.result.total_rows == len(churn)


def test_spark_counts_match_the_native_validator(
    churn_spark: DataFrame, spark_outcome: GxOutcome
) -> None:
    native = DataValidator(RULES, sample_failures=0).validate(churn_spark)
    ours = [
        r.model_dump(exclude={"sample_failures"})
        for r in spark_outcome.result.rule_results[: len(RULES)]
    ]
    assert ours == [r.model_dump(exclude={"sample_failures"}) for r in native.rule_results]


def test_pandas_input_gives_the_same_results_and_leaves_the_frame_alone(
    churn: pd.DataFrame, spark_outcome: GxOutcome, pandas_outcome: GxOutcome
) -> None:
    assert counts(pandas_outcome) == expected_failures(churn)
    assert pandas_outcome.result.rule_results == spark_outcome.result.rule_results
    assert not any(column.startswith("__mlops") for column in churn.columns)
    native = DataValidator(RULES, sample_failures=0).validate(churn)
    assert [r.failed_count for r in pandas_outcome.result.rule_results[: len(RULES)]] == [
        r.failed_count for r in native.rule_results
    ]


def test_verdicts_follow_severity_and_quarantine(spark_outcome: GxOutcome) -> None:
    by_name = {r.name: r for r in spark_outcome.result.rule_results}
    # A quarantine rule is a failure until the validate run has moved its rows.
    assert by_name["charges_per_month"].outcome == "failed"
    assert by_name["unique_ids"].dataset_level
    assert by_name["unique_ids"].total_count == 1
    assert {r.name for r in spark_outcome.result.errors} == {
        "adult_customers",
        "charges_per_month",
        "expect_column_values_to_be_between",
    }
    assert not spark_outcome.result.passed
    assert not spark_outcome.success  # GX's own verdict fails on any unmet expectation


def test_only_warnings_failing_passes_our_verdict_but_not_gx(churn: pd.DataFrame) -> None:
    rules = [RULES[0], ValidationRule(name="id_present", condition="customer_id is not null")]
    outcome = validate_with_gx(churn, rules)
    assert outcome.result.passed
    assert not outcome.success


def test_native_expectation_keeps_gx_verdict_with_mostly(churn: pd.DataFrame) -> None:
    lenient = GxExpectation(
        type="expect_column_values_to_be_between", kwargs={**AGE_RANGE.kwargs, "mostly": 0.9}
    )
    outcome = validate_with_gx(churn, [], [AGE_RANGE, lenient])
    strict, tolerant = outcome.result.rule_results
    assert (strict.name, tolerant.name) == (
        "expect_column_values_to_be_between",
        "expect_column_values_to_be_between #2",
    )
    assert (
        strict.failed_count
        == tolerant.failed_count
        == expected_failures(churn)["expect_column_values_to_be_between"]
        > 0
    )
    assert (strict.outcome, tolerant.outcome) == ("failed", "passed")
    assert (
        tolerant.condition
        == "expect_column_values_to_be_between(column='age', min_value=0, max_value=120, mostly=0.9)"
    )


@pytest.mark.parametrize("backend", ["pandas", "spark"])
def test_empty_frame_fails_the_dataset_rules_that_need_rows(
    backend: str, churn: pd.DataFrame, churn_spark: DataFrame
) -> None:
    empty = churn.iloc[0:0] if backend == "pandas" else churn_spark.limit(0)
    outcome = validate_with_gx(empty, RULES)
    failed = {r.name for r in outcome.result.failures}
    # SQL semantics: null_fraction of no rows is NULL, and NULL is not TRUE.
    assert failed == {"not_empty", "emails_mostly_present", "enough_rows_with_email"}
    assert outcome.result.total_rows == 0


def test_unknown_expectation_suggests_the_closest_name(churn: pd.DataFrame) -> None:
    typo = GxExpectation(type="expect_column_values_to_be_betwen", kwargs={"column": "age"})
    with pytest.raises(ConfigError, match=r"did you mean 'expect_column_values_to_be_between'\?"):
        validate_with_gx(churn, [], [typo])


def test_bad_expectation_arguments_name_the_expectation(churn: pd.DataFrame) -> None:
    missing_column = GxExpectation(
        type="expect_column_values_to_not_be_null", kwargs={"mostly": 0.5}
    )
    with pytest.raises(
        ConfigError, match=r"invalid arguments for expect_column_values_to_not_be_null: .*column"
    ):
        validate_with_gx(churn, [], [missing_column])


def test_an_expectation_gx_cannot_evaluate_is_an_error_not_a_pass(churn: pd.DataFrame) -> None:
    no_such_column = GxExpectation(
        type="expect_column_values_to_not_be_null", kwargs={"column": "agee"}
    )
    with pytest.raises(GreatExpectationsError, match=r"Failed to evaluate the expectation .*agee"):
        validate_with_gx(churn, [], [no_such_column])


def test_rule_typos_fail_before_gx_runs(churn: pd.DataFrame) -> None:
    typo = ValidationRule(name="adults", condition="agee >= 18")
    with pytest.raises(ExpressionError, match=r"rule 'adults': unknown column 'agee'"):
        validate_with_gx(churn, [typo])


def test_data_docs_are_written_for_the_suite(spark_outcome: GxOutcome) -> None:
    index = spark_outcome.data_docs_index
    assert index is not None
    assert index.name == "index.html"
    assert index.is_file()
    assert "churn_quality" in index.read_text(encoding="utf-8")
    pages = {page.relative_to(index.parent).parts[0] for page in index.parent.rglob("*.html")}
    assert {"expectations", "validations"} <= pages


def test_gx_result_is_json_ready(spark_outcome: GxOutcome, pandas_outcome: GxOutcome) -> None:
    assert pandas_outcome.data_docs_index is None
    document = json.loads(json.dumps(spark_outcome.gx_result))
    assert document["success"] is False
    # One per rule and native expectation, plus the row-count probe that gives Spark totals.
    assert len(document["results"]) == len(RULES) + 2


def test_importing_the_engine_does_not_import_great_expectations() -> None:
    code = (
        "import sys, databricks_mlops.validation.gx_engine\n"
        "print('great_expectations' in sys.modules)\n"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert output.stdout.strip() == "False"
