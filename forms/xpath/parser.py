"""Recursive-descent parser for XPath 1.0 as used by XLSForm (plus `${name}` references).

Precedence, loosest first: or, and, = !=, < <= > >=, + -, * div mod, unary -, |, paths.
Function names and argument counts are checked here, so a typo in a form is reported
when the form is loaded rather than when an enumerator reaches the question.
"""

from __future__ import annotations

from collections.abc import Callable

from forms.xpath import lexer
from forms.xpath.errors import ExpressionError
from forms.xpath.lexer import EOF, NAME, NUMBER, OP, REF, STRING, Token
from forms.xpath.nodes import (
    CHILD,
    DESCENDANT_OR_SELF,
    PARENT,
    SELF,
    Binary,
    Call,
    Expr,
    Filter,
    Literal,
    LocationPath,
    Negate,
    Ref,
    Step,
)

#: Binding power of the binary operators (higher binds tighter).
_PRECEDENCE = {
    "or": 1, "and": 2, "=": 3, "!=": 3, "<": 4, "<=": 4, ">": 4, ">=": 4,
    "+": 5, "-": 5, "*": 6, "div": 6, "mod": 6,
}

ArityCheck = Callable[[str, int], str | None]


class _Parser:
    def __init__(self, source: str, check_call: ArityCheck | None) -> None:
        self.source = source
        self.tokens = lexer.tokenize(source)
        self.i = 0
        self.check_call = check_call

    # -- token helpers ----------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def peek(self, n: int = 1) -> Token:
        return self.tokens[min(self.i + n, len(self.tokens) - 1)]

    def advance(self) -> Token:
        t = self.tokens[self.i]
        self.i += 1
        return t

    def at_op(self, *values: str) -> bool:
        t = self.tok
        return t.kind == OP and t.value in values

    def expect_op(self, value: str) -> Token:
        if not self.at_op(value):
            raise self.error(f"expected '{value}'")
        return self.advance()

    def error(self, what: str | None = None, tok: Token | None = None) -> ExpressionError:
        t = tok or self.tok
        msg = f"unexpected {t.describe()}"
        if what:
            msg += f" ({what})"
        return ExpressionError(msg, t.pos)

    # -- grammar ------------------------------------------------------------------
    def parse(self) -> Expr:
        if self.tok.kind == EOF:
            raise ExpressionError("empty expression", 0)
        expr = self.binary(1)
        if self.tok.kind != EOF:
            raise self.error()
        return expr

    def binary(self, min_precedence: int) -> Expr:
        # Precedence climbing: one frame per operator level actually used, so deeply
        # nested if(...) chains stay far from Python's recursion limit.
        left = self.unary()
        while True:
            t = self.tok
            precedence = _PRECEDENCE.get(t.value, 0) if t.kind == OP else 0
            if precedence < min_precedence:
                return left
            self.advance()
            left = Binary(t.value, left, self.binary(precedence + 1))

    def unary(self) -> Expr:
        if self.at_op("-"):
            self.advance()
            return Negate(self.unary())
        return self.union()

    def union(self) -> Expr:
        left = self.path_expr()
        while self.at_op("|"):
            self.advance()
            left = Binary("|", left, self.path_expr())
        return left

    def path_expr(self) -> Expr:
        t = self.tok
        if t.kind in (NUMBER, STRING, REF) or self.at_op("(") or (
            t.kind == NAME and self.peek().kind == OP and self.peek().value == "("
        ):
            primary = self.primary()
            predicates = self.predicates()
            steps: tuple[Step, ...] = ()
            if self.at_op("/", "//"):
                steps = self.relative_steps(after_slash=True)
            if not predicates and not steps:
                return primary
            return Filter(primary, predicates, steps)
        if t.kind == NAME or self.at_op("/", "//", ".", "..", "@"):
            return self.location_path()
        raise self.error()

    def primary(self) -> Expr:
        t = self.advance()
        if t.kind == NUMBER:
            # Ints stay exact while a double could hold them; longer literals are floats
            # (XPath numbers are doubles, and huge ints overflow float arithmetic).
            if "." in t.value or len(t.value) > 15:
                return Literal(float(t.value))
            return Literal(int(t.value))
        if t.kind == STRING:
            return Literal(t.value)
        if t.kind == REF:
            return Ref(t.value)
        if t.kind == OP and t.value == "(":
            inner = self.binary(1)
            self.expect_op(")")
            return inner
        # A function call (path_expr checked that "(" follows).
        name = t.value
        self.advance()  # "("
        args: list[Expr] = []
        if not self.at_op(")"):
            args.append(self.binary(1))
            while self.at_op(","):
                self.advance()
                args.append(self.binary(1))
        self.expect_op(")")
        if self.check_call is not None:
            problem = self.check_call(name, len(args))
            if problem:
                raise ExpressionError(problem, t.pos)
        return Call(name, tuple(args))

    def predicates(self) -> tuple[Expr, ...]:
        preds: list[Expr] = []
        while self.at_op("["):
            self.advance()
            preds.append(self.binary(1))
            self.expect_op("]")
        return tuple(preds)

    def location_path(self) -> LocationPath:
        start = self.tok.pos
        absolute = False
        steps: list[Step] = []
        if self.at_op("/"):
            absolute = True
            self.advance()
            if not self._step_can_start():
                # "/" alone is the document root.
                return LocationPath(True, (), self.source[start:self.tok.pos].strip())
            steps.extend(self.relative_steps(after_slash=False))
        elif self.at_op("//"):
            absolute = True
            steps.extend(self.relative_steps(after_slash=True))
        else:
            steps.extend(self.relative_steps(after_slash=False))
        return LocationPath(absolute, tuple(steps), self.source[start:self.tok.pos].strip())

    def _step_can_start(self) -> bool:
        return self.tok.kind == NAME or self.at_op(".", "..", "@")

    def relative_steps(self, after_slash: bool) -> tuple[Step, ...]:
        """Steps separated by / or //; if `after_slash`, the current token is a separator."""
        steps: list[Step] = []
        first = not after_slash
        while True:
            if not first:
                if self.at_op("//"):
                    steps.append(Step(DESCENDANT_OR_SELF, None))
                elif not self.at_op("/"):
                    break
                self.advance()
            first = False
            steps.append(self.step())
        return tuple(steps)

    def step(self) -> Step:
        t = self.tok
        if self.at_op("."):
            self.advance()
            return Step(SELF, None)
        if self.at_op(".."):
            self.advance()
            return Step(PARENT, None)
        if self.at_op("@"):
            raise self.error("attributes are not supported")
        if t.kind != NAME:
            raise self.error("expected a name")
        if self.peek().kind == OP and self.peek().value == "::":
            raise self.error("axes are not supported; use the abbreviated syntax")
        if self.peek().kind == OP and self.peek().value == "(":
            if t.value == "node":
                self.advance()
                self.advance()
                self.expect_op(")")
                return Step(CHILD, "*", self.predicates())
            raise self.error("a function call cannot be a path step")
        self.advance()
        return Step(CHILD, t.value, self.predicates())


def parse(source: str, check_call: ArityCheck | None = None) -> Expr:
    """The syntax tree of `source`; `check_call(name, nargs)` returns a problem or None."""
    if not isinstance(source, str):
        raise ExpressionError(f"expression must be a string, not {type(source).__name__}")
    try:
        return _Parser(source, check_call).parse()
    except RecursionError:
        raise ExpressionError("expression is nested too deeply") from None


__all__ = ["parse"]
