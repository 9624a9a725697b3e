"""Dates in expressions: parsing ODK's text forms, days since 1970-01-01, format codes.

JavaRosa turns dates into numbers of days since the epoch whenever arithmetic or an
ordering comparison needs a number; `date()` turns a number back into a date.
"""

from __future__ import annotations

import functools
import math
import re
from datetime import UTC, date, datetime, time, timedelta

EPOCH = date(1970, 1, 1)
_EPOCH_NAIVE = datetime(1970, 1, 1)
_EPOCH_AWARE = datetime(1970, 1, 1, tzinfo=UTC)

_DATE_RE = re.compile(r"\s*(\d{4})-(\d{2})-(\d{2})\s*\Z")
_DATETIME_RE = re.compile(
    r"\s*\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?\s*\Z"
)
_TIME_RE = re.compile(
    r"\s*(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?\s*\Z"
)

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def parse_date_text(text: str) -> date | datetime | None:
    """`YYYY-MM-DD` -> date, an ISO 8601 date-time -> datetime, anything else -> None."""
    if len(text) < 10 or not text.lstrip()[:1].isdigit():
        return None
    return _parse_date_text(text)


@functools.lru_cache(maxsize=2048)  # the same answers are converted again and again
def _parse_date_text(text: str) -> date | datetime | None:
    m = _DATE_RE.match(text)
    if m:
        try:
            return date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            return None
    if _DATETIME_RE.match(text):
        raw = text.strip().replace(" ", "T", 1)
        # fromisoformat wants +hh:mm; ODK sometimes writes +hhmm or +hh.
        tz = re.search(r"([+-])(\d{2})(\d{2})?\Z", raw[19:]) if len(raw) > 19 else None
        if tz and ":" not in raw[19:]:
            raw = raw[: len(raw) - len(tz.group())] + f"{tz[1]}{tz[2]}:{tz[3] or '00'}"
        try:
            return datetime.fromisoformat(raw)
        except ValueError:
            return None
    return None


def days_since_epoch(value: date | datetime) -> int | float:
    """Days since 1970-01-01 (a whole number for dates, fractional for date-times)."""
    if isinstance(value, datetime):
        epoch = _EPOCH_AWARE if value.tzinfo is not None else _EPOCH_NAIVE
        return (value - epoch).total_seconds() / 86400.0
    return (value - EPOCH).days


def date_from_days(days: float) -> date | None:
    """The date `days` after the epoch (fractions dropped); None if not a finite number."""
    if days != days or math.isinf(days):
        return None
    try:
        return EPOCH + timedelta(days=math.floor(days))
    except OverflowError:
        return None


def datetime_from_days(days: float) -> datetime | None:
    if days != days or math.isinf(days):
        return None
    try:
        return _EPOCH_NAIVE + timedelta(days=days)
    except OverflowError:
        return None


def time_fraction(text: str) -> float | None:
    """`HH:MM[:SS[.fff]]` as a fraction of a day (time zone ignored); None if not a time."""
    m = _TIME_RE.match(text)
    if not m:
        return None
    hours, minutes = int(m[1]), int(m[2])
    seconds = int(m[3] or 0) + float("0." + m[4] if m[4] else 0)
    if hours > 23 or minutes > 59 or seconds >= 61:
        return None
    return (hours * 3600 + minutes * 60 + seconds) / 86400.0


def iso_text(value: date | datetime | time) -> str:
    """ODK's text form: `2024-03-01`, `2024-03-01T09:30:00.000+03:00`."""
    if isinstance(value, datetime):
        text = value.isoformat(timespec="milliseconds")
        return text
    return value.isoformat()


def format_odk(value: date | datetime, pattern: str) -> str:
    """format-date / format-date-time with ODK's codes (%Y %y %m %n %b %d %e %a %H %h %M %S %3)."""
    dt = value if isinstance(value, datetime) else datetime(value.year, value.month, value.day)
    out: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch != "%" or i + 1 == len(pattern):
            out.append(ch)
            i += 1
            continue
        code = pattern[i + 1]
        i += 2
        if code == "Y":
            out.append(f"{dt.year:04d}")
        elif code == "y":
            out.append(f"{dt.year % 100:02d}")
        elif code == "m":
            out.append(f"{dt.month:02d}")
        elif code == "n":
            out.append(str(dt.month))
        elif code == "b":
            out.append(_MONTHS[dt.month - 1])
        elif code == "d":
            out.append(f"{dt.day:02d}")
        elif code == "e":
            out.append(str(dt.day))
        elif code == "a":
            out.append(_DAYS[dt.weekday()])
        elif code == "H":
            out.append(f"{dt.hour:02d}")
        elif code == "h":
            out.append(str(dt.hour))
        elif code == "M":
            out.append(f"{dt.minute:02d}")
        elif code == "S":
            out.append(f"{dt.second:02d}")
        elif code == "3":
            out.append(f"{dt.microsecond // 1000:03d}")
        elif code == "%":
            out.append("%")
        else:  # unknown codes are copied, as JavaRosa does
            out.append("%" + code)
    return "".join(out)
