"""Selects and control flow: selected(), jr:choice-name(), if(), coalesce(), checklists."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from forms.xpath.env import Env
from forms.xpath.errors import ExpressionError
from forms.xpath.registry import (
    atoms,
    register,
)
from forms.xpath.values import (
    INF,
    raw_boolean,
    raw_number,
    raw_string,
    to_boolean,
    to_number,
    to_string,
)


@register("selected", 2)
def _selected(env: Env, values: Any, choice: Any) -> bool:
    return to_string(choice).strip() in to_string(values).split()


@register("count-selected", 1)
def _count_selected(env: Env, values: Any) -> int:
    return len(to_string(values).split())


@register("selected-at", 2)
def _selected_at(env: Env, values: Any, n: Any) -> str:
    tokens = to_string(values).split()
    i = to_number(n)
    if i != i or i in (INF, -INF):
        return ""
    i = int(i)
    return tokens[i] if 0 <= i < len(tokens) else ""


_REF_IN_STRING = re.compile(r"\s*\$\{\s*([^}\s]+)\s*\}\s*\Z")


@register("jr:choice-name", 2)
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


@register("if", 3, lazy=True)
def _if(env: Env, cond: Any, then: Any, other: Any) -> Any:
    return then(env) if to_boolean(cond(env)) else other(env)


@register("coalesce", 2, None, lazy=True)
def _coalesce(env: Env, *thunks: Any) -> Any:
    value: Any = ""
    for thunk in thunks:
        value = thunk(env)
        if to_string(value) != "":
            return value
    return value


@register("once", 1, lazy=True)
def _once(env: Env, thunk: Any) -> Any:
    if raw_string(env.current.value) != "":
        return [env.current]
    return thunk(env)


@register("boolean", 1)
def _boolean(env: Env, x: Any) -> bool:
    return to_boolean(x)


@register("boolean-from-string", 1)
def _boolean_from_string(env: Env, x: Any) -> bool:
    return to_string(x).strip() in ("true", "1")


@register("not", 1)
def _not(env: Env, x: Any) -> bool:
    return not to_boolean(x)


@register("true", 0)
def _true(env: Env) -> bool:
    return True


@register("false", 0)
def _false(env: Env) -> bool:
    return False


def _true_count(values: Any) -> Iterator[bool]:
    for a in values:
        yield raw_boolean(a)


@register("checklist", 2, None)
def _checklist(env: Env, lo: Any, hi: Any, *values: Any) -> bool:
    count = sum(_true_count(atoms(values)))
    return _within(count, lo, hi)


@register("weighted-checklist", 2, None)
def _weighted_checklist(env: Env, lo: Any, hi: Any, *pairs: Any) -> bool:
    if len(pairs) % 2:
        raise ExpressionError("weighted-checklist() needs value, weight pairs")
    total: float = 0
    for value, weight in zip(pairs[::2], pairs[1::2], strict=True):
        flags = list(_true_count(atoms((value,))))
        weights = [raw_number(w) for w in atoms((weight,))]
        for i, flag in enumerate(flags):
            if flag:
                total += weights[i] if i < len(weights) else weights[-1] if weights else 0
    return _within(total, lo, hi)


def _within(total: float, lo: Any, hi: Any) -> bool:
    low, high = to_number(lo), to_number(hi)
    # -1 means "no limit" in ODK's checklist functions.
    return (low == -1 or total >= low) and (high == -1 or total <= high)
