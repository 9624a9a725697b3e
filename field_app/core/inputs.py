"""Turning what an enumerator typed or tapped into an answer, and answers back into text.

Each widget of the form screen holds text; these functions say what answer that text
is for the question's type, or which plain message to show when it is not one (the
answer is then not saved, and the text stays so it can be corrected).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from field_app.core.i18n import _
from forms.spec import Node

_INT = re.compile(r"^[+-]?\d+$")
_DEC = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)$")


@dataclass(frozen=True)
class Parsed:
    """The answer for a text (None clears it), or the message saying why it is not one."""

    value: Any = None
    error: str | None = None


def parse_text(node: Node, text: str) -> Parsed:
    """The answer typed into a text-like widget of `node`."""
    text = text.strip()
    if not text:
        return Parsed(None)
    kind = node.type
    if kind == "integer":
        if not _INT.match(text):
            return Parsed(error=_("Enter a whole number, like 12."))
        return Parsed(int(text))
    if kind in ("decimal", "range"):
        if not _DEC.match(text):
            return Parsed(error=_("Enter a number, like 12.5."))
        number = float(text.replace(",", "."))
        return Parsed(int(number) if kind == "range" and number.is_integer() else number)
    if kind == "date":
        try:
            return Parsed(date.fromisoformat(text).isoformat())
        except ValueError:
            return Parsed(error=_("Enter a date as year-month-day, like 2026-03-31."))
    if kind == "time":
        try:
            return Parsed(time.fromisoformat(text).strftime("%H:%M"))
        except ValueError:
            return Parsed(error=_("Enter a time as hours:minutes, like 14:30."))
    if kind == "geopoint":
        point = parse_point(text)
        if point is None:
            return Parsed(error=_("Enter latitude and longitude, like -1.3133 36.7876."))
        return Parsed(point)
    return Parsed(text)


def parse_point(text: str) -> str | None:
    """A geopoint answer ("lat lon alt acc") from typed text, or None if it is not one."""
    parts = text.replace(",", " ").split()
    if len(parts) < 2 or len(parts) > 4:
        return None
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        return None
    lat, lon = numbers[0], numbers[1]
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    numbers += [0.0] * (4 - len(numbers))
    return " ".join(_num(n) for n in numbers)


def point_answer(lat: float, lon: float, alt: float = 0.0, accuracy: float = 0.0) -> str:
    return " ".join(_num(n) for n in (lat, lon, alt, accuracy))


def add_point(trace: str | None, point: str) -> str:
    """A geotrace/geoshape answer with one more point (a shape is closed when finished)."""
    points = [p for p in (trace or "").split(";") if p.strip()]
    return ";".join([*points, point])


def remove_last_point(trace: str | None) -> str | None:
    points = [p for p in (trace or "").split(";") if p.strip()]
    return ";".join(points[:-1]) or None


def close_shape(trace: str | None) -> str | None:
    """A geoshape's points with the first repeated at the end (ODK's closed ring)."""
    points = [p for p in (trace or "").split(";") if p.strip()]
    if len(points) >= 3 and points[0] != points[-1]:
        points.append(points[0])
    return ";".join(points) or None


def accuracy_of(point: str | None) -> float | None:
    parts = (point or "").split()
    return float(parts[3]) if len(parts) == 4 else None


def _num(n: float) -> str:
    return str(int(n)) if float(n).is_integer() else repr(round(float(n), 7))


def as_text(value: Any) -> str:
    """An answer as the text its widget shows."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return " ".join(map(str, value))
    return str(value)


def picker_parts(kind: str, today: date | None = None) -> list[tuple[str, list[str]]]:
    """The parts a date or time picker offers, in order: (name, choices)."""
    if kind == "time":
        return [("hour", [f"{h:02d}" for h in range(24)]),
                ("minute", [f"{m:02d}" for m in range(0, 60, 5)])]
    year = (today or date.today()).year
    return [("day", [f"{d:02d}" for d in range(1, 32)]),
            ("month", [f"{m:02d}" for m in range(1, 13)]),
            ("year", [str(y) for y in range(year + 1, year - 101, -1)])]


def picked(kind: str, text: str, part: str, value: str, today: date | None = None) -> str:
    """The field text after choosing `value` for `part` in a picker (the other parts
    keep what the field says, else today / now); a day past the month's end is clamped."""
    import calendar

    today = today or date.today()
    if kind == "time":
        try:
            current = time.fromisoformat(text.strip())
        except ValueError:
            current = time(datetime.now().hour, 0)
        hour = int(value) if part == "hour" else current.hour
        minute = int(value) if part == "minute" else current.minute
        return f"{hour:02d}:{minute:02d}"
    try:
        current_date = date.fromisoformat(text.strip())
    except ValueError:
        current_date = today
    parts = {"year": current_date.year, "month": current_date.month, "day": current_date.day}
    parts[part] = int(value)
    last = calendar.monthrange(parts["year"], parts["month"])[1]
    return date(parts["year"], parts["month"], min(parts["day"], last)).isoformat()


def picker_values(kind: str, text: str) -> dict[str, str]:
    """What each picker part shows for the field's text ("" when it says nothing)."""
    try:
        if kind == "time":
            t = time.fromisoformat(text.strip())
            return {"hour": f"{t.hour:02d}", "minute": f"{t.minute:02d}"}
        d = date.fromisoformat(text.strip())
        return {"day": f"{d.day:02d}", "month": f"{d.month:02d}", "year": str(d.year)}
    except ValueError:
        return {}
