"""Parser structure (precedence, names, literals) and the any-text-is-safe property."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from databricks_mlops.errors import ExpressionError
from databricks_mlops.expressions import (
    Binary,
    ColumnRef,
    CompiledRule,
    DatasetMetric,
    Expression,
    ExprType,
    FunctionCall,
    InList,
    Literal,
    StringMethod,
    Unary,
    check,
    compile_rule,
    parse,
)


def shape(node: Expression) -> object:
    """A compact, span-free rendering of the tree, to compare structure."""
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, ColumnRef):
        return node.written
    if isinstance(node, DatasetMetric):
        return f"<{node.name}>"
    if isinstance(node, Unary):
        return (node.op, shape(node.operand))
    if isinstance(node, Binary):
        return (shape(node.left), node.op, shape(node.right))
    if isinstance(node, StringMethod):
        return (shape(node.receiver), f".{node.method}", *(shape(a) for a in node.args))
    if isinstance(node, FunctionCall):
        return (node.name, *(shape(a) for a in node.args))
    if isinstance(node, InList):
        return (
            shape(node.operand),
            "not in" if node.negated else "in",
            [shape(i) for i in node.items],
        )
    return type(node).__name__


def test_precedence_from_loosest_to_tightest() -> None:
    assert shape(parse("a or b and not c == 1 + 2 * -d.str.len()")) == (
        "a",
        "or",
        ("b", "and", ("not", ("c", "==", (1, "+", (2, "*", ("-", ("d", ".len"))))))),
    )


def test_arithmetic_is_left_associative() -> None:
    assert shape(parse("a - b - c / d / e")) == (
        (("a", "-", "b")),
        "-",
        (("c", "/", "d"), "/", "e"),
    )


def test_literals() -> None:
    assert shape(parse("x in [1, -2, 1e3, .5, 'O''Brien', \"a\\\"b\", TRUE, False, NULL]")) == (
        "x",
        "in",
        [1, -2, 1000.0, 0.5, "O'Brien", 'a"b', True, False, None],
    )


def test_names() -> None:
    assert shape(parse("customers.id")) == "customers.id"
    assert shape(parse("`monthly charges` + `a``b`")) == ("monthly charges", "+", "a`b")
    assert shape(parse("row_count + `row_count` + Column_Count")) == (
        ("<row_count>", "+", "row_count"),
        "+",
        "<column_count>",
    )
    assert shape(parse("t.`str`.str.len()")) == ("t.str", ".len")


def test_spans_cover_the_source_text() -> None:
    text = "x.str.contains('@') or y is not null"
    tree = parse(text)
    assert isinstance(tree, Binary)
    assert text[slice(*tree.left.span)] == "x.str.contains('@')"
    assert text[slice(*tree.right.span)] == "y is not null"


def test_compile_rule_resolves_names_and_reports_what_it_reads() -> None:
    schema = {"id": ExprType.NUMBER, "joined": ExprType.DATE, "email": ExprType.STRING}
    rule = compile_rule("customers.id is not null and joined > '2024-01-31'", schema)
    assert rule == CompiledRule(
        text="customers.id is not null and joined > '2024-01-31'",
        expression=rule.expression,
        result_type=ExprType.BOOLEAN,
        dataset_level=False,
        columns=frozenset({"id", "joined"}),
    )
    assert shape(rule.expression) == ("IsNull", "and", ("joined", ">", dt.date(2024, 1, 31)))
    aggregate = compile_rule("unique(id) and null_fraction(email) < 0.1 and row_count > 0", schema)
    assert aggregate.dataset_level
    assert aggregate.columns == frozenset({"id", "email"})
    assert check(parse("email.str.len() * 2"), schema, "email.str.len() * 2") is ExprType.NUMBER


TOKENS = [
    "a",
    "age",
    "email",
    "`x y`",
    "t.c",
    "1",
    "-2",
    "3.5",
    ".5",
    "1e3",
    "'s'",
    "'O''B'",
    '"q"',
    "true",
    "false",
    "null",
    "and",
    "or",
    "not",
    "in",
    "is",
    "==",
    "!=",
    ">",
    ">=",
    "<",
    "<=",
    "=",
    "+",
    "-",
    "*",
    "/",
    "%",
    "(",
    ")",
    "[",
    "]",
    ",",
    ".",
    ".str",
    ".str.contains(",
    ".str.len()",
    "unique(",
    "null_fraction(",
    "row_count",
    "column_count",
    "__import__(",
    "'",
    "`",
    "\\",
    "#",
    "&&",
    "e",
]


def error_of(action: Callable[[], object]) -> ExpressionError | None:
    """Run ``action``; an ExpressionError is returned, any other exception propagates."""
    try:
        action()
    except ExpressionError as error:
        return error
    return None


def assert_parses_or_points_inside(text: str) -> None:
    error = error_of(lambda: parse(text))
    if error is not None:
        assert 0 <= error.start <= len(text)
        assert error.start < error.end <= len(text) + 1


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_parses_or_raises_an_expression_error(text: str) -> None:
    assert_parses_or_points_inside(text)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=25), st.sampled_from([" ", ""]))
def test_token_soup_parses_or_raises_an_expression_error(tokens: list[str], separator: str) -> None:
    assert_parses_or_points_inside(separator.join(tokens))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=25))
def test_token_soup_type_checks_or_raises_an_expression_error(tokens: list[str]) -> None:
    text = " ".join(tokens)
    schema = {"a": ExprType.BOOLEAN, "age": ExprType.NUMBER, "email": ExprType.STRING}
    error = error_of(lambda: compile_rule(text, schema))
    if error is not None:
        assert 0 <= error.start <= len(text)


def test_each_text_is_parsed_once_and_errors_are_not_cached() -> None:
    from databricks_mlops.expressions.parser import parse_cache_clear, parse_cache_info

    parse_cache_clear()
    first = parse("age >= 18 and email is not null")
    again = parse("age >= 18 and email is not null")
    assert again is first  # a frozen tree, shared
    assert (parse_cache_info().misses, parse_cache_info().hits) == (1, 1)
    for _ in range(2):  # a bad text raises every time, with its position
        with pytest.raises(ExpressionError, match="unexpected end of the expression"):
            parse("age >=")
    assert parse_cache_info().currsize == 1
