"""Tokenizer: rule text -> tokens that remember where they came from.

Every token carries its ``[start, end)`` span in the original text so that parse and
type errors can put a caret under the exact characters at fault.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from databricks_mlops.errors import ExpressionError

KEYWORDS = frozenset({"and", "or", "not", "in", "is", "null", "true", "false"})

# Longest first, so ">=" wins over ">".
OPERATORS = (
    "==",
    "!=",
    ">=",
    "<=",
    ">",
    "<",
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
)

# Operators from other languages that users type by habit; each gets a pointed hint.
FOREIGN_OPERATORS = {
    "&&": "use 'and' instead of '&&'",
    "||": "use 'or' instead of '||'",
    "<>": "use '!=' instead of '<>'",
    "=": "use '==' to compare ('=' is not an operator here)",
    "&": "use 'and' instead of '&'",
    "|": "use 'or' instead of '|'",
    "!": "use 'not' instead of '!'",
    "~": "use 'not' instead of '~'",
}

SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "0": "\0"}

DIGITS = frozenset("0123456789")


class TokenKind(enum.Enum):
    NUMBER = "number"
    STRING = "string"
    NAME = "name"
    KEYWORD = "keyword"
    OPERATOR = "operator"
    END = "end of expression"


@dataclass(frozen=True)
class Token:
    kind: TokenKind
    # NAME: the column/function name (backquotes removed); KEYWORD: lower-cased keyword;
    # STRING: the unescaped value; NUMBER / OPERATOR: the text as written.
    value: str
    start: int
    end: int
    # True for a `backquoted` name: never a keyword, function or dataset metric.
    quoted: bool = False

    def describe(self) -> str:
        if self.kind is TokenKind.END:
            return "the end of the expression"
        if self.kind is TokenKind.STRING:
            return f"string {self.value!r}"
        return f"'{self.value}'"


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens, ending with one END token; raise ExpressionError on junk."""
    tokens: list[Token] = []
    position = 0
    length = len(text)
    while position < length:
        char = text[position]
        if char.isspace():
            position += 1
        elif char in DIGITS or (
            char == "." and position + 1 < length and text[position + 1] in DIGITS
        ):
            token = _read_number(text, position)
            tokens.append(token)
            position = token.end
        elif char in "'\"":
            token = _read_string(text, position)
            tokens.append(token)
            position = token.end
        elif char == "`":
            token = _read_quoted_name(text, position)
            tokens.append(token)
            position = token.end
        elif char.isalpha() or char == "_":
            end = position + 1
            while end < length and (text[end].isalnum() or text[end] == "_"):
                end += 1
            word = text[position:end]
            if word.lower() in KEYWORDS:
                tokens.append(Token(TokenKind.KEYWORD, word.lower(), position, end))
            else:
                tokens.append(Token(TokenKind.NAME, word, position, end))
            position = end
        else:
            token = _read_operator(text, position)
            tokens.append(token)
            position = token.end
    tokens.append(Token(TokenKind.END, "", length, length))
    return tokens


def _read_number(text: str, start: int) -> Token:
    end = start
    while end < len(text) and text[end] in DIGITS:
        end += 1
    if end < len(text) and text[end] == ".":
        end += 1
        while end < len(text) and text[end] in DIGITS:
            end += 1
    if end < len(text) and text[end] in "eE":
        exponent = end + 1
        if exponent < len(text) and text[exponent] in "+-":
            exponent += 1
        if exponent < len(text) and text[exponent] in DIGITS:
            end = exponent
            while end < len(text) and text[end] in DIGITS:
                end += 1
        else:
            raise ExpressionError(
                "a number's exponent needs digits (for example 1e3)", text, start, exponent
            )
    return Token(TokenKind.NUMBER, text[start:end], start, end)


def _read_string(text: str, start: int) -> Token:
    quote = text[start]
    chars: list[str] = []
    position = start + 1
    while position < len(text):
        char = text[position]
        if char == quote:
            # A doubled quote ('O''Brien') stands for one quote character, as in SQL.
            if position + 1 < len(text) and text[position + 1] == quote:
                chars.append(quote)
                position += 2
                continue
            return Token(TokenKind.STRING, "".join(chars), start, position + 1)
        if char == "\\" and position + 1 < len(text):
            escaped = text[position + 1]
            # Unknown escapes keep their backslash, so regexes such as '\d+' read naturally.
            chars.append(SIMPLE_ESCAPES.get(escaped, "\\" + escaped))
            position += 2
            continue
        chars.append(char)
        position += 1
    raise ExpressionError(f"unterminated string: add the closing {quote}", text, start, len(text))


def _read_quoted_name(text: str, start: int) -> Token:
    chars: list[str] = []
    position = start + 1
    while position < len(text):
        char = text[position]
        if char == "`":
            if position + 1 < len(text) and text[position + 1] == "`":
                chars.append("`")
                position += 2
                continue
            if not chars:
                raise ExpressionError("empty column name ``", text, start, position + 1)
            return Token(TokenKind.NAME, "".join(chars), start, position + 1, quoted=True)
        chars.append(char)
        position += 1
    raise ExpressionError("unterminated column name: add the closing `", text, start, len(text))


def _read_operator(text: str, start: int) -> Token:
    for foreign in ("&&", "||", "<>"):
        if text.startswith(foreign, start):
            raise ExpressionError(FOREIGN_OPERATORS[foreign], text, start, start + 2)
    for operator in OPERATORS:
        if text.startswith(operator, start):
            return Token(TokenKind.OPERATOR, operator, start, start + len(operator))
    char = text[start]
    if char in FOREIGN_OPERATORS:
        raise ExpressionError(FOREIGN_OPERATORS[char], text, start, start + 1)
    raise ExpressionError(f"unexpected character {char!r}", text, start, start + 1)
