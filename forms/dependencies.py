"""Which parts of a form depend on which answers, worked out once per form.

The graph has two kinds of item per form node:

- ``rel``: whether the node is relevant. It depends on the answers its `relevant`
  expression reads and on the relevance of its parent (relevance is inherited).
- ``val``: a question's value. Every question depends on its own relevance (an answer
  of a question that stops being relevant is removed); a calculated one also depends on
  what its calculation reads. A repeat's ``val`` is its list of instances.

An edge carries how far the two ends share a repeat instance (`Edge.local`): a
``${name}`` reference from inside a repeat to a sibling means "the same instance" (ODK's
rule), an absolute path ``/data/members/age`` means every instance, and a relative path
``../../x`` shares the instances above the node it climbs to. The engine uses that to
recompute one household member's calculations, not every member's.

`check_cycles` finds calculations and relevance conditions that depend on each other
in a circle, as ODK Collect would refuse the form at open time; the loader calls it.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from forms.spec import FormSpec, Node
from forms.xpath.nodes import (
    CHILD,
    PARENT,
    SELF,
    Call,
    Expr,
    Filter,
    LocationPath,
    Ref,
    Step,
)

REL = "rel"
VAL = "val"

#: `Edge.local` for references that share every repeat instance the two ends have in common.
SHARED = 1 << 30


@dataclass(frozen=True)
class Item:
    """One computed thing: the relevance (`rel`) or the value (`val`) of a form node."""

    kind: str
    path: tuple[str, ...]


@dataclass(frozen=True)
class Edge:
    """`target` must be recomputed when the source changes.

    `local` counts the leading names of the paths along which the two ends are in the
    same repeat instance (SHARED: all they have in common; 0: none).
    """

    target: Item
    local: int = SHARED


@dataclass(frozen=True)
class Reference:
    """A node an expression reads, and how far it stays in the reader's repeat instances."""

    path: tuple[str, ...]
    local: int = SHARED


@dataclass(frozen=True)
class Graph:
    """The dependency graph of one form, with its items in an order that respects it."""

    order: tuple[Item, ...]
    successors: Mapping[Item, tuple[Edge, ...]]
    #: Items whose value a constraint/required/choice_filter/repeat_count reads:
    #: source item -> (node path of the check, local) for re-validation after a change.
    checks: Mapping[Item, tuple[tuple[tuple[str, ...], int], ...]]
    #: False when relevance and removal of answers go round in a circle that is not a
    #: calculation cycle (a group whose relevance reads a question inside it); the
    #: engine then recomputes everything after each change, until nothing moves.
    acyclic: bool = True
    position: Mapping[Item, int] = field(default_factory=dict)


# -- references ------------------------------------------------------------------------
# Read from the expression's syntax tree rather than from its path texts, so that a path
# inside a predicate (`${people}[age > 17]`) is read relative to what it filters, and
# `current()` is the question the expression belongs to.

Where = tuple[tuple[str, ...], int]  # a static node path and its `local`


class _Reader:
    def __init__(self, names: Mapping[str, Node], known: Mapping[tuple[str, ...], Node],
                 reader: tuple[str, ...]) -> None:
        self.names = names
        self.known = known
        self.reader: Where = (reader, len(reader))
        self.found: list[Reference] = []

    def walk(self, expr: Expr, ctx: Where | None) -> None:
        target = self.nodeset(expr, ctx)
        if target is not None and target[0] in self.known:
            self.found.append(Reference(*target))

    def nodeset(self, expr: Expr, ctx: Where | None) -> Where | None:
        """The nodes `expr` selects (None if not form nodes); records what it reads inside."""
        if isinstance(expr, Ref):
            node = self.names.get(expr.name)
            return (node.path, SHARED) if node is not None else None
        if isinstance(expr, LocationPath):
            if expr.absolute:
                if not expr.steps:
                    return None
                return self.steps(expr.steps[1:], ((), 0))  # the first step is the root
            return self.steps(expr.steps, ctx)
        if isinstance(expr, Filter):
            base = self.nodeset(expr.primary, ctx)
            if base is not None and base[0] not in self.known:
                base = None
            if base is not None and expr.predicates:
                self.found.append(Reference(*base))
            self.predicates(expr.predicates, base)
            return self.steps(expr.steps, base)
        if isinstance(expr, Call):
            if expr.name == "current" and not expr.args:
                return self.reader
            for arg in expr.args:
                self.walk(arg, ctx)
            return None
        for name in ("left", "right", "operand"):
            child = getattr(expr, name, None)
            if isinstance(child, Expr):
                self.walk(child, ctx)
        return None

    def predicates(self, predicates: tuple[Expr, ...], over: Where | None) -> None:
        # A predicate looks at every node of the set in turn: from there on nothing is
        # bound to the reader's instance of the last step.
        inner = None if over is None else (over[0], min(over[1], max(len(over[0]) - 1, 0)))
        for predicate in predicates:
            self.walk(predicate, inner)

    def steps(self, steps: tuple[Step, ...], start: Where | None) -> Where | None:
        where = start
        for step in steps:
            if where is not None:
                path, local = where
                if step.axis == SELF:
                    pass
                elif step.axis == PARENT and path:
                    path = path[:-1]
                    local = min(local, len(path))
                elif step.axis == CHILD and step.name not in (None, "*"):
                    path = (*path, step.name)
                else:  # `//`, `*`, node(), climbing above the root: not one form node
                    path = None  # type: ignore[assignment]
                where = None if path is None else (path, local)
            self.predicates(step.predicates, where)
            if where is not None and step.predicates and where[0] in self.known:
                self.found.append(Reference(*where))
        return where


def references(form_nodes: Mapping[str, Node], expression: str | None,
               context: tuple[str, ...],
               by_path: Mapping[tuple[str, ...], Node] | None = None) -> list[Reference]:
    """The nodes `expression` (written on the node at `context`) reads, each once.

    `form_nodes` maps names to nodes; `by_path` (paths to nodes) is derived if not given.
    """
    if not expression:
        return []
    from forms.expressions import ExpressionError, compile_expression

    try:
        tree = compile_expression(expression).tree
    except ExpressionError:
        return []  # the loader reports it (form.expression_syntax) before asking us
    known = by_path if by_path is not None else {n.path: n for n in form_nodes.values()}
    reader = _Reader(form_nodes, known, context)
    reader.walk(tree, reader.reader)
    return list(dict.fromkeys(reader.found))


# -- the graph -------------------------------------------------------------------------


_MESSAGE_REFERENCE = re.compile(r"\$\{([A-Za-z_][\w.-]*)\}")


def _message_names(node: Node) -> str | None:
    """The questions a node's constraint and required messages name (`${name}`, in any
    language), as an expression reading them all: a message is rebuilt when they change,
    not only when what its rule reads changes."""
    found = {name for texts in (node.constraint_message, node.required_message)
             for text in (texts or {}).values()
             for name in _MESSAGE_REFERENCE.findall(text or "")}
    return " + ".join(f"${{{name}}}" for name in sorted(found)) or None


def _nodes_by_name(form: FormSpec) -> dict[str, Node]:
    return {n.name: n for n in form.walk()}


def _val_item(node: Node) -> Item | None:
    if node.is_question or node.is_repeat:
        return Item(VAL, node.path)
    return None


def _sources(by_path: Mapping[tuple[str, ...], Node], ref: Reference
             ) -> list[tuple[Item, int]]:
    """The items a reference reads: the node's value, and the instance lists of the
    repeats around it (when a repeat's list goes, so do the values read in it)."""
    node = by_path[ref.path]
    found = []
    item = _val_item(node)
    if item is not None:
        found.append((item, ref.local))
    for depth in range(1, len(ref.path)):
        outer = by_path.get(ref.path[:depth])
        if outer is not None and outer.is_repeat:
            found.append((Item(VAL, outer.path), ref.local))
    return found


def _expression_edges(form: FormSpec) -> dict[Item, list[tuple[Item, int]]]:
    """target item -> [(source item, local)] from relevant, calculation and the tree."""
    names = _nodes_by_name(form)
    by_path = {n.path: n for n in form.walk()}
    deps: dict[Item, list[tuple[Item, int]]] = {}
    for node in form.walk():
        rel = Item(REL, node.path)
        deps[rel] = []
        parent = by_path.get(node.path[:-1])
        if parent is not None:
            deps[rel].append((Item(REL, parent.path), SHARED))
        for ref in references(names, node.relevant, node.path, by_path):
            deps[rel].extend(_sources(by_path, ref))
        val = _val_item(node)
        if val is None:
            continue
        deps[val] = [(rel, SHARED)]
        if node.is_question and node.calculation:
            # A triggered calculation runs when its trigger changes, not what it reads.
            expression = node.trigger or node.calculation
            for ref in references(names, expression, node.path, by_path):
                deps[val].extend(
                    (source, local) for source, local in _sources(by_path, ref)
                    if source != val  # `.`: the "once" idiom, not a cycle
                )
    return deps


def _topological(items: Iterable[Item], deps: Mapping[Item, list[tuple[Item, int]]]
                 ) -> list[Item] | None:
    """Items with every dependency first, in form order otherwise; None on a cycle."""
    items = list(items)
    waiting = {item: {d for d, _ in deps.get(item, ()) if d in deps} for item in items}
    dependents: dict[Item, list[Item]] = {item: [] for item in items}
    for item, sources in waiting.items():
        for source in sources:
            dependents[source].append(item)
    rank = {item: i for i, item in enumerate(items)}
    ready = [(rank[i], i) for i in items if not waiting[i]]
    heapq.heapify(ready)
    order: list[Item] = []
    while ready:
        _, item = heapq.heappop(ready)
        order.append(item)
        for dependent in dependents[item]:
            waiting[dependent].discard(item)
            if not waiting[dependent]:
                heapq.heappush(ready, (rank[dependent], dependent))
    return order if len(order) == len(items) else None


def build_graph(form: FormSpec) -> Graph:
    """The dependency graph of `form` with a topological order of its items."""
    deps = _expression_edges(form)
    # Form order is the tie-break, so recompute visits items the way a reader would.
    items = list(deps)  # form order, each node's relevance before its value
    order = _topological(items, deps)
    acyclic = order is not None
    if order is None:
        # Drop the "an answer goes when its question is hidden" edges that close a circle;
        # the engine's fixpoint loop makes up for them.
        relaxed = {
            item: [(d, loc) for d, loc in sources
                   if not (item.kind == VAL and d.kind == REL and d.path == item.path)]
            for item, sources in deps.items()
        }
        order = _topological(items, relaxed) or items
    successors: dict[Item, list[Edge]] = {item: [] for item in deps}
    for target, sources in deps.items():
        for source, local in sources:
            successors[source].append(Edge(target, local))
    names = _nodes_by_name(form)
    by_path = {n.path: n for n in form.walk()}
    checks: dict[Item, list[tuple[tuple[str, ...], int]]] = {}
    for node in form.walk():
        for expression in (node.constraint, node.required, node.choice_filter,
                           node.repeat_count, _message_names(node)):
            for ref in references(names, expression, node.path, by_path):
                source = _val_item(by_path[ref.path])
                if source is not None:
                    checks.setdefault(source, []).append((node.path, ref.local))
    return Graph(
        order=tuple(order),
        successors={k: tuple(dict.fromkeys(v)) for k, v in successors.items()},
        checks={k: tuple(dict.fromkeys(v)) for k, v in checks.items()},
        acyclic=acyclic,
        position={item: i for i, item in enumerate(order)},
    )


# -- cycles ----------------------------------------------------------------------------


def find_cycle(form: FormSpec) -> list[Node] | None:
    """A circle of calculations/relevance conditions as nodes (first repeated last)."""
    names = _nodes_by_name(form)
    by_path = {n.path: n for n in form.walk()}
    # ODK's rule: an edge from each node an expression reads to the node whose value or
    # relevance it computes; an expression reading its own node (`.`) is allowed.
    reads: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
    for node in form.walk():
        targets: list[tuple[str, ...]] = []
        for expression in (node.calculation, node.relevant):
            for ref in references(names, expression, node.path, by_path):
                if ref.path != node.path and ref.path in by_path:
                    targets.append(ref.path)
        reads[node.path] = list(dict.fromkeys(targets))
    state: dict[tuple[str, ...], int] = {}  # 1: on the stack, 2: done
    stack: list[tuple[str, ...]] = []

    def visit(path: tuple[str, ...]) -> list[tuple[str, ...]] | None:
        state[path] = 1
        stack.append(path)
        for nxt in reads.get(path, ()):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[path] = 2
        return None

    for node in form.walk():
        if node.path not in state:
            cycle = visit(node.path)
            if cycle:
                # The edges point from a node to what it reads: show the flow of values.
                cycle.reverse()
                return [by_path[p] for p in cycle]
    return None


def check_cycles(form: FormSpec) -> None:
    """Raise `forms.errors.FormError` (code form.calculation_cycle) naming a circle."""
    cycle = find_cycle(form)
    if cycle is None:
        return
    from forms.errors import FormError, FormProblem

    chain = " -> ".join(n.name for n in cycle)
    rows = sorted({n.row for n in cycle if n.row is not None})
    where = f" (survey rows {', '.join(map(str, rows))})" if rows else ""
    raise FormError(FormProblem(
        f"these questions depend on each other in a circle: {chain}{where}",
        code="form.calculation_cycle",
        sheet="survey",
        row=cycle[0].row,
        hint="a calculation or relevant condition must not read, directly or through "
             "others, the question it computes; break the circle",
    ))
