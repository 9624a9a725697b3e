"""The one exception of the expression engine."""

from __future__ import annotations


class ExpressionError(ValueError):
    """An expression that cannot be parsed or evaluated (message says where and why)."""
