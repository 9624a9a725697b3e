"""The function registry: each function's implementation, arity and flags.

Implementations take the environment and their evaluated arguments; "lazy" ones (if,
coalesce, once, indexed-repeat) take argument thunks instead, so only what is needed is
evaluated. Arity is checked by the parser, so a typo fails when a form is loaded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from forms.xpath.env import Env
from forms.xpath.errors import ExpressionError
from forms.xpath.values import (
    XNode,
    raw_string,
)


@dataclass(frozen=True, slots=True)
class Function:
    impl: Callable[..., Any]
    min_args: int
    max_args: int | None  # None: any number
    lazy: bool = False
    volatile: bool = False  # result changes between calls with the same answers


FUNCTIONS: dict[str, Function] = {}


def register(
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


def need_nodeset(name: str, v: Any) -> list[XNode]:
    if type(v) is not list:
        raise ExpressionError(f"{name}() needs a node-set (a question or a path), got {v!r}")
    return v


def atoms(args: tuple[Any, ...]) -> Iterator[Any]:
    """Every value in the arguments, node-sets expanded into their nodes' values."""
    for a in args:
        if type(a) is list:
            for node in a:
                yield node.value
        else:
            yield a


def atom_string(a: Any) -> str:
    return raw_string(a) if type(a) is not str else a


def self_or(env: Env, args: tuple[Any, ...]) -> Any:
    return args[0] if args else [env.here()]
