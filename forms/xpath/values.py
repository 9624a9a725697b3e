"""Values during evaluation and the XPath 1.0 / JavaRosa conversions between them.

An evaluation value is one of: str, int or float (an XPath number; ints are kept while
exact), bool, date, datetime, or a node-set. A node-set is a plain `list` of `XNode`
(no other list ever flows through the evaluator, so `type(v) is list` identifies one).

JavaRosa differs from plain XPath in one place that users notice: a node-set of exactly
one node converts to a boolean through its value (`${x}` is false when x is empty),
not through "is the node-set non-empty".
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from forms.xpath.dates import days_since_epoch, iso_text, parse_date_text, time_fraction

NAN = float("nan")
INF = float("inf")


class XNode:
    """A node of the answers tree (or of a secondary instance): where it is and its value.

    `path` holds names and 0-based repeat positions from the root, e.g. ("members", 1, "age");
    `root` is the tree the path walks (the answers dict, or a choice-list instance).
    """

    __slots__ = ("path", "root", "value")

    def __init__(self, path: tuple[Any, ...], value: Any, root: Any) -> None:
        self.path = path
        self.value = value
        self.root = root

    def __repr__(self) -> str:
        return f"XNode({self.path!r}, {self.value!r})"


# -- strings ------------------------------------------------------------------------
def format_number(x: float | int) -> str:
    """XPath's string form of a number: no exponent, integers without '.0'."""
    if type(x) is int:
        return str(x)
    if x != x:
        return "NaN"
    if x in (INF, -INF):
        return "Infinity" if x > 0 else "-Infinity"
    if x.is_integer():
        return str(int(x))
    text = repr(x)
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")
    return text


def raw_string(raw: Any) -> str:
    """The string value of an answer as stored in the answers dict."""
    if raw is None:
        return ""
    t = type(raw)
    if t is str:
        return raw
    if t is bool:
        return "true" if raw else "false"
    if t is int or t is float:
        return format_number(raw)
    if t is list or t is tuple:
        return " ".join(raw_string(x) for x in raw)
    if t is dict:
        return ""
    if isinstance(raw, date | datetime):
        return iso_text(raw)
    return str(raw)


def to_string(v: Any) -> str:
    t = type(v)
    if t is str:
        return v
    if t is list:
        return raw_string(v[0].value) if v else ""
    if t is bool:
        return "true" if v else "false"
    if t is int or t is float:
        return format_number(v)
    return raw_string(v)


# -- numbers ------------------------------------------------------------------------
_NUMBER_RE = re.compile(r"\s*(-?(?:\d+(\.\d*)?|\.\d+))\s*\Z")


def string_to_number(s: str) -> int | float:
    """XPath number(): digits with an optional '-' and '.', else NaN; dates become days."""
    m = _NUMBER_RE.match(s)
    if m:
        text = m.group(1)
        if m.group(2) is None and len(text) <= 16 and not text.startswith((".", "-.")):
            return int(text)
        return float(text)
    parsed = parse_date_text(s)
    if parsed is not None:
        return days_since_epoch(parsed)
    if ":" in s:  # a time answer: a fraction of a day, so start < end compares
        fraction = time_fraction(s)
        if fraction is not None:
            return fraction
    return NAN


def raw_number(raw: Any) -> int | float:
    t = type(raw)
    if t is int or t is float:
        return raw
    if t is str:
        return string_to_number(raw)
    if raw is None:
        return NAN
    if t is bool:
        return 1 if raw else 0
    if isinstance(raw, date | datetime):
        return days_since_epoch(raw)
    return string_to_number(raw_string(raw))


def to_number(v: Any) -> int | float:
    t = type(v)
    if t is int or t is float:
        return v
    if t is list:
        return raw_number(v[0].value) if v else NAN
    if t is str:
        return string_to_number(v)
    if t is bool:
        return 1 if v else 0
    return raw_number(v)


# -- booleans -----------------------------------------------------------------------
def raw_boolean(raw: Any) -> bool:
    if raw is None:
        return False
    t = type(raw)
    if t is str:
        return raw != ""
    if t is bool:
        return raw
    if t is int or t is float:
        return raw != 0 and raw == raw
    if t is list or t is tuple:
        return len(raw) > 0
    return True


def to_boolean(v: Any) -> bool:
    t = type(v)
    if t is bool:
        return v
    if t is list:
        if len(v) == 1:  # JavaRosa: a single node converts through its value
            return raw_boolean(v[0].value)
        return len(v) > 1
    return raw_boolean(v)


# -- comparison ---------------------------------------------------------------------
def node_atom(node: XNode) -> Any:
    """A node's value as an atom for comparisons: typed numbers stay numbers."""
    raw = node.value
    t = type(raw)
    if t is str or t is int or t is float or t is bool:
        return raw
    return raw_string(raw)


_NUMERIC_TYPES = (int, float, date, datetime)


def compare_atoms(op: str, a: Any, b: Any) -> bool:
    ta, tb = type(a), type(b)
    if op == "=" or op == "!=":
        if ta is bool or tb is bool:
            a, b = to_boolean(a), to_boolean(b)
        elif ta is str and tb is str:
            pass
        elif isinstance(a, _NUMERIC_TYPES) or isinstance(b, _NUMERIC_TYPES):
            a, b = to_number(a), to_number(b)
        return (a == b) if op == "=" else (a != b)
    x = a if (ta is int or ta is float) else to_number(a)
    y = b if (tb is int or tb is float) else to_number(b)
    if op == "<":
        return x < y
    if op == "<=":
        return x <= y
    if op == ">":
        return x > y
    return x >= y


def compare(op: str, a: Any, b: Any) -> bool:
    """XPath 1.0 comparison: existential over node-sets, NaN-aware (NaN != 5 is true)."""
    la = type(a) is list
    lb = type(b) is list
    if not la and not lb:
        return compare_atoms(op, a, b)
    if la and lb:
        right = [node_atom(n) for n in b]
        return any(compare_atoms(op, node_atom(x), y) for x in a for y in right)
    if la:
        if type(b) is bool:
            return compare_atoms(op, to_boolean(a), b)
        return any(compare_atoms(op, node_atom(n), b) for n in a)
    if type(a) is bool:
        return compare_atoms(op, a, to_boolean(b))
    return any(compare_atoms(op, a, node_atom(n)) for n in b)


# -- arithmetic ---------------------------------------------------------------------
def divide(a: float, b: float) -> float:
    if b == 0:
        if a != a or a == 0:
            return NAN
        return math.copysign(INF, a) * math.copysign(1.0, b)
    return a / b


def modulo(a: float, b: float) -> float:
    if b == 0 or a != a or b != b or a in (INF, -INF):
        return NAN
    r = math.fmod(a, b)
    if type(a) is int and type(b) is int:
        return int(r)
    return r


# -- results ------------------------------------------------------------------------
def _raw_result(raw: Any) -> Any:
    if raw is None or type(raw) is dict:
        return ""
    return raw


def to_result(v: Any) -> Any:
    """What `evaluate` hands back: node values unwrapped, exact floats as ints."""
    t = type(v)
    if t is float:
        if v.is_integer() and abs(v) < 2**53:
            return int(v)
        return v
    if t is list:
        if not v:
            return ""
        if len(v) == 1:
            return _raw_result(v[0].value)
        return [_raw_result(n.value) for n in v]
    return v
