"""The value types a rule expression can have."""

from __future__ import annotations

import enum


class ExprType(enum.Enum):
    """Type of a column or of a sub-expression, as the type checker sees it."""

    NUMBER = "number"
    STRING = "string"
    BOOLEAN = "true/false"
    DATE = "date"
    TIMESTAMP = "timestamp"
    # The type of the literal ``null``: compatible with every other type.
    NULL = "null"

    @property
    def article(self) -> str:
        """The type with its indefinite article, for messages ("a number")."""
        if self is ExprType.BOOLEAN:
            return "true/false"
        if self is ExprType.NULL:
            return "null"
        return f"{'an' if self.value[0] in 'aeiou' else 'a'} {self.value}"
