"""String functions: concat(), substr(), regex(), translate(), uuid(), digest() ..."""

from __future__ import annotations

import hashlib
import math
import re
import secrets
import string as _string
import uuid as _uuid
from base64 import b64encode
from typing import Any

from forms.xpath.env import Env
from forms.xpath.errors import ExpressionError
from forms.xpath.registry import (
    atom_string,
    atoms,
    register,
    self_or,
)
from forms.xpath.values import (
    INF,
    to_number,
    to_string,
)


@register("concat", 0, None)
def _concat(env: Env, *args: Any) -> str:
    return "".join(atom_string(a) for a in atoms(args))


@register("join", 1, None)
def _join(env: Env, sep: Any, *args: Any) -> str:
    return to_string(sep).join(atom_string(a) for a in atoms(args))


@register("string", 0, 1)
def _string_fn(env: Env, *args: Any) -> str:
    return to_string(self_or(env, args))


@register("string-length", 0, 1)
def _string_length(env: Env, *args: Any) -> int:
    return len(to_string(self_or(env, args)))


@register("normalize-space", 0, 1)
def _normalize_space(env: Env, *args: Any) -> str:
    return " ".join(to_string(self_or(env, args)).split())


@register("contains", 2)
def _contains(env: Env, a: Any, b: Any) -> bool:
    return to_string(b) in to_string(a)


@register("starts-with", 2)
def _starts_with(env: Env, a: Any, b: Any) -> bool:
    return to_string(a).startswith(to_string(b))


@register("ends-with", 2)
def _ends_with(env: Env, a: Any, b: Any) -> bool:
    return to_string(a).endswith(to_string(b))


@register("substring-before", 2)
def _substring_before(env: Env, a: Any, b: Any) -> str:
    s, sep = to_string(a), to_string(b)
    i = s.find(sep)
    return s[:i] if i >= 0 else ""


@register("substring-after", 2)
def _substring_after(env: Env, a: Any, b: Any) -> str:
    s, sep = to_string(a), to_string(b)
    i = s.find(sep)
    return s[i + len(sep):] if i >= 0 else ""


def _xpath_round(x: float) -> float:
    """XPath round(): halves go up (towards +infinity)."""
    if x != x or x in (INF, -INF):
        return x
    return math.floor(x + 0.5)


@register("substring", 2, 3)
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


@register("substr", 2, 3)
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


@register("translate", 3)
def _translate(env: Env, s: Any, src: Any, dst: Any) -> str:
    source, target = to_string(src), to_string(dst)
    table: dict[int, int | None] = {}
    for i, ch in enumerate(source):
        if ord(ch) not in table:  # the first occurrence wins
            table[ord(ch)] = ord(target[i]) if i < len(target) else None
    return to_string(s).translate(table)


@register("regex", 2)
def _regex(env: Env, s: Any, pattern: Any) -> bool:
    try:
        compiled = re.compile(to_string(pattern))
    except re.error as exc:
        raise ExpressionError(f"regex(): invalid pattern {to_string(pattern)!r}: {exc}") from None
    return compiled.search(to_string(s)) is not None


@register("uuid", 0, 1, volatile=True)
def _uuid_fn(env: Env, *length: Any) -> str:
    if not length:
        return str(_uuid.uuid4())
    n = to_number(length[0])
    if n != n or not 0 <= n <= 10_000:
        raise ExpressionError("uuid(n) needs a length from 0 to 10000")
    alphabet = _string.ascii_letters + _string.digits
    return "".join(secrets.choice(alphabet) for _ in range(int(n)))


@register("digest", 2, 3)
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
