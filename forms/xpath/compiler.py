"""Turn a syntax tree into nested Python closures: `fn(env) -> value`.

Compiling once and calling closures avoids re-dispatching on node types at every
evaluation, which matters when a form of 200 questions is recomputed on every edit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from forms.xpath import tree
from forms.xpath.env import Env
from forms.xpath.errors import ExpressionError
from forms.xpath.functions import FUNCTIONS
from forms.xpath.nodes import (
    CHILD,
    DESCENDANT_OR_SELF,
    PARENT,
    SELF,
    Binary,
    Call,
    Expr,
    Filter,
    Literal,
    LocationPath,
    Negate,
    Ref,
    Step,
)
from forms.xpath.values import (
    XNode,
    compare,
    compare_atoms,
    divide,
    modulo,
    node_atom,
    to_boolean,
    to_number,
)

Fn = Callable[[Env], Any]
# A compiled step: axis, name, compiled predicates.
CStep = tuple[str, str | None, tuple[Fn, ...]]


def compile_expr(expr: Expr) -> Fn:
    if isinstance(expr, Literal):
        value = expr.value
        return lambda env: value
    if isinstance(expr, Ref):
        return _compile_ref(expr.name)
    if isinstance(expr, Binary):
        return _compile_binary(expr)
    if isinstance(expr, Negate):
        operand = compile_expr(expr.operand)
        return lambda env: -to_number(operand(env))
    if isinstance(expr, Call):
        return _compile_call(expr)
    if isinstance(expr, LocationPath):
        return _compile_path(expr)
    if isinstance(expr, Filter):
        return _compile_filter(expr)
    raise ExpressionError(f"cannot evaluate {expr!r}")  # pragma: no cover - parser's job


# -- references and paths ----------------------------------------------------------------
def _compile_ref(name: str) -> Fn:
    def ref(env: Env) -> list[XNode]:
        steps = env.steps_for(name)
        if len(steps) == 1 and steps[0][1] is not True:  # top level: the common case
            answers = env.answers
            value = answers.get(name) if type(answers) is dict else None
            if steps[0][1] is False or not tree.is_repeat_value(value):
                return [XNode((name,), value, answers)]
        return tree.resolve(env.root, steps, env.context)

    return ref


def _compile_steps(steps: tuple[Step, ...]) -> tuple[CStep, ...]:
    return tuple(
        (s.axis, s.name, tuple(compile_expr(p) for p in s.predicates)) for s in steps
    )


def _filter(env: Env, nodes: list[XNode], predicate: Fn) -> list[XNode]:
    size = len(nodes)
    kept = []
    for i, node in enumerate(nodes, 1):
        r = predicate(env.at(node, i, size))
        t = type(r)
        if (r == i) if (t is int or t is float) else to_boolean(r):
            kept.append(node)
    return kept


def _apply_step(env: Env, nodes: list[XNode], step: CStep, strict: bool) -> list[XNode]:
    """One step from each node. With `strict` (after //), only children that hold data."""
    axis, name, predicates = step
    out: list[XNode] = []
    for node in nodes:
        if axis == CHILD:
            if name == "*":
                found = tree.all_children(node, env.repeat_of)
            elif (type(node.value) is not dict or name not in node.value) and (
                strict or not env.may_have(node, name)  # type: ignore[arg-type]
            ):
                found = []
            else:
                found = tree.children(node, name, env.repeat_of(node, name))  # type: ignore[arg-type]
        elif axis == PARENT:
            parent = tree.parent_of(node)
            found = [] if parent is None else [parent]
        elif axis == SELF:
            found = [node]
        else:
            found = tree.descendants_or_self(node)
        for predicate in predicates:
            found = _filter(env, found, predicate)
        out.extend(found)
    if len(nodes) > 1 and axis in (PARENT, DESCENDANT_OR_SELF):
        out = _unique(out)
    return out


def _unique(nodes: list[XNode]) -> list[XNode]:
    seen: set[tuple[int, tuple[Any, ...]]] = set()
    out = []
    for n in nodes:
        key = (id(n.root), n.path)
        if key not in seen:
            seen.add(key)
            out.append(n)
    return out


def _walk(env: Env, nodes: list[XNode], steps: tuple[CStep, ...], bind: bool) -> list[XNode]:
    """Apply steps; with `bind`, narrow repeats the context is inside (like `${name}`)."""
    context = env.context if bind else ()
    n_ctx = len(context)
    ci = 0
    last = len(steps) - 1
    strict = False
    for k, step in enumerate(steps):
        axis, name, predicates = step
        if ci < n_ctx and axis == CHILD and not predicates and context[ci] == name:
            ci += 1
            if ci < n_ctx and type(context[ci]) is int:
                position = context[ci]
                ci += 1
                if k != last:
                    narrowed = [tree.instance_at(n, name, position) for n in nodes]  # type: ignore[arg-type]
                    nodes = [n for n in narrowed if n is not None]
                    continue
        else:
            n_ctx = 0  # left the context's branch: no more narrowing
        nodes = _apply_step(env, nodes, step, strict)
        strict = step[0] == DESCENDANT_OR_SELF
        if not nodes:
            break
    return nodes


def _compile_path(path: LocationPath) -> Fn:
    steps = _compile_steps(path.steps)
    if path.absolute:
        if not steps:
            return lambda env: [env.root]
        first_axis, _first_name, first_preds = steps[0]
        rest = steps[1:]
        if first_axis != CHILD:  # "//x": search the whole record
            return lambda env: _walk(env, [env.root], steps, False)

        def absolute(env: Env) -> list[XNode]:
            # The first step names the root element (/data, or the form id): the answers.
            nodes = [env.root]
            for predicate in first_preds:
                nodes = _filter(env, nodes, predicate)
            return _walk(env, nodes, rest, True)

        return absolute
    if len(steps) == 1 and steps[0][0] == SELF and not steps[0][2]:
        return lambda env: [env.here()]

    if len(steps) == 1 and steps[0][0] == CHILD and not steps[0][2] and steps[0][1] != "*":
        name = steps[0][1]

        def child(env: Env) -> list[XNode]:
            # `age` in `${members}[age > 18]`: a plain answer needs no general walk.
            node = env.here()
            parent = node.value
            if type(parent) is dict and name in parent:
                value = parent[name]
                if type(value) is not list:
                    return [XNode((*node.path, name), value, node.root)]
            return _walk(env, [node], steps, False)

        return child

    def relative(env: Env) -> list[XNode]:
        return _walk(env, [env.here()], steps, False)

    return relative


def _compile_filter(expr: Filter) -> Fn:
    primary = compile_expr(expr.primary)
    predicates = tuple(compile_expr(p) for p in expr.predicates)
    steps = _compile_steps(expr.steps)

    def filtered(env: Env) -> list[XNode]:
        nodes = primary(env)
        if type(nodes) is not list:
            raise ExpressionError(f"predicates and paths need a node-set, got {nodes!r}")
        for predicate in predicates:
            nodes = _filter(env, nodes, predicate)
        return _walk(env, nodes, steps, False) if steps else nodes

    return filtered


# -- operators ------------------------------------------------------------------------
def _compile_binary(expr: Binary) -> Fn:
    op = expr.op
    left = compile_expr(expr.left)
    right = compile_expr(expr.right)
    if op == "or":
        return lambda env: to_boolean(left(env)) or to_boolean(right(env))
    if op == "and":
        return lambda env: to_boolean(left(env)) and to_boolean(right(env))
    if op in ("=", "!=", "<", "<=", ">", ">="):
        if isinstance(expr.right, Literal):
            const = expr.right.value

            def compare_const(env: Env) -> bool:
                a = left(env)
                if type(a) is list:
                    if len(a) == 1:  # the usual `${q} > 5`: no generator needed
                        return compare_atoms(op, node_atom(a[0]), const)
                    return compare(op, a, const)
                return compare_atoms(op, a, const)

            return compare_const
        return lambda env: compare(op, left(env), right(env))
    if op == "+":
        return lambda env: to_number(left(env)) + to_number(right(env))
    if op == "-":
        return lambda env: to_number(left(env)) - to_number(right(env))
    if op == "*":
        return lambda env: to_number(left(env)) * to_number(right(env))
    if op == "div":
        return lambda env: divide(to_number(left(env)), to_number(right(env)))
    if op == "mod":
        return lambda env: modulo(to_number(left(env)), to_number(right(env)))
    if op == "|":

        def union(env: Env) -> list[XNode]:
            a, b = left(env), right(env)
            if type(a) is not list or type(b) is not list:
                raise ExpressionError("'|' joins node-sets only")
            return _unique(a + b)

        return union
    raise ExpressionError(f"unknown operator {op!r}")  # pragma: no cover


# -- calls ------------------------------------------------------------------------------
def _compile_call(call: Call) -> Fn:
    fn = FUNCTIONS.get(call.name)
    if fn is None:
        raise ExpressionError(f"unknown function '{call.name}()'")
    impl = fn.impl
    args = tuple(compile_expr(a) for a in call.args)
    if fn.lazy:
        return lambda env: impl(env, *args)
    if not args:
        return lambda env: impl(env)
    if len(args) == 1:
        (a,) = args
        return lambda env: impl(env, a(env))
    if len(args) == 2:
        a, b = args
        return lambda env: impl(env, a(env), b(env))
    return lambda env: impl(env, *(a(env) for a in args))
