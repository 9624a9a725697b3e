"""Numbers, aggregates and geometry: round(), sum(), min(), area(), distance() ..."""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from forms.xpath import geo
from forms.xpath.env import Env
from forms.xpath.registry import (
    FUNCTIONS,
    Function,
    atom_string,
    atoms,
    need_nodeset,
    register,
    self_or,
)
from forms.xpath.values import (
    INF,
    NAN,
    raw_number,
    raw_string,
    to_number,
)


def _math(name: str, fn: Callable[[float], float]) -> None:
    def impl(env: Env, x: Any) -> float:
        v = to_number(x)
        try:
            return fn(v)
        except ValueError:
            return NAN
        except OverflowError:
            return INF

    FUNCTIONS[name] = Function(impl, 1, 1)


def _log(x: float) -> float:
    if x == 0:
        return -INF
    return math.log(x) if x == x else NAN


def _log10(x: float) -> float:
    if x == 0:
        return -INF
    return math.log10(x) if x == x else NAN


def _keep_special(fn: Callable[[float], Any]) -> Callable[[float], Any]:
    def wrapped(x: float) -> Any:
        if x != x or x in (INF, -INF):
            return x
        return fn(x)

    return wrapped


_math("floor", _keep_special(math.floor))
_math("ceiling", _keep_special(math.ceil))
_math("abs", abs)
_math("sqrt", math.sqrt)
_math("exp", math.exp)
_math("exp10", lambda x: 10.0**x)
_math("log", _log)
_math("log10", _log10)
_math("sin", math.sin)
_math("cos", math.cos)
_math("tan", math.tan)
_math("asin", math.asin)
_math("acos", math.acos)
_math("atan", math.atan)


@register("atan2", 2)
def _atan2(env: Env, y: Any, x: Any) -> float:
    return math.atan2(to_number(y), to_number(x))


@register("pi", 0)
def _pi(env: Env) -> float:
    return math.pi


@register("pow", 2)
def _pow(env: Env, base: Any, exponent: Any) -> float:
    b, e = to_number(base), to_number(exponent)
    try:
        return math.pow(b, e)
    except ValueError:
        return NAN
    except OverflowError:
        return INF


@register("number", 0, 1)
def _number(env: Env, *args: Any) -> float:
    return to_number(self_or(env, args))


@register("int", 1)
def _int(env: Env, x: Any) -> float:
    v = to_number(x)
    if v != v or v in (INF, -INF):
        return v
    return int(v)  # truncates towards zero, like JavaRosa


@register("round", 1, 2)
def _round(env: Env, x: Any, *places: Any) -> float:
    # ODK rounds halves away from zero; Decimal(repr) rounds the number as written.
    v = to_number(x)
    if v != v or v in (INF, -INF):
        return v
    p = to_number(places[0]) if places else 0
    if p != p:
        return NAN
    p = int(p)
    try:
        q = Decimal(repr(float(v))).quantize(Decimal(1).scaleb(-p), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return v
    return int(q) if p <= 0 else float(q)


def _numbers(args: tuple[Any, ...]) -> list[float]:
    return [raw_number(a) for a in atoms(args)]


@register("min", 1, None)
def _min(env: Env, *args: Any) -> float:
    nums = _numbers(args)
    if not nums or any(n != n for n in nums):
        return NAN
    return min(nums)


@register("max", 1, None)
def _max(env: Env, *args: Any) -> float:
    nums = _numbers(args)
    if not nums or any(n != n for n in nums):
        return NAN
    return max(nums)


@register("sum", 1)
def _sum(env: Env, nodes: Any) -> float:
    total: float = 0
    for n in _numbers((nodes,)):
        total += n
    return total


@register("count", 1)
def _count(env: Env, nodes: Any) -> int:
    return len(need_nodeset("count", nodes))


@register("count-non-empty", 1)
def _count_non_empty(env: Env, nodes: Any) -> int:
    return sum(1 for n in need_nodeset("count-non-empty", nodes) if raw_string(n.value) != "")


def _geo_points(args: tuple[Any, ...]) -> list[geo.Point] | None:
    return geo.parse_points(atom_string(a) for a in atoms(args))


@register("area", 1)
def _area(env: Env, shape: Any) -> float:
    points = _geo_points((shape,))
    return NAN if points is None else geo.area(points)


@register("distance", 1, None)
def _distance(env: Env, *args: Any) -> float:
    points = _geo_points(args)
    return NAN if points is None else geo.distance(points)
