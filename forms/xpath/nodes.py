"""The syntax tree of an expression: small frozen dataclasses, built by `parser.parse`."""

from __future__ import annotations

from dataclasses import dataclass

#: Axes the engine understands (abbreviated syntax only: `x`, `..`, `.`, `//`).
CHILD = "child"
PARENT = "parent"
SELF = "self"
DESCENDANT_OR_SELF = "descendant-or-self"


class Expr:
    """Base class of every syntax tree node."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Literal(Expr):
    value: str | float | int


@dataclass(frozen=True, slots=True)
class Ref(Expr):
    """`${name}`: a question referenced by its unique name."""

    name: str


@dataclass(frozen=True, slots=True)
class Step(Expr):
    axis: str
    name: str | None  # None for `.`/`..` and for node(); "*" matches any child
    predicates: tuple[Expr, ...] = ()


@dataclass(frozen=True, slots=True)
class LocationPath(Expr):
    """`/data/a/b`, `../x`, `.`; `source` is the path as written."""

    absolute: bool
    steps: tuple[Step, ...]
    source: str


@dataclass(frozen=True, slots=True)
class Filter(Expr):
    """A primary expression with predicates and/or further steps: `${rep}[age > 18]/name`."""

    primary: Expr
    predicates: tuple[Expr, ...] = ()
    steps: tuple[Step, ...] = ()


@dataclass(frozen=True, slots=True)
class Call(Expr):
    name: str
    args: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Binary(Expr):
    op: str  # or and = != < <= > >= + - * div mod |
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Negate(Expr):
    operand: Expr
