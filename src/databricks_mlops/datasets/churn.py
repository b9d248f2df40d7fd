"""Seeded telco customer-churn sample data for the framework's end-to-end example.

The table is shaped like the public "telco customer churn" data, but generated, so
any size can be made offline and the example never depends on a download. Three
things make it useful rather than random:

* ``churn`` is drawn from a logistic model of the features (see ``_churn_logit``),
  so a model trained on it has something real to learn;
* it carries deliberate data-quality problems at the documented ``*_RATE`` constants
  below, so the validation rules of the example have something to catch;
* ``variant="current"`` is a drifted later snapshot (``CURRENT_PROFILE``), so drift
  monitoring has something to detect.

Everything is vectorised numpy; one ``numpy.random.Generator`` per call, seeded from
``(seed, profile.seed_stream)``, so a seed always gives the same frame and the two
variants never share a random stream.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, get_args

import numpy as np
import numpy.typing as npt
import pandas as pd

from databricks_mlops.errors import DatasetError, did_you_mean

Variant = Literal["reference", "current"]
VARIANTS: tuple[str, ...] = get_args(Variant)

# --- Deliberate data-quality problems --------------------------------------------
# Each rate is a share of the unique customers, applied as an exact count
# (``round(rate * customers)``) to randomly chosen rows; the problems of one kind are
# disjoint (an email is either null or malformed, never both). Re-sent duplicates copy
# a row with its problems, so over the whole frame the shares stay close to the rates.

NULL_EMAIL_RATE = 0.02
"""Share of customers whose ``email`` is null."""

MALFORMED_EMAIL_RATE = 0.01
"""Share of customers whose ``email`` has no ``@`` (dropped, or typed as `` at ``)."""

IMPOSSIBLE_AGE_RATE = 0.005
"""Share of customers with an impossible ``age``: half negative, half above 120."""

MINOR_RATE = 0.02
"""Share of customers who are minors (``age`` 14 to 17)."""

MINOR_WITH_GUARDIAN_SHARE = 0.6
"""Share of the minors that have a ``guardian_email``; the rest have none (a rule breach)."""

DUPLICATE_RATE = 0.01
"""Share of the *rows* that are re-sent copies of another row with a later ``last_update_time``."""

NEW_CUSTOMER_RATE = 0.01
"""Share of customers with ``tenure`` 0, whose ``total_charges`` is null (nothing billed yet)."""

MAX_AGE = 120
"""Ages above this (or below 0) are impossible; the generator's true ages stay in 14..90."""

ADULT_AGE = 18
SENIOR_AGE = 65
MAX_TENURE_MONTHS = 72

DUPLICATE_DELAY_SECONDS = (3_600, 7 * 86_400)
"""A re-sent row's ``last_update_time`` is its original's plus 1 hour to 7 days."""

# --- Categories --------------------------------------------------------------------

CONTRACT_TYPES = ("Month-to-month", "One year", "Two year")
INTERNET_SERVICES = ("DSL", "Fiber optic", "No")
PAYMENT_METHODS = (
    "Electronic check",
    "Mailed check",
    "Bank transfer (automatic)",
    "Credit card (automatic)",
)
PAYMENT_SHARES = (0.34, 0.23, 0.22, 0.21)
GENDERS = ("Female", "Male")
REGIONS = ("Northeast", "Midwest", "South", "West")
REGION_SHARES = (0.18, 0.21, 0.38, 0.23)

# example.* domains (RFC 2606) so no generated address can reach a real mailbox.
EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example.com")
_FIRST_NAMES = (
    "james", "mary", "john", "patricia", "robert", "jennifer", "michael", "linda",
    "david", "elizabeth", "maria", "wei", "ahmed", "fatima", "carlos", "ana",
    "yuki", "olga", "kwame", "priya",
)  # fmt: skip
_LAST_NAMES = (
    "smith", "johnson", "williams", "brown", "jones", "garcia", "miller", "davis",
    "rodriguez", "martinez", "nguyen", "kim", "patel", "chen", "okafor", "novak",
    "silva", "tanaka", "muller", "haddad",
)  # fmt: skip


# --- Reference and drifted profiles ------------------------------------------------


@dataclass(frozen=True)
class ChurnProfile:
    """The distribution knobs of one variant; the drift is the difference of two of these."""

    seed_stream: int
    """Mixed with the seed, so the variants draw from unrelated streams."""
    first_customer_number: int
    """``customer_id`` numbers start here, so the two variants never share an id."""
    event_start: date
    event_days: int
    """``event_date`` is uniform over ``event_days`` days from ``event_start``."""
    contract_shares: tuple[float, float, float]
    """Shares of ``CONTRACT_TYPES``."""
    internet_shares: tuple[float, float, float]
    """Shares of ``INTERNET_SERVICES``."""
    tenure_scale: float
    """Multiplies every drawn tenure (below 1: a younger customer base)."""
    monthly_charges_shift: float
    """Added to every monthly charge (a price rise)."""
    churn_logit_shift: float
    """Added to the churn log-odds on top of what the shifted features already cause."""


REFERENCE_PROFILE = ChurnProfile(
    seed_stream=0,
    first_customer_number=1,
    event_start=date(2024, 1, 1),
    event_days=182,
    contract_shares=(0.55, 0.21, 0.24),
    internet_shares=(0.34, 0.44, 0.22),
    tenure_scale=1.0,
    monthly_charges_shift=0.0,
    churn_logit_shift=0.0,
)

# The documented drift of ``variant="current"`` (tests of drift detection rely on it):
CURRENT_MONTHLY_CHARGES_SHIFT = 8.0
CURRENT_TENURE_SCALE = 0.75
CURRENT_CONTRACT_SHARES = (0.65, 0.18, 0.17)
CURRENT_INTERNET_SHARES = (0.30, 0.52, 0.18)
CURRENT_CHURN_LOGIT_SHIFT = 0.1

CURRENT_PROFILE = ChurnProfile(
    seed_stream=1,
    first_customer_number=1_000_001,
    event_start=date(2024, 7, 1),
    event_days=92,
    contract_shares=CURRENT_CONTRACT_SHARES,
    internet_shares=CURRENT_INTERNET_SHARES,
    tenure_scale=CURRENT_TENURE_SCALE,
    monthly_charges_shift=CURRENT_MONTHLY_CHARGES_SHIFT,
    churn_logit_shift=CURRENT_CHURN_LOGIT_SHIFT,
)

PROFILES: dict[str, ChurnProfile] = {"reference": REFERENCE_PROFILE, "current": CURRENT_PROFILE}

COLUMNS = (
    "customer_id", "age", "gender", "senior_citizen", "partner", "dependents", "tenure",
    "phone_service", "internet_service", "tech_support", "contract_type", "payment_method",
    "paperless_billing", "monthly_charges", "total_charges", "email", "guardian_email",
    "signup_date", "last_update_time", "event_date", "region", "churn",
)  # fmt: skip

_BoolArray = npt.NDArray[np.bool_]
_FloatArray = npt.NDArray[np.float64]
_IntArray = npt.NDArray[np.int64]
_StrArray = npt.NDArray[np.str_]

_DAYS_PER_MONTH = 30.4375


def generate_churn(
    rows: int = 5000, seed: int = 42, variant: Variant = "reference"
) -> pd.DataFrame:
    """Return ``rows`` rows of seeded telco churn data (see the module docstring).

    ``rows`` counts every row, re-sent duplicates included, so the frame has exactly
    that length; the same ``(rows, seed, variant)`` always gives an identical frame.
    """
    _check_arguments(rows, seed, variant)
    profile = PROFILES[variant]
    rng = np.random.default_rng([seed, profile.seed_stream])
    duplicates = round(DUPLICATE_RATE * rows)
    unique = rows - duplicates
    columns = _generate_customers(unique, profile, rng)

    # Re-send copies of distinct rows, then shuffle once so the copies sit among the
    # others as in a real feed: one row selection per column, no DataFrame copies.
    resent = rng.choice(unique, size=duplicates, replace=False)
    delay = np.zeros(rows, dtype="timedelta64[s]")
    low, high = DUPLICATE_DELAY_SECONDS
    delay[unique:] = rng.integers(low, high + 1, duplicates).astype("timedelta64[s]")
    order = rng.permutation(rows)
    selection = np.concatenate([np.arange(unique), resent])[order]
    frame = {name: values[selection] for name, values in columns.items()}
    # Microseconds: Spark's timestamp precision (it cannot read nanosecond parquet).
    frame["last_update_time"] = (frame["last_update_time"] + delay[order]).astype("datetime64[us]")
    # Plain dates (not midnight timestamps), so parquet stores DATE columns.
    for name in ("signup_date", "event_date"):
        frame[name] = frame[name].astype(object)
    return pd.DataFrame(frame, columns=list(COLUMNS))


def _check_arguments(rows: int, seed: int, variant: str) -> None:
    if rows < 1:
        raise DatasetError(f"Cannot generate churn data with rows={rows}: rows must be at least 1")
    if seed < 0:
        raise DatasetError(f"Cannot generate churn data with seed={seed}: seeds are non-negative")
    if variant not in PROFILES:
        raise DatasetError(
            f"Unknown churn variant '{variant}'{did_you_mean(variant, PROFILES)}; "
            f"choose one of {', '.join(PROFILES)}"
        )


def _generate_customers(
    n: int, profile: ChurnProfile, rng: np.random.Generator
) -> dict[str, npt.NDArray[Any]]:
    """One array per column of ``COLUMNS``, one row per unique customer."""
    true_age = np.minimum(ADULT_AGE + rng.gamma(4.0, 7.5, n).astype(np.int64), 90)
    minor = _pick(rng, n, MINOR_RATE)
    true_age[minor] = rng.integers(14, ADULT_AGE, minor.size)
    senior = true_age >= SENIOR_AGE
    partner = rng.random(n) < 0.48
    dependents = rng.random(n) < np.where(partner, 0.45, 0.1)

    contract = _categorical(rng, n, profile.contract_shares)
    tenure = _tenure(rng, contract, profile)
    internet = _categorical(rng, n, profile.internet_shares)
    has_internet = internet != 2
    # Every customer buys at least one service: no internet means phone.
    phone = (rng.random(n) < 0.9) | ~has_internet
    support_chance = 0.25 + 0.15 * (contract == 1) + 0.3 * (contract == 2)
    tech_support = has_internet & (rng.random(n) < support_chance)
    payment = _categorical(rng, n, PAYMENT_SHARES)
    paperless = rng.random(n) < 0.59

    monthly = _monthly_charges(rng, phone, internet, tech_support, profile)
    total = np.round(tenure * monthly * rng.normal(1.0, 0.04, n), 2)
    total[tenure == 0] = np.nan

    logit = _churn_logit(
        contract=contract,
        tenure=tenure,
        internet=internet,
        payment=payment,
        monthly=monthly,
        tech_support=tech_support,
        senior=senior,
        paperless=paperless,
        partner=partner,
        dependents=dependents,
    )
    churn_chance = 1.0 / (1.0 + np.exp(-(logit + profile.churn_logit_shift)))
    churn = (rng.random(n) < churn_chance).astype(np.int64)

    numbers = np.arange(profile.first_customer_number, profile.first_customer_number + n)
    last_names = np.asarray(_LAST_NAMES)[rng.integers(0, len(_LAST_NAMES), n)]
    event_day = np.datetime64(profile.event_start, "D") + rng.integers(
        0, profile.event_days, n
    ).astype("timedelta64[D]")
    signup_day = event_day - np.round(tenure * _DAYS_PER_MONTH).astype("timedelta64[D]")
    last_update = event_day.astype("datetime64[s]") + rng.integers(0, 86_400, n).astype(
        "timedelta64[s]"
    )

    return {
        "customer_id": np.strings.add("C", np.strings.zfill(numbers.astype(str), 6)).astype(object),
        "age": _recorded_age(rng, true_age, minor),
        "gender": _labels(GENDERS)[rng.integers(0, len(GENDERS), n)],
        "senior_citizen": senior,
        "partner": partner,
        "dependents": dependents,
        "tenure": tenure,
        "phone_service": phone,
        "internet_service": _labels(INTERNET_SERVICES)[internet],
        "tech_support": tech_support,
        "contract_type": _labels(CONTRACT_TYPES)[contract],
        "payment_method": _labels(PAYMENT_METHODS)[payment],
        "paperless_billing": paperless,
        "monthly_charges": monthly,
        "total_charges": total,
        "email": _emails(rng, numbers, last_names),
        "guardian_email": _guardian_emails(rng, numbers, last_names, minor),
        "signup_date": signup_day,
        "last_update_time": last_update,
        "event_date": event_day,
        "region": _labels(REGIONS)[_categorical(rng, n, REGION_SHARES)],
        "churn": churn,
    }


def _labels(categories: tuple[str, ...]) -> npt.NDArray[np.object_]:
    """Categories as an object array, so indexing it shares the str objects (fast)."""
    return np.asarray(categories, dtype=object)


def _pick(rng: np.random.Generator, n: int, rate: float) -> _IntArray:
    """Exactly ``round(rate * n)`` distinct row positions."""
    return rng.choice(n, size=round(rate * n), replace=False)


def _categorical(
    rng: np.random.Generator, n: int, shares: tuple[float, ...]
) -> npt.NDArray[np.intp]:
    """Indices into a category tuple, drawn with the given shares."""
    probabilities = np.asarray(shares, dtype=np.float64)
    return rng.choice(len(shares), size=n, p=probabilities / probabilities.sum())


def _tenure(
    rng: np.random.Generator, contract: npt.NDArray[np.intp], profile: ChurnProfile
) -> _IntArray:
    # Longer contracts mean longer-standing customers: beta means ~0.27 / 0.53 / 0.74.
    alpha = np.array([0.8, 2.0, 3.5])[contract]
    beta = np.array([2.2, 1.8, 1.2])[contract]
    drawn = rng.beta(alpha, beta) * (MAX_TENURE_MONTHS - 1) * profile.tenure_scale
    tenure = 1 + np.round(drawn).astype(np.int64)
    tenure[_pick(rng, contract.size, NEW_CUSTOMER_RATE)] = 0
    return tenure


def _monthly_charges(
    rng: np.random.Generator,
    phone: _BoolArray,
    internet: npt.NDArray[np.intp],
    tech_support: _BoolArray,
    profile: ChurnProfile,
) -> _FloatArray:
    internet_price = np.array([30.0, 60.0, 0.0])[internet]
    charges = (
        5.0
        + 20.0 * phone
        + internet_price
        + 8.0 * tech_support
        + rng.normal(0.0, 6.0, phone.size)
        + profile.monthly_charges_shift
    )
    # Clipped to a plausible price list; cents, as a bill shows them.
    priced: _FloatArray = np.round(np.clip(charges, 18.0, 130.0), 2)
    return priced


def _churn_logit(
    *,
    contract: npt.NDArray[np.intp],
    tenure: _IntArray,
    internet: npt.NDArray[np.intp],
    payment: npt.NDArray[np.intp],
    monthly: _FloatArray,
    tech_support: _BoolArray,
    senior: _BoolArray,
    paperless: _BoolArray,
    partner: _BoolArray,
    dependents: _BoolArray,
) -> _FloatArray:
    """Log-odds of churning; the intercept puts the reference churn rate near 27%."""
    logit: _FloatArray = (
        -1.25
        + np.array([1.3, 0.2, -0.8])[contract]  # month-to-month / one year / two year
        - 0.035 * tenure
        + np.array([0.0, 0.6, -0.5])[internet]  # DSL / fiber optic / none
        + np.array([0.6, 0.0, -0.2, -0.2])[payment]  # electronic check churns most
        + 0.015 * (monthly - 65.0)
        - 0.5 * tech_support
        + 0.3 * senior
        + 0.25 * paperless
        - 0.15 * partner
        - 0.2 * dependents
    )
    return logit


def _recorded_age(rng: np.random.Generator, true_age: _IntArray, minor: _IntArray) -> _IntArray:
    """The age as entered, with ``IMPOSSIBLE_AGE_RATE`` typos among the adults."""
    age = true_age.copy()
    adults = np.setdiff1d(np.arange(age.size), minor, assume_unique=True)
    typos = rng.permutation(adults)[: round(IMPOSSIBLE_AGE_RATE * age.size)]
    negative, too_old = typos[: typos.size // 2], typos[typos.size // 2 :]
    age[negative] = -rng.integers(1, 10, negative.size)
    age[too_old] = rng.integers(MAX_AGE + 1, 200, too_old.size)
    return age


def _emails(
    rng: np.random.Generator, numbers: _IntArray, last_names: _StrArray
) -> npt.NDArray[np.object_]:
    n = numbers.size
    first = np.asarray(_FIRST_NAMES)[rng.integers(0, len(_FIRST_NAMES), n)]
    domain = np.asarray(EMAIL_DOMAINS)[rng.integers(0, len(EMAIL_DOMAINS), n)]
    local = np.strings.add(np.strings.add(first, "."), last_names)
    local = np.strings.add(local, numbers.astype(str))
    emails = np.strings.add(np.strings.add(local, "@"), domain).astype(object)

    problems = rng.permutation(n)
    nulls = problems[: round(NULL_EMAIL_RATE * n)]
    malformed = problems[nulls.size : nulls.size + round(MALFORMED_EMAIL_RATE * n)]
    at_typed, at_dropped = malformed[: malformed.size // 2], malformed[malformed.size // 2 :]
    emails[at_typed] = np.strings.add(np.strings.add(local[at_typed], " at "), domain[at_typed])
    emails[at_dropped] = np.strings.add(local[at_dropped], domain[at_dropped])
    emails[nulls] = None
    return emails


def _guardian_emails(
    rng: np.random.Generator, numbers: _IntArray, last_names: _StrArray, minor: _IntArray
) -> npt.NDArray[np.object_]:
    guardian_emails = np.full(numbers.size, None, dtype=object)
    with_guardian = minor[: round(MINOR_WITH_GUARDIAN_SHARE * minor.size)]
    local = np.strings.add("guardian.", last_names[with_guardian])
    local = np.strings.add(local, numbers[with_guardian].astype(str))
    domain = np.asarray(EMAIL_DOMAINS)[rng.integers(0, len(EMAIL_DOMAINS), with_guardian.size)]
    guardian_emails[with_guardian] = np.strings.add(np.strings.add(local, "@"), domain)
    return guardian_emails
