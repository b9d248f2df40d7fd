"""The churn sample data: determinism, documented quality problems, signal and drift."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from databricks_mlops.datasets import churn, generate_churn
from databricks_mlops.errors import DatasetError

# Large enough that a rate is measured to well under a fifth of itself, still < 0.1 s.
ROWS = 20_000


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    return generate_churn(ROWS, seed=42)


@pytest.fixture(scope="module")
def current() -> pd.DataFrame:
    return generate_churn(ROWS, seed=42, variant="current")


def _share(mask: pd.Series) -> float:
    return float(mask.mean())


# --- shape and determinism ---------------------------------------------------------


def test_frame_has_the_requested_rows_and_documented_columns(reference: pd.DataFrame) -> None:
    assert len(reference) == ROWS
    assert tuple(reference.columns) == churn.COLUMNS


def test_same_seed_gives_an_identical_frame() -> None:
    pd.testing.assert_frame_equal(generate_churn(2000, seed=7), generate_churn(2000, seed=7))


def test_different_seeds_give_different_frames() -> None:
    first, second = generate_churn(2000, seed=1), generate_churn(2000, seed=2)
    assert not first.equals(second)
    assert (first["monthly_charges"] != second["monthly_charges"]).mean() > 0.9


def test_variants_share_no_customer_ids(reference: pd.DataFrame, current: pd.DataFrame) -> None:
    assert not set(reference["customer_id"]) & set(current["customer_id"])


def test_customer_ids_are_c_and_six_or_more_digits(reference: pd.DataFrame) -> None:
    assert reference["customer_id"].str.fullmatch(r"C\d{6,}").all()


def test_column_types_are_what_spark_expects(reference: pd.DataFrame) -> None:
    for name in ("senior_citizen", "partner", "dependents", "phone_service", "tech_support"):
        assert reference[name].dtype == bool, name
    for name in ("age", "tenure", "churn"):
        assert pd.api.types.is_integer_dtype(reference[name].dtype), name
    assert pd.api.types.is_datetime64_dtype(reference["last_update_time"].dtype)
    assert reference["monthly_charges"].round(2).equals(reference["monthly_charges"])
    assert set(reference["churn"].unique()) == {0, 1}


def test_categories_are_the_documented_ones(reference: pd.DataFrame) -> None:
    assert set(reference["contract_type"]) == set(churn.CONTRACT_TYPES)
    assert set(reference["internet_service"]) == set(churn.INTERNET_SERVICES)
    assert set(reference["payment_method"]) == set(churn.PAYMENT_METHODS)
    assert set(reference["region"]) == set(churn.REGIONS)


def test_rows_counts_duplicates_too_for_small_frames() -> None:
    assert len(generate_churn(1)) == 1
    assert len(generate_churn(301)) == 301


# --- plausible relations between columns -------------------------------------------


def test_total_charges_are_about_tenure_times_monthly(reference: pd.DataFrame) -> None:
    billed = reference[reference["tenure"] > 0]
    ratio = billed["total_charges"] / (billed["tenure"] * billed["monthly_charges"])
    assert ratio.median() == pytest.approx(1.0, abs=0.01)
    assert ratio.between(0.8, 1.2).all()


def test_signup_is_tenure_months_before_the_event(reference: pd.DataFrame) -> None:
    days = (
        pd.to_datetime(reference["event_date"]) - pd.to_datetime(reference["signup_date"])
    ).dt.days
    assert (days - reference["tenure"] * 30.4375).abs().max() <= 1


def test_updates_happen_on_or_after_the_event_date(reference: pd.DataFrame) -> None:
    event_day = pd.to_datetime(reference["event_date"])
    assert (reference["last_update_time"] >= event_day).all()


def test_seniors_are_65_or_older(reference: pd.DataFrame) -> None:
    plausible = reference[reference["age"].between(0, churn.MAX_AGE)]
    assert (plausible["senior_citizen"] == (plausible["age"] >= churn.SENIOR_AGE)).all()


def test_customers_without_internet_have_no_tech_support(reference: pd.DataFrame) -> None:
    offline = reference[reference["internet_service"] == "No"]
    assert not offline["tech_support"].any()
    assert offline["phone_service"].all()


# --- deliberate quality problems ---------------------------------------------------


def _null_email(df: pd.DataFrame) -> pd.Series:
    return df["email"].isna()


def _malformed_email(df: pd.DataFrame) -> pd.Series:
    return df["email"].notna() & ~df["email"].str.contains("@", regex=False, na=False)


def _impossible_age(df: pd.DataFrame) -> pd.Series:
    return (df["age"] < 0) | (df["age"] > churn.MAX_AGE)


def _minor(df: pd.DataFrame) -> pd.Series:
    return df["age"].between(0, churn.ADULT_AGE - 1)


def _null_total_charges(df: pd.DataFrame) -> pd.Series:
    return df["total_charges"].isna()


@pytest.mark.parametrize(
    ("problem", "rate"),
    [
        (_null_email, churn.NULL_EMAIL_RATE),
        (_malformed_email, churn.MALFORMED_EMAIL_RATE),
        (_impossible_age, churn.IMPOSSIBLE_AGE_RATE),
        (_minor, churn.MINOR_RATE),
        (_null_total_charges, churn.NEW_CUSTOMER_RATE),
    ],
    ids=["null-email", "malformed-email", "impossible-age", "minor", "null-total-charges"],
)
def test_quality_problem_occurs_at_its_documented_rate(
    reference: pd.DataFrame, problem: Callable[[pd.DataFrame], pd.Series], rate: float
) -> None:
    assert _share(problem(reference)) == pytest.approx(rate, rel=0.2)


def test_impossible_ages_are_both_negative_and_too_old(reference: pd.DataFrame) -> None:
    assert (reference["age"] < 0).any()
    assert (reference["age"] > churn.MAX_AGE).any()


def test_some_minors_have_a_guardian_email_and_some_do_not(reference: pd.DataFrame) -> None:
    minors = reference[_minor(reference)]
    with_guardian = _share(minors["guardian_email"].notna())
    assert with_guardian == pytest.approx(churn.MINOR_WITH_GUARDIAN_SHARE, abs=0.1)
    assert minors["guardian_email"].dropna().str.contains("@", regex=False).all()


def test_only_minors_have_a_guardian_email(reference: pd.DataFrame) -> None:
    assert reference.loc[reference["guardian_email"].notna(), "age"].lt(churn.ADULT_AGE).all()


def test_null_total_charges_belong_to_new_customers(reference: pd.DataFrame) -> None:
    assert (_null_total_charges(reference) == (reference["tenure"] == 0)).all()


def test_duplicates_are_resent_rows_with_a_later_update(reference: pd.DataFrame) -> None:
    repeated = reference[reference["customer_id"].duplicated(keep=False)]
    assert len(repeated) == 2 * round(churn.DUPLICATE_RATE * ROWS)
    by_update = repeated.sort_values(["customer_id", "last_update_time"])
    original = by_update.drop_duplicates("customer_id", keep="first").set_index("customer_id")
    resent = by_update.drop_duplicates("customer_id", keep="last").set_index("customer_id")
    delay = resent["last_update_time"] - original["last_update_time"]
    low, high = churn.DUPLICATE_DELAY_SECONDS
    assert delay.dt.total_seconds().between(low, high).all()
    others = [name for name in churn.COLUMNS if name not in ("customer_id", "last_update_time")]
    pd.testing.assert_frame_equal(original[others], resent[others])


def test_duplicates_are_spread_through_the_frame(reference: pd.DataFrame) -> None:
    later_copies = np.flatnonzero(reference["customer_id"].duplicated())
    assert later_copies.min() < ROWS // 2


# --- churn signal --------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 42, 2024])
def test_reference_churn_rate_is_between_25_and_30_percent(seed: int) -> None:
    assert 0.25 <= generate_churn(ROWS, seed=seed)["churn"].mean() <= 0.30


def test_month_to_month_churns_more_than_two_year(reference: pd.DataFrame) -> None:
    rate = reference.groupby("contract_type")["churn"].mean()
    assert rate["Month-to-month"] > rate["One year"] > rate["Two year"]


@pytest.mark.parametrize(
    ("column", "risky", "safe"),
    [
        ("internet_service", "Fiber optic", "DSL"),
        ("payment_method", "Electronic check", "Mailed check"),
        ("tech_support", False, True),
    ],
)
def test_risky_features_churn_more(
    reference: pd.DataFrame, column: str, risky: object, safe: object
) -> None:
    rate = reference.groupby(column)["churn"].mean()
    assert rate[risky] > rate[safe]


def test_short_tenure_churns_more(reference: pd.DataFrame) -> None:
    short = reference["tenure"] <= 12
    assert reference.loc[short, "churn"].mean() > 2 * reference.loc[~short, "churn"].mean()


def test_a_simple_model_learns_churn() -> None:
    frame = generate_churn(5000, seed=42)
    features = pd.get_dummies(
        frame[["tenure", "monthly_charges", "tech_support", "contract_type", "internet_service"]],
        columns=["contract_type", "internet_service"],
        dtype=float,
    ).astype(float)
    x_train, x_test, y_train, y_test = train_test_split(
        features, frame["churn"], test_size=0.3, random_state=0, stratify=frame["churn"]
    )
    model = LogisticRegression(max_iter=1000).fit(x_train, y_train)
    assert roc_auc_score(y_test, model.predict_proba(x_test)[:, 1]) > 0.7


# --- the drifted variant -------------------------------------------------------------


def test_current_charges_more(reference: pd.DataFrame, current: pd.DataFrame) -> None:
    rise = current["monthly_charges"].mean() - reference["monthly_charges"].mean()
    # The documented shift plus the move to fiber, never less than the shift itself.
    assert rise >= churn.CURRENT_MONTHLY_CHARGES_SHIFT


def test_current_customers_are_newer(reference: pd.DataFrame, current: pd.DataFrame) -> None:
    assert current["tenure"].mean() < 0.85 * reference["tenure"].mean()


@pytest.mark.parametrize(
    ("column", "value", "profile_field", "index"),
    [
        ("contract_type", "Month-to-month", "contract_shares", 0),
        ("internet_service", "Fiber optic", "internet_shares", 1),
    ],
)
def test_current_shares_move_as_documented(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    column: str,
    value: str,
    profile_field: str,
    index: int,
) -> None:
    reference_share = _share(reference[column] == value)
    current_share = _share(current[column] == value)
    assert reference_share == pytest.approx(
        getattr(churn.REFERENCE_PROFILE, profile_field)[index], abs=0.02
    )
    assert current_share == pytest.approx(
        getattr(churn.CURRENT_PROFILE, profile_field)[index], abs=0.02
    )
    assert current_share > reference_share


def test_current_churns_more(reference: pd.DataFrame, current: pd.DataFrame) -> None:
    assert current["churn"].mean() > reference["churn"].mean() + 0.05


def test_current_events_come_after_the_reference_window(
    reference: pd.DataFrame, current: pd.DataFrame
) -> None:
    assert current["event_date"].min() > reference["event_date"].max()


def test_current_keeps_the_quality_problems(current: pd.DataFrame) -> None:
    assert _share(_null_email(current)) == pytest.approx(churn.NULL_EMAIL_RATE, rel=0.2)
    assert current["customer_id"].duplicated().sum() == round(churn.DUPLICATE_RATE * ROWS)


# --- bad arguments -------------------------------------------------------------------


def test_unknown_variant_is_refused_with_a_suggestion() -> None:
    with pytest.raises(
        DatasetError, match=r"Unknown churn variant 'curent' \(did you mean 'current'\?\)"
    ):
        generate_churn(10, variant="curent")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"rows": 0}, r"rows=0: rows must be at least 1"),
        ({"seed": -1}, r"seed=-1: seeds are non-negative"),
    ],
)
def test_impossible_sizes_and_seeds_are_refused(arguments: dict[str, int], message: str) -> None:
    with pytest.raises(DatasetError, match=message):
        generate_churn(**arguments)
