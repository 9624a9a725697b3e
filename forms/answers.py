"""Read and write a record's answers by path, without touching the caller's dict.

Answers are nested the way the form is (see `forms.spec`): a group is a dict, a repeat a
list of dicts. A *concrete path* names one value, with 0-based ints for repeat
positions, e.g. ``("members", 1, "age")``; its *static path* drops the ints
(``("members", "age")``) and names the form node.

Edits are copy-on-write: `Editor` copies only the containers on the paths it writes, so
applying one change to a big record costs a few small dict copies, and the answers the
caller passed in (which the app may still be showing) never change under it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

Path = tuple[str | int, ...]

_MISSING = object()


def static_path(path: Path) -> tuple[str, ...]:
    """The form node's path: the names of `path` without the repeat positions."""
    return tuple(p for p in path if isinstance(p, str))


def get(answers: Mapping[str, Any] | None, path: Path, default: Any = None) -> Any:
    """The value at `path`, or `default` when any step is missing."""
    current: Any = answers
    for step in path:
        if isinstance(step, int):
            if not isinstance(current, list) or not 0 <= step < len(current):
                return default
            current = current[step]
        else:
            if not isinstance(current, Mapping) or step not in current:
                return default
            current = current[step]
    return current


def is_empty(value: Any) -> bool:
    """True for what ODK treats as "not answered": nothing, "", an empty list, NaN."""
    if value is None or value == "" or value == []:
        return True
    return isinstance(value, float) and math.isnan(value)


def same(a: Any, b: Any) -> bool:
    """Equal and of the same type (so 1 -> 1.0 or 1 -> True still counts as a change)."""
    return type(a) is type(b) and a == b


class Editor:
    """Copy-on-write edits of one answers dict; `root` is the edited result.

    Containers are copied the first time a write goes through them and then reused,
    so many writes in one transaction copy each container at most once.
    """

    def __init__(self, answers: Mapping[str, Any] | None) -> None:
        self.root: dict[str, Any] = dict(answers or {})
        self._owned: set[int] = {id(self.root)}

    def get(self, path: Path, default: Any = None) -> Any:
        return get(self.root, path, default)

    def _own(self, container: Any) -> Any:
        if id(container) in self._owned:
            return container
        copy = list(container) if isinstance(container, list) else dict(container)
        self._owned.add(id(copy))
        return copy

    def _parent(self, path: Path, create: bool) -> Any:
        """The (owned) container holding the last step of `path`, or None if absent."""
        current: Any = self.root
        for i, step in enumerate(path[:-1]):
            nxt_step = path[i + 1]
            if isinstance(step, int):
                if not isinstance(current, list) or not 0 <= step <= len(current):
                    if create:
                        raise IndexError(f"no repeat position {step} at {path[:i]}")
                    return None
                if step == len(current):
                    if not create:
                        return None
                    current.append({})
                    self._owned.add(id(current[step]))
                child = current[step]
            else:
                child = current.get(step, _MISSING) if isinstance(current, dict) else _MISSING
                if child is _MISSING or child is None:
                    if not create:
                        return None
                    child = [] if isinstance(nxt_step, int) else {}
                    current[step] = child
                    self._owned.add(id(child))
            if not isinstance(child, dict | list):
                if not create:
                    return None
                raise TypeError(f"{path[: i + 1]} holds {child!r}, not a group or repeat")
            owned = self._own(child)
            if owned is not child:
                current[step] = owned
            current = owned
        return current

    def set(self, path: Path, value: Any) -> None:
        """Store `value` at `path`, creating groups on the way; None deletes.

        A repeat position equal to the list's length appends a new instance.
        """
        if value is None:
            self.delete(path)
            return
        if not path:
            raise ValueError("empty path")
        parent = self._parent(path, create=True)
        last = path[-1]
        if isinstance(last, int):
            if not 0 <= last <= len(parent):
                raise IndexError(f"no repeat position {last} at {path[:-1]}")
            if last == len(parent):
                parent.append(value)
            else:
                parent[last] = value
        else:
            parent[last] = value

    def delete(self, path: Path) -> bool:
        """Remove the value at `path` (a repeat instance is removed from its list)."""
        if not path or get(self.root, path, _MISSING) is _MISSING:
            return False
        parent = self._parent(path, create=False)
        if parent is None:
            return False
        del parent[path[-1]]
        return True


def set_value(answers: Mapping[str, Any] | None, path: Path, value: Any) -> dict[str, Any]:
    """A new answers dict with `value` at `path` (None deletes); `answers` is unchanged."""
    editor = Editor(answers)
    editor.set(tuple(path), value)
    return editor.root


def expand(
    answers: Mapping[str, Any] | None,
    names: tuple[str, ...],
    is_repeat: Callable[[tuple[str, ...]], bool],
    prefix: Path = (),
) -> list[Path]:
    """Every concrete path of the node `names` in `answers` that starts with `prefix`.

    Repeats are expanded over the instances present; groups need not exist (a
    calculation in a group the user has not visited still has a place). The node of a
    repeat itself gives its list's path, without a position.
    """
    fixed = static_path(prefix)
    if fixed != names[: len(fixed)]:
        return []
    paths: list[Path] = [tuple(prefix)]
    if prefix and isinstance(prefix[-1], str) and len(fixed) < len(names) and is_repeat(fixed):
        paths = _positions(answers, paths)
    for depth in range(len(fixed), len(names)):
        paths = [(*p, names[depth]) for p in paths]
        if depth + 1 < len(names) and is_repeat(names[: depth + 1]):
            paths = _positions(answers, paths)
    return paths


def _positions(answers: Mapping[str, Any] | None, paths: list[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        items = get(answers, p)
        if isinstance(items, list):
            out.extend((*p, i) for i in range(len(items)))
    return out
