"""Where evaluation is: position(), last(), current(), instance(), indexed-repeat()."""

from __future__ import annotations

import random as _random
from typing import Any

from forms.xpath.env import Env
from forms.xpath.errors import ExpressionError
from forms.xpath.registry import (
    need_nodeset,
    register,
)
from forms.xpath.values import (
    XNode,
    to_number,
    to_string,
)


@register("position", 0, 1)
def _position(env: Env, *args: Any) -> int:
    if not args:
        return env.position
    nodes = need_nodeset("position", args[0])
    if not nodes:
        return 0
    path = nodes[0].path
    for step in reversed(path):
        if type(step) is int:
            return step + 1
    return 1


@register("last", 0)
def _last(env: Env) -> int:
    return env.size


@register("current", 0)
def _current(env: Env) -> list[XNode]:
    return [env.current]


@register("random", 0, volatile=True)
def _random_fn(env: Env) -> float:
    return _random.random()


@register("instance", 1)
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


@register("indexed-repeat", 3, None, lazy=True)
def _indexed_repeat(env: Env, target: Any, *pairs: Any) -> list[XNode]:
    if len(pairs) % 2:
        raise ExpressionError("indexed-repeat() needs repeat, position pairs")
    free = env.unbound()
    nodes = need_nodeset("indexed-repeat", target(free))
    for repeat_thunk, index_thunk in zip(pairs[::2], pairs[1::2], strict=True):
        instances = need_nodeset("indexed-repeat", repeat_thunk(free))
        if not instances:
            return []
        structure = tuple(s for s in instances[0].path if type(s) is str)
        wanted = to_number(index_thunk(env))
        if wanted != wanted:
            return []
        wanted_i = int(wanted) - 1  # 1-based in the expression
        nodes = [n for n in nodes if _position_in(n.path, structure) == wanted_i]
    return nodes

