"""Recursive-descent parser: tokens -> frozen AST.

Precedence, loosest first: ``or`` < ``and`` < ``not`` < comparisons / ``in`` / ``is``
< ``+ -`` < ``* / %`` < unary minus < ``.str.method(...)``. Comparisons do not chain
(``a < b < c`` is an error with a hint), unlike Python, because SQL and Python disagree
on what it would mean.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator
from contextlib import contextmanager

from databricks_mlops.errors import ExpressionError, did_you_mean
from databricks_mlops.expressions.nodes import (
    COMPARISON_OPERATORS,
    DATASET_FUNCTIONS,
    DATASET_METRICS,
    STRING_METHODS,
    Binary,
    ColumnRef,
    DatasetMetric,
    Expression,
    FunctionCall,
    InList,
    IsNull,
    Literal,
    StringMethod,
    Unary,
    children,
)
from databricks_mlops.expressions.tokens import Token, TokenKind, tokenize
from databricks_mlops.expressions.types import ExprType

# Bounds keep every later recursive pass (checker, backends) far below Python's stack limit.
MAX_NESTING = 40
MAX_TREE_DEPTH = 100
LARGEST_INTEGER = 2**63 - 1  # Spark's LongType

FUNCTION_SIGNATURES = "null_fraction(column), unique(column)"


# Trees are frozen, so one parse of a text serves every caller (jmespath's compile-once
# cache): the validate task, the static check and the engines each ask for the same rules.
# Bounded so that a long-lived process fed ever new texts does not grow without end.
PARSE_CACHE_SIZE = 512


def parse(text: str) -> Expression:
    """Parse rule text into an AST; raise ExpressionError pointing at the first problem.

    Each text is parsed once per process (errors are not cached: they raise again)."""
    return _parse_cached(text)


@functools.lru_cache(maxsize=PARSE_CACHE_SIZE)
def _parse_cached(text: str) -> Expression:
    parser = _Parser(text, tokenize(text))
    expression = parser.parse_or()
    parser.expect_end()
    _check_tree_depth(expression, text)
    return expression


def parse_cache_info() -> functools._CacheInfo:
    """Hits and misses of the parse cache: ``misses`` is how many texts were parsed."""
    return _parse_cached.cache_info()


def parse_cache_clear() -> None:
    _parse_cached.cache_clear()


class _Parser:
    def __init__(self, text: str, tokens: list[Token]) -> None:
        self.text = text
        self.tokens = tokens
        self.index = 0
        self.nesting = 0

    # -- token helpers -------------------------------------------------------------

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.index + ahead, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.peek()
        self.index = min(self.index + 1, len(self.tokens) - 1)
        return token

    def at_operator(self, *operators: str, ahead: int = 0) -> bool:
        token = self.peek(ahead)
        return token.kind is TokenKind.OPERATOR and token.value in operators

    def at_keyword(self, keyword: str, ahead: int = 0) -> bool:
        token = self.peek(ahead)
        return token.kind is TokenKind.KEYWORD and token.value == keyword

    def error(self, message: str, token: Token) -> ExpressionError:
        return ExpressionError(message, self.text, token.start, max(token.end, token.start + 1))

    def expect_operator(self, operator: str, context: str) -> Token:
        if not self.at_operator(operator):
            token = self.peek()
            raise self.error(f"expected '{operator}' {context}, found {token.describe()}", token)
        return self.advance()

    def expect_end(self) -> None:
        token = self.peek()
        if token.kind is not TokenKind.END:
            hint = ""
            if token.kind is TokenKind.NAME or token.kind is TokenKind.KEYWORD:
                hint = " (join conditions with 'and' / 'or')"
            raise self.error(
                f"unexpected {token.describe()} after a complete expression{hint}", token
            )

    @contextmanager
    def nested(self, token: Token) -> Iterator[None]:
        self.nesting += 1
        if self.nesting > MAX_NESTING:
            raise self.error(
                f"the expression nests deeper than {MAX_NESTING} levels; split it into several rules",
                token,
            )
        try:
            yield
        finally:
            self.nesting -= 1

    # -- grammar, loosest binding first --------------------------------------------

    def parse_or(self) -> Expression:
        left = self.parse_and()
        while self.at_keyword("or"):
            self.advance()
            right = self.parse_and()
            left = Binary("or", left, right, span=(left.span[0], right.span[1]))
        return left

    def parse_and(self) -> Expression:
        left = self.parse_not()
        while self.at_keyword("and"):
            self.advance()
            right = self.parse_not()
            left = Binary("and", left, right, span=(left.span[0], right.span[1]))
        return left

    def parse_not(self) -> Expression:
        if not self.at_keyword("not"):
            return self.parse_comparison()
        token = self.advance()
        with self.nested(token):
            operand = self.parse_not()
        return Unary("not", operand, span=(token.start, operand.span[1]))

    def parse_comparison(self) -> Expression:
        left = self.parse_additive()
        node = self.parse_comparison_tail(left)
        if node is not left and self.at_comparison():
            raise self.error(
                "comparisons cannot be chained; join them with 'and' (a < b and b < c)",
                self.peek(),
            )
        return node

    def at_comparison(self) -> bool:
        return (
            self.at_operator(*COMPARISON_OPERATORS)
            or self.at_keyword("is")
            or self.at_keyword("in")
            or (self.at_keyword("not") and self.at_keyword("in", ahead=1))
        )

    def parse_comparison_tail(self, left: Expression) -> Expression:
        token = self.peek()
        if self.at_operator(*COMPARISON_OPERATORS):
            self.advance()
            right = self.parse_additive()
            return Binary(token.value, left, right, span=(left.span[0], right.span[1]))
        if self.at_keyword("is"):
            self.advance()
            negated = self.at_keyword("not")
            if negated:
                self.advance()
            if not self.at_keyword("null"):
                found = self.peek()
                raise self.error(
                    f"expected 'null' after 'is{' not' if negated else ''}', found "
                    f"{found.describe()} (to compare values use == or !=)",
                    found,
                )
            end = self.advance().end
            return IsNull(left, negated, span=(left.span[0], end))
        if self.at_keyword("in") or (self.at_keyword("not") and self.at_keyword("in", ahead=1)):
            negated = self.at_keyword("not")
            if negated:
                self.advance()
            self.advance()
            items, end = self.parse_list()
            return InList(left, items, negated, span=(left.span[0], end))
        return left

    def parse_list(self) -> tuple[tuple[Literal, ...], int]:
        opening = self.expect_operator("[", "after 'in' (write a list like ['a', 'b'])")
        items: list[Literal] = []
        while not self.at_operator("]"):
            items.append(self.parse_list_item())
            if not self.at_operator(","):
                break
            self.advance()
        if not self.at_operator("]"):
            token = self.peek()
            if token.kind is TokenKind.END:
                raise self.error("this '[' is never closed: add ']'", opening)
            raise self.error(f"expected ',' or ']' in the list, found {token.describe()}", token)
        closing = self.advance()
        if not items:
            raise ExpressionError(
                "an empty list: 'in []' is never true; add values to the list",
                self.text,
                opening.start,
                closing.end,
            )
        return tuple(items), closing.end

    def parse_list_item(self) -> Literal:
        token = self.peek()
        if self.at_operator("-") and self.peek(1).kind is TokenKind.NUMBER:
            self.advance()
            number = self.parse_number(self.advance())
            assert isinstance(number.value, int | float)
            return Literal(-number.value, ExprType.NUMBER, span=(token.start, number.span[1]))
        if token.kind in (TokenKind.NUMBER, TokenKind.STRING) or (
            token.kind is TokenKind.KEYWORD and token.value in ("true", "false", "null")
        ):
            literal = self.parse_primary()
            assert isinstance(literal, Literal)
            return literal
        raise self.error(
            f"list items must be literal values (numbers, strings, true, false, null), "
            f"found {token.describe()}",
            token,
        )

    def parse_additive(self) -> Expression:
        left = self.parse_multiplicative()
        while self.at_operator("+", "-"):
            op = self.advance().value
            right = self.parse_multiplicative()
            left = Binary(op, left, right, span=(left.span[0], right.span[1]))
        return left

    def parse_multiplicative(self) -> Expression:
        left = self.parse_unary()
        while self.at_operator("*", "/", "%"):
            op = self.advance().value
            right = self.parse_unary()
            left = Binary(op, left, right, span=(left.span[0], right.span[1]))
        return left

    def parse_unary(self) -> Expression:
        if not self.at_operator("-"):
            return self.parse_postfix()
        token = self.advance()
        with self.nested(token):
            operand = self.parse_unary()
        span = (token.start, operand.span[1])
        if isinstance(operand, Literal) and operand.type is ExprType.NUMBER:
            # Fold "-3" into one literal so lists and SQL text see a plain number.
            assert isinstance(operand.value, int | float)
            return Literal(-operand.value, ExprType.NUMBER, span=span)
        return Unary("-", operand, span=span)

    def parse_postfix(self) -> Expression:
        node = self.parse_primary()
        while self.at_operator("."):
            node = self.parse_string_method(node)
        return node

    def parse_string_method(self, receiver: Expression) -> StringMethod:
        dot = self.advance()
        accessor = self.peek()
        if accessor.kind is not TokenKind.NAME or accessor.value != "str" or accessor.quoted:
            raise self.error(
                "expected 'str.' after '.': string methods are written col.str.contains('x')",
                accessor if accessor.kind is not TokenKind.END else dot,
            )
        self.advance()
        self.expect_operator(".", "after '.str' (for example .str.contains('x'))")
        method = self.peek()
        if method.kind is not TokenKind.NAME or method.value not in STRING_METHODS:
            known = ", ".join(sorted(STRING_METHODS))
            if method.kind is TokenKind.END:
                raise self.error(f"expected a string method after '.str.' ({known})", method)
            raise self.error(
                f"unknown string method {method.describe()}"
                f"{did_you_mean(method.value, STRING_METHODS)}; string methods: {known}",
                method,
            )
        self.advance()
        self.expect_operator("(", f"after '.str.{method.value}'")
        args, end = self.parse_arguments()
        return StringMethod(method.value, receiver, args, span=(receiver.span[0], end))

    def parse_arguments(self) -> tuple[tuple[Expression, ...], int]:
        """Arguments after an already consumed '(' up to and including ')'."""
        opening = self.tokens[self.index - 1]
        args: list[Expression] = []
        with self.nested(opening):
            while not self.at_operator(")"):
                args.append(self.parse_or())
                if not self.at_operator(","):
                    break
                self.advance()
        if not self.at_operator(")"):
            token = self.peek()
            if token.kind is TokenKind.END:
                raise self.error("this '(' is never closed: add ')'", opening)
            raise self.error(f"expected ',' or ')', found {token.describe()}", token)
        return tuple(args), self.advance().end

    def parse_primary(self) -> Expression:
        token = self.peek()
        if token.kind is TokenKind.NUMBER:
            return self.parse_number(self.advance())
        if token.kind is TokenKind.STRING:
            self.advance()
            return Literal(token.value, ExprType.STRING, span=(token.start, token.end))
        if token.kind is TokenKind.KEYWORD and token.value in ("true", "false", "null"):
            self.advance()
            span = (token.start, token.end)
            if token.value == "null":
                return Literal(None, ExprType.NULL, span=span)
            return Literal(token.value == "true", ExprType.BOOLEAN, span=span)
        if token.kind is TokenKind.NAME:
            return self.parse_name()
        if self.at_operator("("):
            self.advance()
            with self.nested(token):
                inner = self.parse_or()
            if not self.at_operator(")"):
                found = self.peek()
                if found.kind is TokenKind.END:
                    raise self.error("this '(' is never closed: add ')'", token)
                raise self.error(f"expected ')', found {found.describe()}", found)
            self.advance()
            return inner
        if self.at_operator("["):
            raise self.error("a list [...] can only follow 'in' or 'not in'", token)
        if token.kind is TokenKind.END:
            raise self.error("unexpected end of the expression: expected a value", token)
        raise self.error(f"unexpected {token.describe()}: expected a value", token)

    def parse_number(self, token: Token) -> Literal:
        span = (token.start, token.end)
        if any(char in token.value for char in ".eE"):
            value: int | float = float(token.value)
            if not math.isfinite(value):
                raise self.error(f"the number {token.value} is out of range", token)
        else:
            value = int(token.value)
            if value > LARGEST_INTEGER:
                raise self.error(
                    f"the integer {token.value} is too large (at most {LARGEST_INTEGER})", token
                )
        return Literal(value, ExprType.NUMBER, span=span)

    def parse_name(self) -> Expression:
        first = self.advance()
        if self.at_operator("(") and not first.quoted:
            return self.parse_function_call(first)
        parts = [first]
        # ``a.b`` qualifies a column; ``a.str.method(...)`` is a string method instead.
        while (
            self.at_operator(".")
            and self.peek(1).kind is TokenKind.NAME
            and not (
                self.peek(1).value == "str"
                and not self.peek(1).quoted
                and self.at_operator(".", ahead=2)
            )
        ):
            self.advance()
            parts.append(self.advance())
        span = (first.start, parts[-1].end)
        if self.at_operator("("):
            written = ".".join(part.value for part in parts)
            raise ExpressionError(
                f"unknown function '{written}': string methods are written "
                f"col.str.contains('x'); functions: {FUNCTION_SIGNATURES}",
                self.text,
                *span,
            )
        if len(parts) == 1 and not first.quoted and first.value.lower() in DATASET_METRICS:
            return DatasetMetric(first.value.lower(), span=span)
        return ColumnRef(parts[-1].value, tuple(part.value for part in parts[:-1]), span=span)

    def parse_function_call(self, name: Token) -> FunctionCall:
        function = name.value.lower()
        if function not in DATASET_FUNCTIONS:
            raise self.error(
                f"unknown function '{name.value}'{did_you_mean(function, DATASET_FUNCTIONS)}; "
                f"functions: {FUNCTION_SIGNATURES}",
                name,
            )
        self.advance()  # "("
        args, end = self.parse_arguments()
        return FunctionCall(function, args, span=(name.start, end))


def _check_tree_depth(expression: Expression, text: str) -> None:
    """Reject trees too deep for the recursive passes (long ``a + a + ...`` chains)."""
    stack = [(expression, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_TREE_DEPTH:
            raise ExpressionError(
                f"the expression is more than {MAX_TREE_DEPTH} operations deep; "
                "split it into several rules",
                text,
                *node.span,
            )
        stack.extend((child, depth + 1) for child in children(node))
