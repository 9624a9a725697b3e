"""The one exception of the expression engine."""

from __future__ import annotations


class ExpressionError(ValueError):
    """An expression that cannot be parsed or evaluated (message says where and why).

    `reason` is the problem alone; `position` is its 0-based offset in the expression
    when known (syntax errors), so callers can point at it in their own words.
    """

    def __init__(self, reason: str, position: int | None = None) -> None:
        self.reason = reason
        self.position = position
        where = f" at column {position + 1}" if position is not None else ""
        super().__init__(f"{reason}{where}")
