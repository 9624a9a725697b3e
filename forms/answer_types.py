"""Is an answer of the right shape for its question's type? (see `forms.spec` for the shapes)

`type_problem` returns None when the answer fits, else a `Mismatch` naming the problem
code and the message key in `forms.record_messages`. It knows nothing of relevance or
constraints; `forms.validation` puts the pieces together.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from forms.spec import MEDIA_TYPES, METADATA_TYPES, Node

_FREE_TYPES = frozenset({"calculate", "hidden", "note"}) | METADATA_TYPES
_TEXT_TYPES = frozenset({"text", "barcode"})
#: The longest text answer (characters). XLSForm sets no limit, but a settlement's
#: history fits in far less, and a 200,000-character "name" is a paste gone wrong that
#: every export, page and tablet would carry.
MAX_TEXT_LENGTH = 10_000


@dataclass(frozen=True)
class Mismatch:
    """Why an answer does not fit: problem code, message key and values for the message."""

    code: str
    key: str
    values: dict[str, object] = field(default_factory=dict)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _parse_point(text: str) -> tuple[float, float] | None:
    parts = text.split()
    if not 2 <= len(parts) <= 4:
        return None
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        return None
    if not all(math.isfinite(n) for n in numbers):
        return None
    lat, lon = numbers[0], numbers[1]
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon


def _points(value: Any) -> list[tuple[float, float]] | None:
    if not isinstance(value, str):
        return None
    texts = [t.strip() for t in value.split(";") if t.strip()]
    points = [_parse_point(t) for t in texts]
    if any(p is None for p in points):
        return None
    return points  # type: ignore[return-value]


def _iso(kind: str, value: Any) -> bool:
    if not isinstance(value, str):
        return False
    text = value.strip()
    try:
        if kind == "date":
            date.fromisoformat(text)
        elif kind == "time":
            time.fromisoformat(text.replace("Z", "+00:00"))
        else:
            datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def _range_params(node: Node) -> tuple[float, float, float]:
    params = node.parameters or {}

    def number(key: str, default: float) -> float:
        try:
            return float(params.get(key, default))
        except (TypeError, ValueError):
            return default

    return number("start", 1), number("end", 10), number("step", 1)


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def type_problem(node: Node, value: Any, choices: Collection[str] | None = None
                 ) -> Mismatch | None:
    """Why `value` does not fit `node`'s type, or None.

    `choices`: the names a select allows here (None: the list is not known, e.g. it lives
    in an external file, so any name is accepted).
    """
    kind = node.type
    if kind in _FREE_TYPES:
        return None
    if kind == "integer":
        ok = isinstance(value, int) and not isinstance(value, bool)
        return None if ok else Mismatch("type", "type.integer")
    if kind == "decimal":
        return None if _number(value) else Mismatch("type", "type.decimal")
    if kind in ("date", "time", "dateTime"):
        return None if _iso(kind, value) else Mismatch("type", f"type.{kind}")
    if kind == "select_one":
        if not isinstance(value, str):
            return Mismatch("type", "type.select_one")
        if choices is not None and value not in choices and not (
            node.or_other and value == "other"
        ):
            return Mismatch("unknown_choice", "unknown_choice", {"value": value})
        return None
    if kind in ("select_multiple", "rank"):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return Mismatch("type", "type.select_multiple")
        for v in value:
            if choices is not None and v not in choices and not (node.or_other and v == "other"):
                return Mismatch("unknown_choice", "unknown_choice", {"value": v})
        seen: set[str] = set()
        for v in value:
            if v in seen:
                return Mismatch("type", "duplicate_choice", {"value": v})
            seen.add(v)
        return None
    if kind == "geopoint":
        points = _points(value)
        return None if points and len(points) == 1 else Mismatch("type", "type.geopoint")
    if kind == "geotrace":
        points = _points(value)
        return None if points and len(points) >= 2 else Mismatch("type", "type.geotrace")
    if kind == "geoshape":
        points = _points(value)
        ok = points is not None and len(points) >= 4 and points[0] == points[-1]
        return None if ok else Mismatch("type", "type.geoshape")
    if kind == "range":
        start, end, step = _range_params(node)
        low, high = min(start, end), max(start, end)
        ok = _number(value) and low - 1e-9 <= value <= high + 1e-9
        if ok and step:
            steps = (value - start) / step
            ok = abs(steps - round(steps)) < 1e-9
        if ok:
            return None
        return Mismatch("type", "type.range",
                        {"start": _fmt(start), "end": _fmt(end), "step": _fmt(step)})
    if kind == "acknowledge":
        return None if value == "OK" else Mismatch("type", "type.acknowledge")
    if kind in MEDIA_TYPES:
        ok = isinstance(value, str) and value.strip() != ""
        return None if ok else Mismatch("type", "type.file")
    if kind in _TEXT_TYPES:
        if not isinstance(value, str):
            return Mismatch("type", "type.text")
        if len(value) > MAX_TEXT_LENGTH:
            return Mismatch("too_long", "too_long", {"limit": f"{MAX_TEXT_LENGTH:,}",
                                                     "length": f"{len(value):,}"})
        return None
    # A type we do not know the shape of: anything JSON can hold is accepted.
    return None
