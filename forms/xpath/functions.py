"""The XPath 1.0 and ODK function library.

Each function takes the environment and its evaluated arguments; "lazy" ones (if,
coalesce, once, indexed-repeat) take argument thunks instead, so only the branch that
is needed is evaluated. Arity is declared here and checked by the parser.
"""

from __future__ import annotations

import hashlib
import math
import random as _random
import re
import secrets
import string as _string
import uuid as _uuid
from base64 import b64encode
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from forms.xpath import dates, geo
from forms.xpath.env import Env
from forms.xpath.errors import ExpressionError
from forms.xpath.values import (
    INF,
    NAN,
    XNode,
    raw_boolean,
    raw_number,
    raw_string,
    to_boolean,
    to_number,
    to_string,
)


@dataclass(frozen=True, slots=True)
class Function:
    impl: Callable[..., Any]
    min_args: int
    max_args: int | None  # None: any number
    lazy: bool = False
    volatile: bool = False  # result changes between calls with the same answers


FUNCTIONS: dict[str, Function] = {}


def _register(
    name: str, min_args: int, max_args: int | None = -1, *, lazy: bool = False,
    volatile: bool = False,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def wrap(impl: Callable[..., Any]) -> Callable[..., Any]:
        FUNCTIONS[name] = Function(
            impl, min_args, min_args if max_args == -1 else max_args, lazy, volatile
        )
        return impl

    return wrap


def check_call(name: str, nargs: int) -> str | None:
    """Problem with calling `name` with `nargs` arguments, or None (used by the parser)."""
    fn = FUNCTIONS.get(name)
    if fn is None:
        return f"unknown function '{name}()'"
    if nargs < fn.min_args or (fn.max_args is not None and nargs > fn.max_args):
        if fn.max_args == fn.min_args:
            want = str(fn.min_args)
        elif fn.max_args is None:
            want = f"at least {fn.min_args}"
        else:
            want = f"{fn.min_args} to {fn.max_args}"
        s = "" if want in ("1", "at least 1") else "s"
        return f"{name}() takes {want} argument{s}, got {nargs}"
    return None


def _need_nodeset(name: str, v: Any) -> list[XNode]:
    if type(v) is not list:
        raise ExpressionError(f"{name}() needs a node-set (a question or a path), got {v!r}")
    return v


def _atoms(args: tuple[Any, ...]) -> Iterator[Any]:
    """Every value in the arguments, node-sets expanded into their nodes' values."""
    for a in args:
        if type(a) is list:
            for node in a:
                yield node.value
        else:
            yield a


def _atom_string(a: Any) -> str:
    return raw_string(a) if type(a) is not str else a


def _self_or(env: Env, args: tuple[Any, ...]) -> Any:
    return args[0] if args else [env.here()]


# -- selects --------------------------------------------------------------------------
@_register("selected", 2)
def _selected(env: Env, values: Any, choice: Any) -> bool:
    return to_string(choice).strip() in to_string(values).split()


@_register("count-selected", 1)
def _count_selected(env: Env, values: Any) -> int:
    return len(to_string(values).split())


@_register("selected-at", 2)
def _selected_at(env: Env, values: Any, n: Any) -> str:
    tokens = to_string(values).split()
    i = to_number(n)
    if i != i or i in (INF, -INF):
        return ""
    i = int(i)
    return tokens[i] if 0 <= i < len(tokens) else ""


_REF_IN_STRING = re.compile(r"\s*\$\{\s*([^}\s]+)\s*\}\s*\Z")


@_register("jr:choice-name", 2)
def _choice_name(env: Env, value: Any, question: Any) -> str:
    from forms.spec import text_in

    name_value = to_string(value)
    ref = to_string(question)
    m = _REF_IN_STRING.match(ref)
    qname = m[1] if m else re.sub(r"\[[^\]]*\]", "", ref).rstrip("/").rsplit("/", 1)[-1]
    index = env.index
    if index is None:
        return name_value  # no labels without a form: the choice name is the best we have
    list_name = index.list_by_name.get(qname)
    if list_name is None:
        raise ExpressionError(f"jr:choice-name(): {ref!r} is not a select question")
    choice = index.choices(list_name).get(name_value)
    if choice is None:
        return ""
    return text_in(choice.label, env.language, index.form.default_language)


# -- control --------------------------------------------------------------------------
@_register("if", 3, lazy=True)
def _if(env: Env, cond: Any, then: Any, other: Any) -> Any:
    return then(env) if to_boolean(cond(env)) else other(env)


@_register("coalesce", 2, None, lazy=True)
def _coalesce(env: Env, *thunks: Any) -> Any:
    value: Any = ""
    for thunk in thunks:
        value = thunk(env)
        if to_string(value) != "":
            return value
    return value


@_register("once", 1, lazy=True)
def _once(env: Env, thunk: Any) -> Any:
    if raw_string(env.current.value) != "":
        return [env.current]
    return thunk(env)


# -- strings --------------------------------------------------------------------------
@_register("concat", 0, None)
def _concat(env: Env, *args: Any) -> str:
    return "".join(_atom_string(a) for a in _atoms(args))


@_register("join", 1, None)
def _join(env: Env, sep: Any, *args: Any) -> str:
    return to_string(sep).join(_atom_string(a) for a in _atoms(args))


@_register("string", 0, 1)
def _string_fn(env: Env, *args: Any) -> str:
    return to_string(_self_or(env, args))


@_register("string-length", 0, 1)
def _string_length(env: Env, *args: Any) -> int:
    return len(to_string(_self_or(env, args)))


@_register("normalize-space", 0, 1)
def _normalize_space(env: Env, *args: Any) -> str:
    return " ".join(to_string(_self_or(env, args)).split())


@_register("contains", 2)
def _contains(env: Env, a: Any, b: Any) -> bool:
    return to_string(b) in to_string(a)


@_register("starts-with", 2)
def _starts_with(env: Env, a: Any, b: Any) -> bool:
    return to_string(a).startswith(to_string(b))


@_register("ends-with", 2)
def _ends_with(env: Env, a: Any, b: Any) -> bool:
    return to_string(a).endswith(to_string(b))


@_register("substring-before", 2)
def _substring_before(env: Env, a: Any, b: Any) -> str:
    s, sep = to_string(a), to_string(b)
    i = s.find(sep)
    return s[:i] if i >= 0 else ""


@_register("substring-after", 2)
def _substring_after(env: Env, a: Any, b: Any) -> str:
    s, sep = to_string(a), to_string(b)
    i = s.find(sep)
    return s[i + len(sep):] if i >= 0 else ""


def _xpath_round(x: float) -> float:
    """XPath round(): halves go up (towards +infinity)."""
    if x != x or x in (INF, -INF):
        return x
    return math.floor(x + 0.5)


@_register("substring", 2, 3)
def _substring(env: Env, s: Any, start: Any, *length: Any) -> str:
    # XPath 1.0: characters at 1-based positions p with round(start) <= p < round(start)+round(len)
    text = to_string(s)
    first = _xpath_round(to_number(start))
    end = first + _xpath_round(to_number(length[0])) if length else INF
    if first != first or end != end:
        return ""
    lo = max(first, 1)
    if end <= lo:
        return ""
    hi = len(text) + 1 if end == INF else min(end, len(text) + 1)
    return text[int(lo) - 1 : int(hi) - 1]


@_register("substr", 2, 3)
def _substr(env: Env, s: Any, start: Any, *end: Any) -> str:
    # ODK's substr: 0-based start, exclusive end, both clamped to the string.
    text = to_string(s)
    n = len(text)

    def clamp(v: Any, default: int) -> int:
        x = to_number(v)
        if x != x:
            return default
        if x in (INF, -INF):
            return n if x > 0 else 0
        return min(max(int(x), 0), n)

    lo = clamp(start, 0)
    hi = clamp(end[0], n) if end else n
    return text[lo:hi] if hi > lo else ""


@_register("translate", 3)
def _translate(env: Env, s: Any, src: Any, dst: Any) -> str:
    source, target = to_string(src), to_string(dst)
    table: dict[int, int | None] = {}
    for i, ch in enumerate(source):
        if ord(ch) not in table:  # the first occurrence wins
            table[ord(ch)] = ord(target[i]) if i < len(target) else None
    return to_string(s).translate(table)


@_register("regex", 2)
def _regex(env: Env, s: Any, pattern: Any) -> bool:
    try:
        compiled = re.compile(to_string(pattern))
    except re.error as exc:
        raise ExpressionError(f"regex(): invalid pattern {to_string(pattern)!r}: {exc}") from None
    return compiled.search(to_string(s)) is not None


@_register("uuid", 0, 1, volatile=True)
def _uuid_fn(env: Env, *length: Any) -> str:
    if not length:
        return str(_uuid.uuid4())
    n = to_number(length[0])
    if n != n or not 0 <= n <= 10_000:
        raise ExpressionError("uuid(n) needs a length from 0 to 10000")
    alphabet = _string.ascii_letters + _string.digits
    return "".join(secrets.choice(alphabet) for _ in range(int(n)))


@_register("digest", 2, 3)
def _digest(env: Env, data: Any, algorithm: Any, *encoding: Any) -> str:
    names = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384",
             "SHA-512": "sha512"}
    algo = names.get(to_string(algorithm).upper())
    if algo is None:
        raise ExpressionError(f"digest(): unknown algorithm {to_string(algorithm)!r}")
    raw = hashlib.new(algo, to_string(data).encode("utf-8")).digest()
    enc = to_string(encoding[0]).lower() if encoding else "base64"
    if enc == "hex":
        return raw.hex()
    if enc == "base64":
        return b64encode(raw).decode("ascii")
    raise ExpressionError(f"digest(): unknown encoding {enc!r}")


# -- numbers --------------------------------------------------------------------------
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


@_register("atan2", 2)
def _atan2(env: Env, y: Any, x: Any) -> float:
    return math.atan2(to_number(y), to_number(x))


@_register("pi", 0)
def _pi(env: Env) -> float:
    return math.pi


@_register("pow", 2)
def _pow(env: Env, base: Any, exponent: Any) -> float:
    b, e = to_number(base), to_number(exponent)
    try:
        return math.pow(b, e)
    except ValueError:
        return NAN
    except OverflowError:
        return INF


@_register("number", 0, 1)
def _number(env: Env, *args: Any) -> float:
    return to_number(_self_or(env, args))


@_register("int", 1)
def _int(env: Env, x: Any) -> float:
    v = to_number(x)
    if v != v or v in (INF, -INF):
        return v
    return int(v)  # truncates towards zero, like JavaRosa


@_register("round", 1, 2)
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
    return [raw_number(a) for a in _atoms(args)]


@_register("min", 1, None)
def _min(env: Env, *args: Any) -> float:
    nums = _numbers(args)
    if not nums or any(n != n for n in nums):
        return NAN
    return min(nums)


@_register("max", 1, None)
def _max(env: Env, *args: Any) -> float:
    nums = _numbers(args)
    if not nums or any(n != n for n in nums):
        return NAN
    return max(nums)


@_register("sum", 1)
def _sum(env: Env, nodes: Any) -> float:
    total: float = 0
    for n in _numbers((nodes,)):
        total += n
    return total


@_register("count", 1)
def _count(env: Env, nodes: Any) -> int:
    return len(_need_nodeset("count", nodes))


@_register("count-non-empty", 1)
def _count_non_empty(env: Env, nodes: Any) -> int:
    return sum(1 for n in _need_nodeset("count-non-empty", nodes) if raw_string(n.value) != "")


# -- booleans -------------------------------------------------------------------------
@_register("boolean", 1)
def _boolean(env: Env, x: Any) -> bool:
    return to_boolean(x)


@_register("boolean-from-string", 1)
def _boolean_from_string(env: Env, x: Any) -> bool:
    return to_string(x).strip() in ("true", "1")


@_register("not", 1)
def _not(env: Env, x: Any) -> bool:
    return not to_boolean(x)


@_register("true", 0)
def _true(env: Env) -> bool:
    return True


@_register("false", 0)
def _false(env: Env) -> bool:
    return False


def _true_count(values: Any) -> Iterator[bool]:
    for a in values:
        yield raw_boolean(a)


@_register("checklist", 2, None)
def _checklist(env: Env, lo: Any, hi: Any, *values: Any) -> bool:
    count = sum(_true_count(_atoms(values)))
    return _within(count, lo, hi)


@_register("weighted-checklist", 2, None)
def _weighted_checklist(env: Env, lo: Any, hi: Any, *pairs: Any) -> bool:
    if len(pairs) % 2:
        raise ExpressionError("weighted-checklist() needs value, weight pairs")
    total: float = 0
    for value, weight in zip(pairs[::2], pairs[1::2], strict=True):
        flags = list(_true_count(_atoms((value,))))
        weights = [raw_number(w) for w in _atoms((weight,))]
        for i, flag in enumerate(flags):
            if flag:
                total += weights[i] if i < len(weights) else weights[-1] if weights else 0
    return _within(total, lo, hi)


def _within(total: float, lo: Any, hi: Any) -> bool:
    low, high = to_number(lo), to_number(hi)
    # -1 means "no limit" in ODK's checklist functions.
    return (low == -1 or total >= low) and (high == -1 or total <= high)


# -- dates ----------------------------------------------------------------------------
@_register("today", 0, volatile=True)
def _today(env: Env) -> date:
    return env.clock().date()


@_register("now", 0, volatile=True)
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


@_register("date", 1)
def _date(env: Env, x: Any) -> date | str:
    v = _as_temporal(x)
    if v is None:
        return ""
    return v.date() if isinstance(v, datetime) else v


@_register("date-time", 1)
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


@_register("decimal-time", 1)
def _decimal_time(env: Env, x: Any) -> float:
    fraction = dates.time_fraction(to_string(x))
    return NAN if fraction is None else fraction


def _format(x: Any, pattern: Any) -> str:
    v = _as_temporal(x)
    return "" if v is None else dates.format_odk(v, to_string(pattern))


@_register("format-date", 2)
def _format_date(env: Env, x: Any, pattern: Any) -> str:
    return _format(x, pattern)


@_register("format-date-time", 2)
def _format_date_time(env: Env, x: Any, pattern: Any) -> str:
    return _format(x, pattern)


# -- geo ------------------------------------------------------------------------------
def _geo_points(args: tuple[Any, ...]) -> list[geo.Point] | None:
    return geo.parse_points(_atom_string(a) for a in _atoms(args))


@_register("area", 1)
def _area(env: Env, shape: Any) -> float:
    points = _geo_points((shape,))
    return NAN if points is None else geo.area(points)


@_register("distance", 1, None)
def _distance(env: Env, *args: Any) -> float:
    points = _geo_points(args)
    return NAN if points is None else geo.distance(points)


# -- context --------------------------------------------------------------------------
@_register("position", 0, 1)
def _position(env: Env, *args: Any) -> int:
    if not args:
        return env.position
    nodes = _need_nodeset("position", args[0])
    if not nodes:
        return 0
    path = nodes[0].path
    for step in reversed(path):
        if type(step) is int:
            return step + 1
    return 1


@_register("last", 0)
def _last(env: Env) -> int:
    return env.size


@_register("current", 0)
def _current(env: Env) -> list[XNode]:
    return [env.current]


@_register("random", 0, volatile=True)
def _random_fn(env: Env) -> float:
    return _random.random()


@_register("instance", 1)
def _instance(env: Env, name: Any) -> list[XNode]:
    list_name = to_string(name)
    tree = env.index.instance(list_name, env.language) if env.index is not None else None
    if tree is None:
        raise ExpressionError(f"instance('{list_name}'): no such choice list in this form")
    return [XNode((), tree, tree)]


def _position_in(path: tuple[Any, ...], repeat: tuple[str, ...]) -> int | None:
    """The 0-based instance of repeat `repeat` (structural names) that `path` lies in."""
    names = 0
    for i, step in enumerate(path):
        if type(step) is str:
            if step != repeat[names]:
                return None
            names += 1
            if names == len(repeat):
                nxt = path[i + 1] if i + 1 < len(path) else None
                return nxt if type(nxt) is int else None
    return None


@_register("indexed-repeat", 3, None, lazy=True)
def _indexed_repeat(env: Env, target: Any, *pairs: Any) -> list[XNode]:
    if len(pairs) % 2:
        raise ExpressionError("indexed-repeat() needs repeat, position pairs")
    free = env.unbound()
    nodes = _need_nodeset("indexed-repeat", target(free))
    for repeat_thunk, index_thunk in zip(pairs[::2], pairs[1::2], strict=True):
        instances = _need_nodeset("indexed-repeat", repeat_thunk(free))
        if not instances:
            return []
        structure = tuple(s for s in instances[0].path if type(s) is str)
        wanted = to_number(index_thunk(env))
        if wanted != wanted:
            return []
        wanted_i = int(wanted) - 1  # 1-based in the expression
        nodes = [n for n in nodes if _position_in(n.path, structure) == wanted_i]
    return nodes


#: Names of functions whose result changes from call to call.
VOLATILE = frozenset(name for name, fn in FUNCTIONS.items() if fn.volatile)
