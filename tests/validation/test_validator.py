"""The native validator: exact counts, one pass on Spark, same verdicts on pandas."""

from __future__ import annotations

import pandas as pd
import pytest
from pyspark.sql import DataFrame, SparkSession
from tests.spark_jobs import counting_jobs

from databricks_mlops.config.validation import Severity, ValidationRule
from databricks_mlops.datasets import generate_churn
from databricks_mlops.errors import ConfigError, ExpressionError
from databricks_mlops.utils.data_validation import DataValidator

RULES = [
    ValidationRule(
        name="valid_email",
        condition="email.str.contains('@') or email is null",
        severity=Severity.WARNING,
    ),
    ValidationRule(
        name="adult_customers",
        condition="age >= 18 or guardian_email is not null",
        severity=Severity.ERROR,
    ),
    ValidationRule(name="id_present", condition="customer_id is not null"),
    ValidationRule(
        name="known_contract",
        condition="contract_type in ['Month-to-month', 'One year', 'Two year']",
    ),
    ValidationRule(name="unique_ids", condition="unique(customer_id)", severity=Severity.WARNING),
    ValidationRule(name="not_empty", condition="row_count > 0"),
    ValidationRule(name="emails_mostly_present", condition="null_fraction(email) < 0.5"),
    ValidationRule(
        name="charges_per_month", condition="total_charges / tenure >= 0"
    ),  # tenure 0 -> NULL -> fails
]


@pytest.fixture(scope="module")
def churn() -> pd.DataFrame:
    return generate_churn(rows=800, seed=21)


@pytest.fixture(scope="module")
def churn_spark(spark: SparkSession, churn: pd.DataFrame) -> DataFrame:
    return spark.createDataFrame(churn).cache()


def expected_failures(df: pd.DataFrame) -> dict[str, int]:
    """The same rules written by hand in pandas, with SQL's NULL rules spelled out."""
    email_ok = df.email.isna() | df.email.fillna("").str.contains("@", regex=False)
    adult_ok = (df.age >= 18) | df.guardian_email.notna()
    per_month = (df.total_charges / df.tenure.where(df.tenure != 0)) >= 0  # NaN compares False
    return {
        "valid_email": int((~email_ok).sum()),
        "adult_customers": int((~adult_ok).sum()),
        "id_present": int(df.customer_id.isna().sum()),
        "known_contract": int(
            (~df.contract_type.isin(["Month-to-month", "One year", "Two year"])).sum()
        ),
        "unique_ids": 0 if df.customer_id.is_unique else 1,
        "not_empty": 0,
        "emails_mostly_present": 0,
        "charges_per_month": int((~per_month).sum()),
    }


def test_spark_counts_match_an_independent_pandas_computation(
    churn: pd.DataFrame, churn_spark: DataFrame
) -> None:
    result = DataValidator(RULES).validate(churn_spark)
    counts = {r.name: r.failed_count for r in result.rule_results}
    assert counts == expected_failures(churn)
    assert counts["valid_email"] > 0 and counts["adult_customers"] > 0 and counts["unique_ids"] == 1
    assert result.total_rows == len(churn)
    assert (
        not result.passed
    )  # adult_customers is an ERROR rule and the sample has minors without guardians
    assert {r.name for r in result.errors} == {"adult_customers", "charges_per_month"}


def test_pandas_backend_gives_identical_results(
    churn: pd.DataFrame, churn_spark: DataFrame
) -> None:
    on_spark = DataValidator(RULES, sample_failures=0).validate(churn_spark)
    on_pandas = DataValidator(RULES, sample_failures=0).validate(churn)
    strip = lambda r: r.model_dump(exclude={"duration_seconds", "engine"})  # noqa: E731
    assert strip(on_pandas) == strip(on_spark)


def test_samples_are_failing_rows(churn_spark: DataFrame) -> None:
    result = DataValidator(RULES, sample_failures=3).validate(churn_spark)
    adult = next(r for r in result.rule_results if r.name == "adult_customers")
    assert len(adult.sample_failures) == 3
    for row in adult.sample_failures:
        assert row["age"] < 18 and row["guardian_email"] is None


def test_all_rules_cost_one_aggregation(spark: SparkSession, churn_spark: DataFrame) -> None:
    from pyspark.sql import functions as F

    churn_spark.count()  # materialise the cache outside the measurement
    with counting_jobs() as bare:
        churn_spark.agg(F.sum(F.when(F.col("age") >= 18, 0).otherwise(1))).collect()
    with counting_jobs() as one:
        DataValidator(RULES[1:2], sample_failures=0).validate(churn_spark)
    with counting_jobs() as many:
        DataValidator([r for r in RULES if r.name != "unique_ids"], sample_failures=0).validate(
            churn_spark
        )
    # Eight rules cost what one hand-written aggregation costs (AQE may split it in stages-as-jobs).
    assert one.jobs == many.jobs == bare.jobs


def test_bad_rules_fail_before_any_spark_job(spark: SparkSession, churn_spark: DataFrame) -> None:
    bad = [ValidationRule(name="typo", condition="agee >= 18")]
    with (
        counting_jobs() as jobs,
        pytest.raises(ExpressionError, match=r"rule 'typo': .*agee.*did you mean 'age'"),
    ):
        DataValidator(bad).validate(churn_spark)
    assert jobs.jobs == 0


def test_quarantine_needs_a_row_level_rule(churn_spark: DataFrame) -> None:
    rule = ValidationRule(name="q", condition="row_count > 0", quarantine=True)
    with pytest.raises(ConfigError, match="quarantine moves failing rows"):
        DataValidator([rule]).validate(churn_spark)


def test_validator_alone_never_reports_rows_as_quarantined(
    churn: pd.DataFrame, churn_spark: DataFrame
) -> None:
    # Only the validate run moves rows; a bare validation must not turn them green.
    rule = ValidationRule(name="plausible", condition="age >= 0 and age <= 120", quarantine=True)
    for frame in (churn, churn_spark):
        result = DataValidator([rule]).validate(frame)
        assert [(r.outcome, r.passed) for r in result.rule_results] == [("failed", False)]
        assert not result.passed


def test_bare_strings_are_error_rules(churn: pd.DataFrame) -> None:
    result = DataValidator(["column_count > 5", "customers.customer_id is not null"]).validate(
        churn
    )
    assert result.passed
    assert [r.name for r in result.rule_results] == ["rule_1", "rule_2"]
