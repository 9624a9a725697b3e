"""Date and time functions: today(), date(), decimal-date-time(), format-date() ..."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from forms.xpath import dates
from forms.xpath.env import Env
from forms.xpath.registry import (
    FUNCTIONS,
    Function,
    register,
)
from forms.xpath.values import (
    NAN,
    raw_string,
    to_number,
    to_string,
)


@register("today", 0, volatile=True)
def _today(env: Env) -> date:
    return env.clock().date()


@register("now", 0, volatile=True)
def _now(env: Env) -> datetime:
    return env.clock()


def _as_temporal(v: Any) -> date | datetime | None:
    """A date/date-time from a date, a number of days or ODK text; None if empty or invalid."""
    if type(v) is list:
        v = v[0].value if v else ""
    if isinstance(v, date):
        return v
    if type(v) is bool or v is None:
        return None
    if type(v) in (int, float):
        return dates.datetime_from_days(v) if type(v) is float and not v.is_integer() \
            else dates.date_from_days(v)
    text = raw_string(v)
    parsed = dates.parse_date_text(text)
    if parsed is None:
        num = to_number(text)
        if num == num and text.strip():
            return dates.date_from_days(num)
    return parsed


@register("date", 1)
def _date(env: Env, x: Any) -> date | str:
    v = _as_temporal(x)
    if v is None:
        return ""
    return v.date() if isinstance(v, datetime) else v


@register("date-time", 1)
def _date_time(env: Env, x: Any) -> datetime | str:
    v = _as_temporal(x)
    if v is None:
        return ""
    if not isinstance(v, datetime):
        v = datetime(v.year, v.month, v.day)
    return v


def _decimal_date(env: Env, x: Any) -> float:
    v = _as_temporal(x)
    return NAN if v is None else dates.days_since_epoch(v)


FUNCTIONS["decimal-date-time"] = Function(_decimal_date, 1, 1)
FUNCTIONS["decimal-date"] = Function(_decimal_date, 1, 1)


@register("decimal-time", 1)
def _decimal_time(env: Env, x: Any) -> float:
    fraction = dates.time_fraction(to_string(x))
    return NAN if fraction is None else fraction


def _format(x: Any, pattern: Any) -> str:
    v = _as_temporal(x)
    return "" if v is None else dates.format_odk(v, to_string(pattern))


@register("format-date", 2)
def _format_date(env: Env, x: Any, pattern: Any) -> str:
    return _format(x, pattern)


@register("format-date-time", 2)
def _format_date_time(env: Env, x: Any, pattern: Any) -> str:
    return _format(x, pattern)
