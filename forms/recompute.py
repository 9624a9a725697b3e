"""Apply a form's calculations and relevance to a record's answers, all at once or after one change.

`FormEngine.for_form(form)` builds the dependency graph once per form (see
`forms.dependencies`) and is cached per (form id, version). `recompute_all` walks every
calculation and relevance condition in dependency order; `set_answer` applies one
change and walks only what depends on it, per repeat instance, and says which paths
changed value or relevance so the app refreshes just those widgets.

Answers of questions that are not relevant are removed (ODK Collect clears them too),
so what is saved and synced never holds answers the enumerator could not see.

`set_answer` expects answers that are already consistent (the result of
`recompute_all` or of an earlier `set_answer`): it trusts everything that does not
depend on the change. Calculations that read now()/today() are recomputed when
something they read changes, and all of them on `recompute_all` (not on every
keystroke). A calculation with a `trigger` runs only when its trigger question is
changed through `set_answer`; `recompute_all` keeps its value.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time
from typing import Any, ClassVar

from forms.answers import Editor, Path, expand, get, same, static_path
from forms.dependencies import REL, SHARED, VAL, Graph, Item, build_graph
from forms.spec import Choice, FormSpec, Node

#: How many full passes the fallback for forms whose relevance reads its own answers makes.
_MAX_PASSES = 8
#: Engines kept (a device holds a handful of forms; the server may hold more).
_CACHE_SIZE = 64

_TRUE_FLAGS = frozenset({"true()", "true", "yes", "1"})
_FALSE_FLAGS = frozenset({"false()", "false", "no", "0", ""})


class FormEngine:
    """The compiled logic of one form: dependency graph, order, compiled expressions."""

    _cache: ClassVar[dict[tuple[str, str], FormEngine]] = {}

    def __init__(self, form: FormSpec) -> None:
        self.form = form
        self.graph: Graph = build_graph(form)
        self._nodes: dict[tuple[str, ...], Node] = {n.path: n for n in form.walk()}
        #: Each node's position in form order (for reporting things the way the form reads).
        self.form_order: dict[tuple[str, ...], int] = {p: i for i, p in enumerate(self._nodes)}
        self._repeats = frozenset(n.path for n in form.walk() if n.is_repeat)
        self._downstream: dict[Item, tuple[Item, ...]] = {}
        self._compiled: dict[str, Any] = {}

    @classmethod
    def for_form(cls, form: FormSpec) -> FormEngine:
        """The engine of `form`, built on first use and then reused."""
        key = (form.id, form.version)
        engine = cls._cache.get(key)
        # Same id and version should mean the same form; check, so a form being
        # drafted (or a test's ad-hoc form) never gets another one's logic.
        if engine is not None and (engine.form is form or engine.form == form):
            return engine
        engine = cls(form)
        if len(cls._cache) >= _CACHE_SIZE:
            cls._cache.pop(next(iter(cls._cache)))
        cls._cache[key] = engine
        return engine

    # -- expressions ------------------------------------------------------------------
    def evaluate(self, expression: str, answers: Mapping[str, Any], context: Path,
                 now: datetime | None = None) -> Any:
        """Evaluate one of this form's expressions at `context` (a concrete path)."""
        return self._compile(expression).evaluate(answers, context=context, form=self.form,
                                                  now=now)

    def evaluate_boolean(self, expression: str, answers: Mapping[str, Any], context: Path,
                         now: datetime | None = None) -> bool:
        """A relevant/constraint/required expression's truth, as JavaRosa reads it."""
        return self._compile(expression).evaluate_boolean(
            answers, context=context, form=self.form, now=now)

    def _compile(self, expression: str) -> Any:
        compiled = self._compiled.get(expression)
        if compiled is None:
            from forms.expressions import compile_expression

            compiled = self._compiled[expression] = compile_expression(expression)
        return compiled

    def is_repeat(self, names: tuple[str, ...]) -> bool:
        return names in self._repeats

    def node(self, path: Path) -> Node:
        """The form node a concrete path names; KeyError if the form has none."""
        return self._nodes[static_path(path)]

    def own_relevant(self, node: Node, answers: Mapping[str, Any], path: Path,
                     now: datetime | None = None) -> bool:
        """The node's own relevant expression at `path`, ignoring its ancestors."""
        if not node.relevant:
            return True
        return self.evaluate_boolean(node.relevant, answers, path, now)

    def _relevance(self, answers: Mapping[str, Any], path: Path, memo: dict[Path, bool],
                   now: datetime | None) -> bool:
        """Relevance of the node at concrete `path`, inherited from its ancestors."""
        path = _node_path(path)
        if not path:
            return True
        known = memo.get(path)
        if known is not None:
            return known
        node = self._nodes[static_path(path)]
        result = self._relevance(answers, _parent_path(path), memo, now) and \
            self.own_relevant(node, answers, path, now)
        memo[path] = result
        return result

    def is_relevant(self, answers: Mapping[str, Any], path: Path, *,
                    now: datetime | None = None, memo: dict[Path, bool] | None = None) -> bool:
        """Whether the question, group or repeat instance at `path` applies.

        `memo` may be shared between calls on the same answers (groups are then
        evaluated once).
        """
        return self._relevance(answers, tuple(path), {} if memo is None else memo, now)

    def is_required(self, answers: Mapping[str, Any], path: Path, *,
                    now: datetime | None = None) -> bool:
        """Whether the question at `path` must be answered (when it is relevant)."""
        node = self.node(path)
        flag = (node.required or "").strip()
        if flag.lower() in _TRUE_FLAGS:
            return True
        if flag.lower() in _FALSE_FLAGS:
            return False
        return self.evaluate_boolean(flag, answers, tuple(path), now)

    def visible_choices(self, answers: Mapping[str, Any], path: Path, *,
                        now: datetime | None = None) -> list[Choice]:
        """The choices of the select at `path` that its choice_filter lets through."""
        node = self.node(path)
        choices = list(self.form.choice_list(node.list_name or ""))
        if not node.choice_filter:
            return choices
        from forms.expressions import visible_choices

        return visible_choices(node.choice_filter, choices, answers, context=tuple(path),
                               form=self.form, now=now)

    # -- computing one item -----------------------------------------------------------
    def _calculated(self, node: Node, answers: Mapping[str, Any], path: Path,
                    now: datetime | None) -> Any:
        return coerce(node, self.evaluate(node.calculation or "", answers, path, now))

    def _apply(self, item: Item, path: Path, editor: Editor, memo: dict[Path, bool],
               now: datetime | None, run_triggered: bool) -> None:
        """Recompute `item` at `path` into `editor` (relevance goes to `memo`)."""
        node = self._nodes[item.path]
        if item.kind == REL:
            parent = _parent_path(path)
            memo[path] = self._relevance(editor.root, parent, memo, now) and \
                self.own_relevant(node, editor.root, path, now)
            return
        if not self._relevance(editor.root, path, memo, now):
            editor.delete(path)
        elif node.is_question and node.calculation and (run_triggered or not node.trigger):
            value = self._calculated(node, editor.root, path, now)
            if value is None:
                editor.delete(path)
            elif not same(value, editor.get(path)):
                editor.set(path, value)

    # -- everything -------------------------------------------------------------------
    def recompute_all(self, answers: Mapping[str, Any] | None, *,
                      now: datetime | None = None) -> dict[str, Any]:
        """New answers with every calculation applied and hidden questions' answers removed."""
        editor = Editor(answers)
        for _ in range(1 if self.graph.acyclic else _MAX_PASSES):
            before = editor.root if self.graph.acyclic else _freeze(editor.root)
            memo: dict[Path, bool] = {}
            for item in self.graph.order:
                for path in expand(editor.root, item.path, self.is_repeat):
                    self._apply(item, path, editor, memo, now, run_triggered=False)
            if self.graph.acyclic or _freeze(editor.root) == before:
                break
        return editor.root

    # -- one change ---------------------------------------------------------------------
    def downstream(self, item: Item) -> tuple[Item, ...]:
        """`item` and everything that depends on it, in dependency order."""
        found = self._downstream.get(item)
        if found is None:
            seen = {item}
            todo = [item]
            while todo:
                for edge in self.graph.successors.get(todo.pop(), ()):
                    if edge.target not in seen:
                        seen.add(edge.target)
                        todo.append(edge.target)
            found = tuple(sorted(seen, key=self.graph.position.__getitem__))
            self._downstream[item] = found
        return found

    def _bound(self, changed: Path, target: tuple[str, ...], local: int,
               answers: Mapping[str, Any]) -> list[Path]:
        """Concrete paths of `target` that a change at `changed` reaches."""
        names = static_path(changed)
        shared = 0
        limit = min(len(names), len(target), local)
        while shared < limit and names[shared] == target[shared]:
            shared += 1
        # Keep the changed path up to `shared` names, with the position after the last
        # of them when the target goes deeper into that repeat instance.
        prefix: list[str | int] = []
        count = 0
        for step in changed:
            if isinstance(step, str):
                if count == shared:
                    break
                count += 1
                prefix.append(step)
            elif count < shared or shared < len(target):
                prefix.append(step)  # the position in a repeat instance both ends share
        return expand(answers, target, self.is_repeat, tuple(prefix))

    def set_answer(self, answers: Mapping[str, Any] | None, path: Path, value: Any, *,
                   now: datetime | None = None) -> tuple[dict[str, Any], set[Path]]:
        """Apply one answer (None clears it) and recompute only what depends on it.

        Returns the new answers and the concrete paths whose value or relevance changed.
        A path into a repeat one past its last instance adds an instance; setting a repeat
        (a list) or a group (a dict) replaces it whole. (For the rare form whose relevance
        reads answers that it hides, everything is recomputed and only value changes are
        reported.)
        """
        path = tuple(path)
        old = answers or {}
        names = static_path(path)
        if names not in self._nodes:
            raise KeyError(f"{'/'.join(map(str, path))} is not a question of {self.form.id}")
        node = self._nodes[names]
        if value is None and get(old, path, _ABSENT) is _ABSENT:
            return dict(old), set()  # clearing what is not there changes nothing
        editor = Editor(old)
        under = _structural_root(old, path, node)
        editor.set(path, value)
        if not self.graph.acyclic:
            new = self.recompute_all(editor.root, now=now)
            return new, _diff(old, new)
        changed: set[Path] = set()
        pending: dict[Item, set[Path]] = {}
        appended = under is not None and len(path) > len(under) and isinstance(
            path[len(under)], int)
        if appended:
            # A new instance at the end: the others keep their positions and values, so
            # compute the new one and let its values flow out like any other change.
            fresh = path[: len(under) + 1]
            inside = static_path(under)
            seeds = [i for i in self.graph.order
                     if len(i.path) > len(inside) and i.path[: len(inside)] == inside]
            for item in seeds:
                pending[item] = set(expand(editor.root, item.path, self.is_repeat, fresh))
            seeds.append(Item(VAL, inside))
            pending[Item(VAL, inside)] = {under}
            order: set[Item] = set()
            for seed in seeds:
                order.update(self.downstream(seed))
            ordered = sorted(order, key=self.graph.position.__getitem__)
            changed.add(path)
        elif under is not None:
            # Instances may have gone or moved: recompute everything inside and
            # everything depending on it, for every instance under `under`.
            fresh = under
            inside = static_path(under)
            order = set()
            for seed in self.graph.order:
                if seed.path[: len(inside)] == inside:
                    order.update(self.downstream(seed))
            for item in order:
                pending[item] = set(self._bound(under, item.path, SHARED, editor.root))
            ordered = sorted(order, key=self.graph.position.__getitem__)
            changed |= _diff(get(old, under), editor.get(under), under) or {under}
        else:
            fresh = None
            start = Item(VAL, names)
            pending[start] = {path}
            ordered = list(self.downstream(start))
        memo: dict[Path, bool] = {}
        old_memo: dict[Path, bool] = {}
        for item in ordered:
            todo = pending.get(item)
            if not todo:
                continue
            successors = self.graph.successors.get(item, ())
            for where in sorted(todo, key=_sort_key):
                self._apply(item, where, editor, memo, now, run_triggered=True)
                if item.kind == VAL:
                    moved = not same(get(old, where), editor.get(where))
                elif fresh is not None and where[: len(fresh)] == fresh:
                    moved = True  # a new or moved instance: nothing to compare with
                else:
                    moved = memo[where] != self._relevance(old, where, old_memo, now)
                if not moved:
                    continue
                changed.add(where)
                for edge in successors:
                    pending.setdefault(edge.target, set()).update(
                        self._bound(where, edge.target.path, edge.local, editor.root))
        return editor.root, changed

    def affected_checks(self, answers: Mapping[str, Any], changed: Iterable[Path]
                        ) -> set[Path]:
        """Questions whose constraint, required, choice filter or repeat_count reads a
        changed path: what to re-validate after `set_answer` (with the changed ones)."""
        out: set[Path] = set()
        for where in changed:
            names = static_path(where)
            item = Item(VAL, names)
            for target, local in self.graph.checks.get(item, ()):
                out.update(self._bound(where, target, local, answers))
        return out


def recompute(form: FormSpec, answers: Mapping[str, Any] | None, *,
              now: datetime | None = None) -> dict[str, Any]:
    """New answers with calculations applied and answers of non-relevant questions removed."""
    return FormEngine.for_form(form).recompute_all(answers, now=now)


# -- helpers ---------------------------------------------------------------------------
_ABSENT = object()
_NUMERIC = frozenset({"integer", "decimal", "range"})


def coerce(node: Node, value: Any) -> Any:
    """A calculation's result in the shape the question's type stores (None: no answer)."""
    if isinstance(value, date | time):  # datetime is a date: ODK's text form for both
        from forms.xpath.dates import iso_text

        value = iso_text(value)
    if isinstance(value, list):  # a node-set slipped through: its string value
        value = " ".join(str(v) for v in value) if value else ""
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        return None
    kind = node.type
    if kind in _NUMERIC:
        number = value
        if isinstance(value, str):
            try:
                number = float(value)
            except ValueError:
                return value  # validation will say it is not a number
        if isinstance(number, bool):
            number = int(number)
        if isinstance(number, float) and (math.isinf(number)):
            return None
        if kind == "integer" and isinstance(number, float) and number.is_integer():
            return int(number)
        return number
    if kind in ("select_multiple", "rank"):
        return str(value).split() if not isinstance(value, list) else value
    if kind in ("calculate", "hidden"):
        if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
            return int(value)
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _node_path(path: Path) -> Path:
    """A repeat instance's relevance is its repeat's: ("members", 1) -> ("members",)."""
    while path and isinstance(path[-1], int):
        path = path[:-1]
    return path


def _parent_path(path: Path) -> Path:
    return _node_path(_node_path(path)[:-1])


def _structural_root(answers: Mapping[str, Any], path: Path, node: Node) -> Path | None:
    """Where setting `path` adds, removes or replaces whole instances or groups (or None).

    Setting a group or a repeat (or an instance) replaces what is inside; a path one past
    a repeat's last instance adds an instance to that repeat.
    """
    for i, step in enumerate(path):
        if isinstance(step, int):
            items = get(answers, path[:i])
            if not isinstance(items, list) or step >= len(items):
                return path[:i]
    if not node.is_question:
        return _node_path(path)
    return None


def _sort_key(path: Path) -> tuple:
    return tuple((0, s, 0) if isinstance(s, int) else (1, 0, s) for s in path)


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return (type(value).__name__, value)


def _diff(old: Any, new: Any, prefix: Path = ()) -> set[Path]:
    """Concrete paths whose value differs between two answers trees."""
    if isinstance(old, dict) and isinstance(new, dict):
        out: set[Path] = set()
        for key in old.keys() | new.keys():
            out |= _diff(old.get(key), new.get(key), (*prefix, key))
        return out
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new) and all(
        isinstance(x, dict) for x in old + new
    ):
        out = set()
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            out |= _diff(a, b, (*prefix, i))
        return out
    return set() if same(old, new) else {prefix}
