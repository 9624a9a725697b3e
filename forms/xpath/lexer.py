"""Split an XLSForm/XPath 1.0 expression into tokens.

XPath's grammar makes `*`, `div`, `mod`, `and` and `or` operators only where an operand
has just ended (XPath 1.0 section 3.7); everywhere else they are name tests. The lexer
decides this from the previous token, so the parser never has to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from forms.xpath.errors import ExpressionError

# Token kinds.
NUMBER = "number"
STRING = "string"
REF = "ref"  # ${name}
NAME = "name"  # a QName: a name test, or a function name when "(" follows
OP = "op"  # operators and punctuation; value is the operator text
EOF = "eof"

_NAME_START = r"[A-Za-z_\u00C0-\uFFFF]"
_NAME_CHAR = r"[A-Za-z0-9_.\-\u00B7\u00C0-\uFFFF]"
_NCNAME = f"{_NAME_START}{_NAME_CHAR}*"

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<number>\d+(?:\.\d*)?|\.\d+)
  | (?P<string>"[^"]*"|'[^']*')
  | (?P<ref>\$\{\s*(?P<refname>[^}\s]*)\s*\})
  | (?P<name>{nc}(?::{nc})?)
  | (?P<op>//|\.\.|!=|<=|>=|::|[/().\[\]@,|+\-=<>*])
    """.replace("{nc}", _NCNAME),
    re.VERBOSE,
)
_REF_NAME = re.compile(_NCNAME)

#: After these tokens an operand is expected, so `*` and `div` etc. are names there.
_EXPECT_OPERAND = frozenset(
    {"@", "::", "(", "[", ",", "/", "//", "|", "+", "-", "=", "!=", "<", "<=", ">", ">=",
     "*", "and", "or", "div", "mod"}
)
_OPERATOR_NAMES = frozenset({"and", "or", "div", "mod"})


@dataclass(frozen=True, slots=True)
class Token:
    kind: str
    value: str
    pos: int  # 0-based offset in the source

    @property
    def column(self) -> int:
        return self.pos + 1

    def describe(self) -> str:
        if self.kind == EOF:
            return "end of expression"
        if self.kind == STRING:
            return f"string {self.value!r}"
        if self.kind == REF:
            return "${" + self.value + "}"
        return f"'{self.value}'"


def tokenize(source: str) -> list[Token]:
    """Tokens of `source`, ending with an EOF token; ExpressionError on a bad character."""
    tokens: list[Token] = []
    pos = 0
    end = len(source)
    while pos < end:
        m = _TOKEN.match(source, pos)
        if m is None:
            ch = source[pos]
            if ch in "'\"":
                raise ExpressionError("unterminated string", pos)
            if source.startswith("${", pos):
                close = source.find("}", pos)
                if close < 0:
                    raise ExpressionError("unterminated ${...} reference", pos)
                raise ExpressionError(f"invalid reference {source[pos:close + 1]}", pos)
            raise ExpressionError(f"unexpected character {ch!r}", pos)
        kind = m.lastgroup
        if kind == "refname":  # lastgroup reports the innermost group
            kind = "ref"
        text = m.group()
        if kind == "ws":
            pos = m.end()
            continue
        prev = tokens[-1] if tokens else None
        operand_expected = prev is None or (
            prev.kind == OP and prev.value in _EXPECT_OPERAND
        )
        if kind == "number":
            tokens.append(Token(NUMBER, text, pos))
        elif kind == "string":
            tokens.append(Token(STRING, text[1:-1], pos))
        elif kind == "ref":
            name = m.group("refname")
            if not _REF_NAME.fullmatch(name):
                raise ExpressionError(f"invalid reference ${{{name}}}", pos)
            tokens.append(Token(REF, name, pos))
        elif kind == "name":
            if text in _OPERATOR_NAMES and not operand_expected:
                tokens.append(Token(OP, text, pos))
            else:
                tokens.append(Token(NAME, text, pos))
        else:
            if text == "*" and operand_expected:
                tokens.append(Token(NAME, "*", pos))
            else:
                tokens.append(Token(OP, text, pos))
        pos = m.end()
    tokens.append(Token(EOF, "", end))
    return tokens
