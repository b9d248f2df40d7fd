"""Every operator of the rule expression language, with its verdict on a few rows.

Run: ``python examples/expression_validation_example.py`` (pandas; add ``--spark`` to run
the same rules through the PySpark backend as well and check both agree).

A row passes a rule only when the condition is TRUE; FALSE and NULL (SQL three-valued
logic) both fail it. Each case below states the verdicts it expects, so this file is
also a check: it exits non-zero if any backend disagrees.
"""

from __future__ import annotations

import sys

import pandas as pd
from rich.console import Console
from rich.table import Table

from databricks_mlops.errors import ExpressionError
from databricks_mlops.models.validation import Severity, ValidationRule
from databricks_mlops.utils.data_validation import DataValidator

ORDERS = pd.DataFrame(
    {
        "order_id": [1, 2, 3, 4],
        "email": ["ann@example.com", "bob.example.com", None, "dee@shop.io"],
        "age": [34, 17, 52, None],
        "guardian_email": [None, "mum@example.com", None, None],
        "country": ["US", "US", "FR", "DE"],
        "status": ["active", "pending", "closed", "active"],
        "quantity": [2, 1, 3, 4],
        "unit_price": [10.0, 5.0, 7.5, 2.5],
        "total_price": [20.0, 5.0, 22.0, 10.0],
        "discount": [0.0, 1.0, 0.0, 0.0],
    }
)

# (category, condition, expected verdict per row: True = the row passes)
CASES: list[tuple[str, str, list[bool]]] = [
    ("comparison", "age >= 18", [True, False, True, False]),  # NULL age fails
    ("comparison", "country == 'US'", [True, True, False, False]),
    ("comparison", "status != 'closed'", [True, True, False, True]),
    ("comparison", "quantity > 1", [True, False, True, True]),
    ("comparison", "unit_price < 10", [False, True, True, True]),
    ("comparison", "unit_price <= 10", [True, True, True, True]),
    ("comparison", "email is null", [False, False, True, False]),
    ("comparison", "guardian_email is not null", [False, True, False, False]),
    ("string", "email.str.contains('@')", [True, False, False, True]),
    ("string", "email.str.startswith('ann')", [True, False, False, False]),
    ("string", "email.str.endswith('.io')", [False, False, False, True]),
    ("string", "email.str.len() > 11", [True, True, False, False]),
    ("string", "email.str.matches('^[a-z]+@[a-z]+\\.[a-z]+$')", [True, False, False, True]),
    ("logical", "(age >= 18) and (country == 'US')", [True, False, False, False]),
    ("logical", "age >= 18 or guardian_email is not null", [True, True, True, False]),
    ("logical", "not (status == 'closed')", [True, True, False, True]),
    ("logical", "email.str.contains('@') or email is null", [True, False, True, True]),
    ("mathematical", "total_price == quantity * unit_price", [True, True, False, True]),
    ("mathematical", "total_price - discount >= 4", [True, True, True, True]),
    ("mathematical", "total_price / (quantity - 1) > 5", [True, False, True, False]),  # x/0 is NULL
    ("mathematical", "quantity % 2 == 0", [True, False, False, True]),
    ("mathematical", "-unit_price < -5", [True, False, True, False]),
    ("collection", "status in ['active', 'pending']", [True, True, False, True]),
    ("collection", "country not in ['FR', 'DE']", [True, True, False, False]),
    ("dataset", "row_count > 0", [True]),
    ("dataset", "column_count > 5", [True]),
    ("dataset", "unique(order_id)", [True]),
    ("dataset", "null_fraction(email) < 0.1", [False]),  # 1 of 4 is NULL
]

TYPE_ERRORS = [
    "'abc' > 3",  # a string is not comparable with a number
    "age.str.contains('x')",  # string methods need a string column
    "agee >= 18",  # unknown column: did you mean 'age'?
]


def verdicts(frame: object, condition: str) -> list[bool]:
    """Per-row verdicts: the rows that fail are read back from the rule's failure count
    and samples (the validator reports counts, not per-row flags)."""
    rule = ValidationRule(name="case", condition=condition, severity=Severity.ERROR)
    result = DataValidator(rules=[rule], sample_failures=len(ORDERS)).validate(frame)
    outcome = result.rule_results[0]
    if outcome.total_count == 1:  # a dataset-level rule: one verdict
        return [outcome.passed]
    failing = {int(sample["order_id"]) for sample in outcome.sample_failures}
    return [order_id not in failing for order_id in ORDERS["order_id"]]


def main(argv: list[str]) -> int:
    console = Console()
    frames: dict[str, object] = {"pandas": ORDERS}
    if "--spark" in argv:
        from databricks_mlops.runtime import get_runtime

        frames["spark"] = get_runtime().spark.createDataFrame(ORDERS)
    table = Table(title="Rule expressions on 4 orders (TRUE = passes; FALSE/NULL = fails)")
    for header in ("category", "condition", *frames, "expected"):
        table.add_column(header)
    wrong = 0
    for category, condition, expected in CASES:
        found = {name: verdicts(frame, condition) for name, frame in frames.items()}
        wrong += sum(result != expected for result in found.values())
        marks = [" ".join("✓" if ok else "✗" for ok in result) for result in found.values()]
        table.add_row(category, condition, *marks, " ".join("✓" if v else "✗" for v in expected))
    console.print(table)
    for condition in TYPE_ERRORS:
        rule = ValidationRule(name="bad", condition=condition)
        try:
            DataValidator(rules=[rule]).validate(ORDERS)
        except ExpressionError as exc:
            console.print(f"[bold]type error, raised before any data is read:[/bold]\n{exc}\n")
        else:
            console.print(f"[red]{condition!r} was accepted but should be a type error[/red]")
            wrong += 1
    if wrong:
        console.print(f"[red]{wrong} case(s) disagree with the expected verdicts[/red]")
        return 1
    console.print(f"all {len(CASES)} cases agree on {', '.join(frames)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
