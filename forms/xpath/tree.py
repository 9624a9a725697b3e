"""Walking a record's answers like an XML instance, and resolving `${name}` in it.

The answers are the form's shape: a group is a dict, a repeat a list of dicts, so a
node is addressed by names and 0-based repeat positions, e.g. ("members", 1, "age").
With a FormSpec we know which names are repeats and where every question lives; the
index of that knowledge is built once per form object and reused by every evaluation.
Without a form, repeats are recognised as lists of dicts and names are searched for.
"""

from __future__ import annotations

import functools
import re
import weakref
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from forms.xpath.errors import ExpressionError
from forms.xpath.values import XNode

if TYPE_CHECKING:
    from forms.spec import Choice, FormSpec

#: A resolved reference: for each name from the root, whether it is a repeat
#: (None = unknown, decide from the data).
Steps = tuple[tuple[str, bool | None], ...]


class FormIndex:
    """What expressions need to know about a form, computed once."""

    def __init__(self, form: FormSpec) -> None:
        self.form = form
        self.repeats: set[tuple[str, ...]] = set()
        self.paths: set[tuple[str, ...]] = {node.path for node in form.walk()}
        self.steps_by_name: dict[str, Steps] = {}
        self.duplicates: set[str] = set()
        self.list_by_name: dict[str, str | None] = {}
        self.language = form.default_language
        for node in form.walk():
            if node.is_repeat:
                self.repeats.add(node.path)
        for node in form.walk():
            steps = tuple(
                (name, node.path[: i + 1] in self.repeats) for i, name in enumerate(node.path)
            )
            if node.name in self.steps_by_name:
                self.duplicates.add(node.name)
            else:
                self.steps_by_name[node.name] = steps
                self.list_by_name[node.name] = node.list_name
        self._choices: dict[str, dict[str, Choice]] = {}
        self._instances: dict[tuple[str, str | None], dict[str, Any]] = {}

    def steps(self, name: str) -> Steps:
        try:
            steps = self.steps_by_name[name]
        except KeyError:
            raise ExpressionError(f"${{{name}}} refers to no question in this form") from None
        if name in self.duplicates:
            raise ExpressionError(f"${{{name}}} is ambiguous: several questions have that name")
        return steps

    def choices(self, list_name: str) -> dict[str, Choice]:
        found = self._choices.get(list_name)
        if found is None:
            found = {c.name: c for c in self.form.choice_list(list_name)}
            self._choices[list_name] = found
        return found

    def instance(self, list_name: str, language: str | None) -> dict[str, Any] | None:
        """A choice list as an XForms secondary instance: root/item with name, label, extras."""
        from forms.spec import text_in

        key = (list_name, language)
        if key not in self._instances:
            if list_name not in self.form.choices:
                return None
            items = [
                {
                    **dict(c.extra),
                    "name": c.name,
                    "label": text_in(c.label, language, self.form.default_language),
                }
                for c in self.form.choice_list(list_name)
            ]
            self._instances[key] = {"root": {"item": items}}
        return self._instances[key]


# Indexes are cached per form object; FormSpec holds dicts so it is not hashable, hence
# a dict keyed by id() whose entries die with the form (weakref callback).
_INDEXES: dict[int, tuple[weakref.ref[Any], FormIndex]] = {}


def form_index(form: FormSpec) -> FormIndex:
    key = id(form)
    entry = _INDEXES.get(key)
    if entry is not None and entry[0]() is form:
        return entry[1]
    index = FormIndex(form)
    try:
        ref = weakref.ref(form, lambda _r, key=key, cache=_INDEXES: cache.pop(key, None))
    except TypeError:  # an object that refuses weak references: just don't cache
        return index
    _INDEXES[key] = (ref, index)
    return index


# -- context ------------------------------------------------------------------------
_STEP_RE = re.compile(r"([^\[\]/]+)(?:\[(\d+)\])?\Z")


def parse_context(context: str | Sequence[Any] | None) -> tuple[Any, ...]:
    """("members", 1, "age") as given, or "members[2]/age" / "/data/members[2]/age" (1-based)."""
    if context is None:
        return ()
    if isinstance(context, str):
        return _parse_context_text(context)
    path = context if type(context) is tuple else tuple(context)
    for step in path:
        t = type(step)
        if t is not str and t is not int:
            raise ExpressionError(f"invalid context step {step!r}")
    return path


@functools.lru_cache(maxsize=4096)
def _parse_context_text(context: str) -> tuple[Any, ...]:
    text = context.strip()
    parts = [p for p in text.split("/") if p]
    if text.startswith("/") and parts:
        parts = parts[1:]  # the root element (/data) is the answers dict itself
    out: list[Any] = []
    for part in parts:
        m = _STEP_RE.match(part)
        if not m:
            raise ExpressionError(f"invalid context path {context!r}")
        out.append(m[1])
        if m[2] is not None:
            if int(m[2]) < 1:
                raise ExpressionError(f"positions are 1-based in {context!r}")
            out.append(int(m[2]) - 1)
    return tuple(out)


def value_at(root: Any, path: Iterable[Any]) -> Any:
    """The value at `path` in `root`, or None where the path leaves the data."""
    v = root
    for step in path:
        if type(step) is int:
            if type(v) is list and 0 <= step < len(v):
                v = v[step]
            elif step == 0 and type(v) is dict:  # a repeat stored as a lone dict
                continue
            else:
                return None
        elif type(v) is dict:
            v = v.get(step)
        else:
            return None
    return v


def is_repeat_value(v: Any) -> bool:
    return type(v) is list and (not v or type(v[0]) is dict)


# -- name lookup without a form -----------------------------------------------------------
def find_name(answers: Any, name: str, context: tuple[Any, ...]) -> Steps:
    """Where `name` lives in the answers, nearest the context first; top level if nowhere."""
    # The context's own instance and its ancestors (the common case inside repeats).
    for cut in range(len(context), -1, -1):
        container = value_at(answers, context[:cut])
        if type(container) is dict and name in container:
            return (*tuple((s, None) for s in context[:cut] if type(s) is str), (name, None))
    found = _search(answers, name, ())
    if found is not None:
        return tuple((s, None) for s in found)
    return ((name, None),)


def _search(v: Any, name: str, prefix: tuple[str, ...]) -> tuple[str, ...] | None:
    if type(v) is dict:
        if name in v:
            return (*prefix, name)
        for key, child in v.items():
            if type(child) is dict or is_repeat_value(child):
                found = _search(child, name, (*prefix, key))
                if found is not None:
                    return found
    elif type(v) is list:
        for instance in v:
            found = _search(instance, name, prefix)
            if found is not None:
                return found
    return None


# -- navigation -----------------------------------------------------------------------
def children(node: XNode, name: str, repeat: bool | None) -> list[XNode]:
    """Child nodes called `name` (a repeat gives one node per instance)."""
    parent = node.value
    if parent is None:
        child = None
    elif type(parent) is dict:
        child = parent.get(name)
    else:
        return []
    path = (*node.path, name)
    if repeat is None:
        repeat = is_repeat_value(child)
    if repeat:
        if type(child) is list:
            return [XNode((*path, i), inst, node.root) for i, inst in enumerate(child)]
        if type(child) is dict:
            return [XNode((*path, 0), child, node.root)]
        return []
    return [XNode(path, child, node.root)]


def instance_at(node: XNode, name: str, index: int) -> XNode | None:
    parent = node.value
    if type(parent) is not dict:
        return None
    child = parent.get(name)
    if type(child) is list:
        if 0 <= index < len(child):
            return XNode((*node.path, name, index), child[index], node.root)
        return None
    if type(child) is dict and index == 0:
        return XNode((*node.path, name, 0), child, node.root)
    return None


def all_children(node: XNode, repeat_of: Callable[[XNode, str], bool | None]) -> list[XNode]:
    """Every child of `node` (for the `*` name test); `repeat_of` says which are repeats."""
    parent = node.value
    if type(parent) is not dict:
        return []
    out: list[XNode] = []
    for key in parent:
        out.extend(children(node, key, repeat_of(node, key)))
    return out


def parent_of(node: XNode) -> XNode | None:
    path = node.path
    if not path:
        return None
    cut = path[:-2] if type(path[-1]) is int else path[:-1]
    return XNode(cut, value_at(node.root, cut), node.root)


def descendants_or_self(node: XNode) -> list[XNode]:
    out = [node]
    v = node.value
    if type(v) is dict:
        for key, child in v.items():
            if is_repeat_value(child):
                for i, inst in enumerate(child):
                    out.extend(descendants_or_self(XNode((*node.path, key, i), inst, node.root)))
            else:
                out.extend(descendants_or_self(XNode((*node.path, key), child, node.root)))
    return out


def resolve(root: XNode, steps: Steps, context: tuple[Any, ...]) -> list[XNode]:
    """Nodes of a reference from the root, inside the context's repeat instances.

    While the reference walks the same names as the context, a repeat it passes through
    is narrowed to the context's instance (ODK's relative-reference rule); the last step
    is never narrowed, so `${members}` from inside a member still means every member.
    """
    nodes = [root]
    ci = 0
    bound = True
    last = len(steps) - 1
    n_ctx = len(context)
    for k, (name, repeat) in enumerate(steps):
        if bound and ci < n_ctx and context[ci] == name:
            ci += 1
            if ci < n_ctx and type(context[ci]) is int:
                position = context[ci]
                ci += 1
                if k != last:
                    narrowed = [instance_at(n, name, position) for n in nodes]
                    nodes = [n for n in narrowed if n is not None]
                    continue
        else:
            bound = False
        if len(nodes) == 1:
            nodes = children(nodes[0], name, repeat)
        else:
            nodes = [c for n in nodes for c in children(n, name, repeat)]
    return nodes
