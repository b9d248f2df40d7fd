"""A validation result as a person reads it in a terminal or a job log."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from databricks_mlops.validation.results import ValidationResult

_STYLE = {"passed": "green", "failed": "red", "quarantined": "yellow"}


def print_result(result: ValidationResult, *, title: str, console: Console | None = None) -> None:
    view = Table(title=f"{title}: {result.total_rows} rows, {result.engine}")
    for header in ("rule", "severity", "outcome", "failed", "of", "condition"):
        view.add_column(header, overflow="fold")
    for rule in result.rule_results:
        style = (
            _STYLE[rule.outcome]
            if rule.outcome != "failed" or rule.severity.value == "error"
            else "yellow"
        )
        view.add_row(
            escape(rule.name),
            rule.severity.value,
            f"[{style}]{rule.outcome}[/]",
            str(rule.failed_count),
            str(rule.total_count),
            escape(rule.condition),
        )
    (console or Console()).print(view)
    verdict = "[green]PASSED[/]" if result.passed else "[red]FAILED[/]"
    (console or Console()).print(f"validation {verdict} ({len(result.failures)} rule(s) not met)")
