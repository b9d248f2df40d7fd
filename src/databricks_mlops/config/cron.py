"""Unix cron to the Quartz cron Databricks job schedules take: the one conversion.

Quartz differs from unix cron in three ways that matter here: a leading seconds field,
day-of-week counted from Sunday = 1 (unix: Sunday = 0 or 7, Monday = 1), and exactly one
of day-of-month / day-of-week must be ``?`` (unix ORs them when both are restricted, which
Quartz cannot express, so that is refused rather than silently changed).
"""

from __future__ import annotations

import re

_UNIX_FIELDS = "minute hour day-of-month month day-of-week"
_DAY_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")


def is_quartz(cron: str) -> bool:
    """Quartz expressions have 6 or 7 fields (seconds first, optional year)."""
    return len(cron.split()) in (6, 7)


def quartz_day_of_week(field: str) -> str:
    """Renumber a unix day-of-week field (0/7 = Sunday) for Quartz (1 = Sunday).

    Names (``MON-FRI``) mean the same in both and are kept; ``/step`` values are counts,
    not days, so they are not renumbered."""

    def renumber(match: re.Match[str]) -> str:
        return str(int(match.group()) % 7 + 1)

    parts = []
    for part in field.split(","):
        days, slash, step = part.partition("/")
        parts.append(re.sub(r"\d+", renumber, days) + slash + step)
    return ",".join(parts)


def unix_to_quartz(cron: str) -> str:
    """The Quartz form of ``cron``: unix (5 fields) is converted, Quartz returned as is.

    Raises ``ValueError`` saying what is wrong (callers wrap it in their own error)."""
    fields = cron.split()
    if is_quartz(cron):
        return " ".join(fields)
    if len(fields) != 5:
        raise ValueError(
            f"cron {cron!r} has {len(fields)} fields; write 5 ({_UNIX_FIELDS}, "
            "e.g. '0 */6 * * *') or a 6-7 field Quartz expression"
        )
    minute, hour, day_of_month, month, day_of_week = fields
    if day_of_week == "*":
        day_of_week = "?"
    elif day_of_month == "*":
        day_of_month, day_of_week = "?", quartz_day_of_week(day_of_week)
    else:
        raise ValueError(
            f"cron {cron!r} restricts both day-of-month and day-of-week; Databricks "
            "(Quartz) schedules allow only one of them: set the other to '*'"
        )
    return " ".join(["0", minute, hour, day_of_month, month, day_of_week])
