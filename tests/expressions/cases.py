"""Expression cases kept as data, run against every backend by test_backends.py.

A dataset is a Spark DDL schema plus rows; a case names a dataset, an expression and the
expected three-valued verdict per row (True / False / None for NULL), or, for a
dataset-level rule, the one expected value.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

D = dt.date


@dataclass(frozen=True)
class Dataset:
    schema: dict[str, str]  # column -> Spark type
    rows: list[dict[str, Any]]


DATASETS: dict[str, Dataset] = {
    "people": Dataset(
        schema={
            "id": "bigint",
            "age": "bigint",
            "email": "string",
            "guardian_email": "string",
            "country": "string",
            "status": "string",
            "score": "double",
            "active": "boolean",
            "joined": "date",
        },
        rows=[
            {
                "id": 1,
                "age": 30,
                "email": "a@x.com",
                "guardian_email": None,
                "country": "US",
                "status": "active",
                "score": 10.0,
                "active": True,
                "joined": D(2024, 1, 15),
            },
            {
                "id": 2,
                "age": 15,
                "email": None,
                "guardian_email": "mom@x.com",
                "country": "US",
                "status": "pending",
                "score": 0.0,
                "active": False,
                "joined": D(2023, 6, 1),
            },
            {
                "id": 3,
                "age": 16,
                "email": "bad",
                "guardian_email": None,
                "country": "FR",
                "status": "closed",
                "score": None,
                "active": None,
                "joined": None,
            },
            {
                "id": 4,
                "age": None,
                "email": "O'Brien@x.ie",
                "guardian_email": None,
                "country": None,
                "status": None,
                "score": -7.5,
                "active": True,
                "joined": D(2024, 3, 1),
            },
            {
                "id": None,
                "age": 45,
                "email": "",
                "guardian_email": None,
                "country": "US",
                "status": "ACTIVE",
                "score": 2.5,
                "active": False,
                "joined": D(2022, 12, 31),
            },
        ],
    ),
    "orders": Dataset(
        schema={
            "quantity": "bigint",
            "unit_price": "double",
            "total_price": "double",
            "discount": "bigint",
        },
        rows=[
            {"quantity": 3, "unit_price": 2.5, "total_price": 7.5, "discount": 0},
            {"quantity": 2, "unit_price": 10.0, "total_price": 19.0, "discount": 5},
            {"quantity": None, "unit_price": 1.0, "total_price": 1.0, "discount": 2},
            {"quantity": 4, "unit_price": 0.25, "total_price": 1.0, "discount": None},
            {"quantity": 7, "unit_price": -3.0, "total_price": -21.0, "discount": 3},
        ],
    ),
    # Names that need quoting: a SQL keyword, spaces, a dot, a backquote, a metric's name.
    "odd_names": Dataset(
        schema={
            "select": "string",
            "monthly charges": "double",
            "customers.id": "bigint",
            "id": "bigint",
            "row_count": "bigint",
            "we`ird": "string",
        },
        rows=[
            {
                "select": "a",
                "monthly charges": 10.0,
                "customers.id": 1,
                "id": 100,
                "row_count": 5,
                "we`ird": "x",
            },
            {
                "select": None,
                "monthly charges": 20.5,
                "customers.id": None,
                "id": 200,
                "row_count": 1,
                "we`ird": None,
            },
            {
                "select": "it's",
                "monthly charges": None,
                "customers.id": 3,
                "id": None,
                "row_count": 2,
                "we`ird": "y",
            },
        ],
    ),
    "empty": Dataset(schema={"x": "bigint", "name": "string"}, rows=[]),
}

T, F, N = True, False, None

# (dataset, expression, expected verdict per row)
ROW_CASES: list[tuple[str, str, list[bool | None]]] = [
    # The seed's rules.
    ("people", "email.str.contains('@') or email is null", [T, T, F, T, F]),
    ("people", "age >= 18 or guardian_email is not null", [T, T, F, N, T]),
    ("people", "(age >= 18) and (country == 'US')", [T, F, F, N, T]),
    ("orders", "total_price == quantity * unit_price", [T, F, N, T, T]),
    ("people", "status in ['active', 'pending']", [T, T, F, N, F]),
    ("people", "customers.id is not null", [T, T, T, T, F]),
    # Comparisons.
    ("people", "age == 30", [T, F, F, N, F]),
    ("people", "age != 30", [F, T, T, N, T]),
    ("people", "age > 16", [T, F, F, N, T]),
    ("people", "age >= 16", [T, F, T, N, T]),
    ("people", "age < 16", [F, T, F, N, F]),
    ("people", "age <= 16", [F, T, T, N, F]),
    ("people", "country < 'US'", [F, F, T, N, F]),
    ("people", "30 == age", [T, F, F, N, F]),
    ("people", "active == true", [T, F, N, T, F]),
    ("people", "active != false", [T, F, N, T, F]),
    ("people", "joined >= '2024-01-01'", [T, F, N, T, F]),
    ("people", "joined in ['2023-06-01', '2022-12-31']", [F, T, N, F, T]),
    # is null / is not null, keywords in any case.
    ("people", "email is null", [F, T, F, F, F]),
    ("people", "email IS NOT NULL", [T, F, T, T, T]),
    ("people", "email IS NULL OR age IN [30]", [T, T, F, N, F]),
    ("people", "null is null", [T, T, T, T, T]),
    # String methods match literally; NULL in, NULL out.
    ("people", "email.str.contains('.')", [T, N, F, T, F]),
    ("people", "email.str.contains('_')", [F, N, F, F, F]),
    ("people", "email.str.contains('%')", [F, N, F, F, F]),
    ("people", "email.str.startswith('a@')", [T, N, F, F, F]),
    ("people", "email.str.endswith('.com')", [T, N, F, F, F]),
    ("people", "email.str.len() > 3", [T, N, F, T, F]),
    ("people", "email.str.matches('^[a-z]+@')", [T, N, F, F, F]),
    ("people", "email.str.matches('x\\.')", [T, N, F, T, F]),
    ("people", "email.str.contains('')", [T, N, T, T, T]),
    # String literal escaping.
    ("people", "email == 'O''Brien@x.ie'", [F, N, F, T, F]),
    ("people", 'email == "O\'Brien@x.ie"', [F, N, F, T, F]),
    ("people", "email == 'O\\'Brien@x.ie'", [F, N, F, T, F]),
    ("people", "status != 'it''s \\\\ '' \" `'", [T, T, T, N, T]),
    # Three-valued logic.
    ("people", "age > 20 or score < 0", [T, F, N, T, T]),
    ("people", "age > 1 and score > 5", [T, F, N, F, F]),
    ("people", "age > 1 and active", [T, F, N, N, F]),
    ("people", "not active", [F, T, N, F, T]),
    ("people", "not (age > 20 or score < 0)", [F, T, N, F, F]),
    ("people", "not null", [N, N, N, N, N]),
    ("people", "null == 1", [N, N, N, N, N]),
    ("people", "null or true", [T, T, T, T, T]),
    ("people", "null and false", [F, F, F, F, F]),
    # Precedence: and binds tighter than or; not looser than comparisons.
    ("people", "age < 20 or active and country == 'FR'", [F, T, T, N, F]),
    ("people", "(age < 20 or active) and country == 'FR'", [F, F, T, N, F]),
    ("orders", "not quantity > 2", [F, T, N, F, F]),
    ("orders", "not not quantity > 2", [T, F, N, T, T]),
    # Arithmetic: precedence, left associativity, unary minus, number syntax.
    ("orders", "quantity + discount * 2 == 3", [T, F, N, N, F]),
    ("orders", "(quantity + discount) * 2 == 6", [T, F, N, N, F]),
    ("orders", "quantity - discount - 1 == 2", [T, F, N, N, F]),
    ("orders", "-quantity * 2 + 1 < -5", [F, F, N, T, T]),
    ("orders", "quantity / 2 == 1.5", [T, F, N, F, F]),
    ("orders", "unit_price * 1e1 >= 25", [T, T, F, F, F]),
    ("orders", "unit_price < .5", [F, F, F, T, T]),
    ("orders", "null + quantity > 1", [N, N, N, N, N]),
    # Division and modulo by zero are NULL; % truncates like Spark (-3 % 2 == -1).
    ("orders", "total_price / discount > 1", [N, T, F, N, F]),
    ("orders", "quantity % discount == 1", [N, F, N, N, T]),
    ("orders", "unit_price % 2 == -1", [F, F, F, F, T]),
    ("orders", "quantity / 0 is null", [T, T, T, T, T]),
    # in / not in with NULL (SQL rule).
    ("orders", "quantity in [3, null]", [T, N, N, N, N]),
    ("orders", "quantity not in [3, 4]", [F, T, N, F, T]),
    ("orders", "quantity not in [3, null]", [F, N, N, N, N]),
    ("orders", "discount in [-1, 0, 5]", [T, T, F, N, F]),
    # Names: SQL keywords, spaces, dots, backquotes; a real column beats a metric.
    ("odd_names", "select == 'a'", [T, N, F]),
    ("odd_names", "select == 'it''s'", [F, N, T]),
    ("odd_names", "`monthly charges` > 15", [F, T, N]),
    ("odd_names", "customers.id is not null", [T, F, T]),
    ("odd_names", "`customers.id` == 3", [F, N, T]),
    ("odd_names", "t.id > 150", [F, T, N]),
    ("odd_names", "row_count > 1", [T, F, T]),
    ("odd_names", "`we``ird` == 'x'", [T, N, F]),
]

# (dataset, expression, expected value of the dataset-level rule)
DATASET_CASES: list[tuple[str, str, bool | None]] = [
    ("people", "column_count > 5", T),
    ("people", "column_count == 9", T),
    ("people", "row_count == 5", T),
    ("people", "row_count * 2 > column_count", T),
    ("people", "unique(id)", T),
    ("people", "unique(country)", F),
    ("people", "not unique(status)", F),
    ("people", "null_fraction(email) == 0.2", T),
    ("people", "null_fraction(age) < 0.5 and unique(id)", T),
    ("people", "unique(email) and row_count > 100", F),
    ("odd_names", "unique(`customers.id`)", T),
    ("odd_names", "null_fraction(select) > 0.3", T),
    ("empty", "row_count == 0", T),
    ("empty", "unique(x)", T),
    ("empty", "null_fraction(x) is null", T),
    ("empty", "null_fraction(x) > 0.5", N),
]

# (expression, message fragment, caret start, caret end); checked against "people".
ERROR_CASES: list[tuple[str, str, int, int]] = [
    ("age >=", "unexpected end of the expression", 6, 7),
    ("email.str.foo('x')", "unknown string method 'foo'", 10, 13),
    ("__import__('os')", "unknown function '__import__'", 0, 10),
    ("age > 'x'", "cannot compare a number with a string", 6, 9),
    ("agee > 3", "unknown column 'agee' (did you mean 'age'?)", 0, 4),
    ("'abc' > 3", "cannot compare a string with a number", 0, 9),
    ("age.str.contains('x')", "needs a string, but 'age' is a number", 0, 3),
    ("not age", "'not' needs a true/false value, but 'age' is a number", 4, 7),
    ("email + 1", "'+' needs numbers on both sides, but 'email' is a string", 0, 5),
    ("age = 18", "use '==' to compare", 4, 5),
    ("age > 1 && active", "use 'and' instead of '&&'", 8, 10),
    ("(age > 3", "this '(' is never closed", 0, 1),
    ("age > 3)", "unexpected ')' after a complete expression", 7, 8),
    ("email == 'abc", "unterminated string", 9, 13),
    ("`email == 1", "unterminated column name", 0, 11),
    ("age > 3 # x", "unexpected character '#'", 8, 9),
    ("age > 1e", "exponent needs digits", 6, 8),
    ("age > 3 age", "unexpected 'age' after a complete expression", 8, 11),
    ("age > row_count", "'row_count' is one value for the whole dataset", 6, 15),
    ("unique(age + 1)", "unique() takes exactly one column name", 7, 14),
    ("null_fraction()", "null_fraction() takes exactly one column name", 0, 15),
    ("age", "a rule must be true/false, this is a number", 0, 3),
    ("age < 3 < 5", "comparisons cannot be chained", 8, 9),
    ("active > false", "'>' cannot order true/false values", 0, 14),
    ("status in ['a', 3]", "'3' is a number, but 'status' is a string", 16, 17),
    ("status in []", "an empty list", 10, 12),
    ("status in 'a'", "expected '[' after 'in'", 10, 13),
    ("status is 'x'", "expected 'null' after 'is'", 10, 13),
    ("joined > '2024-13-01'", "'2024-13-01' is not a date", 9, 21),
    ("email.str.contains(3)", "must be a quoted string like 'x', not '3'", 19, 20),
    ("email.str.len(1)", "takes no arguments, got 1", 0, 16),
    ("email.str.matches('(')", "invalid regular expression", 18, 21),
    ("email.contains('x')", "unknown function 'email.contains'", 0, 14),
    ("(email).upper", "expected 'str.' after '.'", 8, 13),
    ("email.upper == 'x'", "unknown column 'email.upper'", 0, 11),
    ("status in [country]", "list items must be literal values", 11, 18),
    ("age > 99999999999999999999", "too large", 6, 26),
    ("", "unexpected end of the expression", 0, 1),
]
