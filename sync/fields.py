"""Answers <-> fields: the unit of merging is one answer, addressed by a path.

A record's answers are nested the way the form is (see `forms.spec`): a group is a
dict, a repeat is a list of dicts. Sync merges per *field*, so answers are flattened:

    {"head_name": "Amina",                          head_name            -> "Amina"
     "household": {"toilet": "shared",              household/toilet     -> "shared"
       "members": [                                 household/members[k3f0a1]      -> 1
         {"__id": "k3f0a1", "age": 34},             household/members[k3f0a1]/age  -> 34
         {"__id": "9bc2d7", "age": 6}]}}            household/members[9bc2d7]      -> 2
                                                    household/members[9bc2d7]/age  -> 6

- Group names join with "/".
- Each repeat instance dict carries `"__id"`, a short id the device assigns when the
  instance is added (`sync.ids.new_instance_id`). Its answers live under
  `name[<id>]/...`, so editing one member's age writes exactly one field, and two
  devices adding members to the same household write disjoint fields.
- The instance's own field `name[<id>]` is its *position key*: a number; instances
  are listed by (key, id). `None` there means the instance was removed. A new
  instance appended after the others gets a key above theirs; two devices appending at
  once may pick the same key and are then ordered by id (both kept, no conflict).
- A value is a JSON scalar or a list of scalars (select_multiple). An empty list is a
  plain value, also for a repeat with no instances: `[]` round-trips either way.
- `None` is a value ("no answer"), so clearing an answer is an ordinary write.

`unflatten(flatten(a)) == a` for any answers without empty groups (an empty group
holds no answer and disappears). Where merged fields disagree about the shape of a
name, `unflatten` prefers a repeat with live instances, then a non-empty group, then a
plain value, so it never fails on a merged state.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sync.canonical import is_json_scalar, is_text, same_value
from sync.ids import INSTANCE_ID_RE, is_instance_id

#: The record tombstone: `True` once deleted. Not an answer; never in `flatten` output.
DELETED = "__deleted__"
#: The key of a repeat instance's id inside its answers dict.
INSTANCE_KEY = "__id"

_NAME = r"[A-Za-z_][A-Za-z0-9_.-]*"
_NAME_RE = re.compile(rf"^{_NAME}$")
_SEGMENT_RE = re.compile(rf"^({_NAME})(?:\[([A-Za-z0-9_-]{{1,64}})\])?$")
MAX_PATH_LENGTH = 512
_SEGMENT = rf"(?!__){_NAME}(?:\[[A-Za-z0-9_-]{{1,64}}\])?"
_PATH_RE = re.compile(rf"{_SEGMENT}(?:/{_SEGMENT})*")


class FieldPathError(ValueError):
    """A field path or an answers structure that cannot be flattened."""


@dataclass(frozen=True)
class Segment:
    """One step of a path: a name, with the instance id when it steps into a repeat."""

    name: str
    instance: str | None = None


def parse_path(path: str) -> tuple[Segment, ...]:
    """Split a field path into segments; FieldPathError if it is malformed."""
    if not isinstance(path, str) or not path or len(path) > MAX_PATH_LENGTH:
        raise FieldPathError(f"field path must be a non-empty string of at most "
                             f"{MAX_PATH_LENGTH} characters: {path!r}")
    if path == DELETED:
        return (Segment(DELETED),)
    segments = []
    for part in path.split("/"):
        match = _SEGMENT_RE.match(part)
        if match is None or match[1].startswith("__"):
            raise FieldPathError(f"bad segment {part!r} in field path {path!r}")
        segments.append(Segment(match[1], match[2]))
    return tuple(segments)


def is_valid_path(path: object) -> bool:
    """Whether `parse_path` would accept `path` (one regex, for checking ops in bulk)."""
    if not isinstance(path, str) or len(path) > MAX_PATH_LENGTH:
        return False
    return _is_valid_str_path(path)


@functools.lru_cache(maxsize=1 << 16)
def _is_valid_str_path(path: str) -> bool:
    # Cached: a receiver checks the same paths when it validates an op and again when
    # it rebuilds the record's answers.
    return path == DELETED or _PATH_RE.fullmatch(path) is not None


def is_position_path(path: str) -> bool:
    """True for `name[<id>]` paths, whose value is an instance's position key."""
    return path.endswith("]")


def validate_value(path: str, value: Any) -> None:
    """FieldPathError unless `value` is allowed at `path`."""
    if path == DELETED:
        if not isinstance(value, bool):
            raise FieldPathError(f"{DELETED} must be true or false")
    elif is_position_path(path):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)
                                  or not is_json_scalar(value)):
            raise FieldPathError(f"{path}: a repeat position key must be a number or null")
    elif not _all_text_valid(value):
        raise FieldPathError(f"{path}: the text is not valid Unicode (an unpaired "
                             "surrogate such as \\ud800)")
    elif isinstance(value, list):
        if not all(is_json_scalar(v) for v in value):
            raise FieldPathError(f"{path}: a list value may hold only JSON scalars")
    elif not is_json_scalar(value):
        raise FieldPathError(f"{path}: a value must be a JSON scalar or a list of scalars")


def _all_text_valid(value: Any) -> bool:
    if isinstance(value, str):
        return is_text(value)
    if isinstance(value, list):
        return all(is_text(v) for v in value if isinstance(v, str))
    return True


# -- flatten ----------------------------------------------------------------------------
def flatten(answers: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of `answers`; positions are 1, 2, 3... in list order."""
    out: dict[str, Any] = {}
    _flatten_into("", answers, out)
    return out


_PLAIN_SCALARS = frozenset((int, bool, type(None)))  # exact types: always valid values
#: Answer names already found valid (a form has a few hundred; a push repeats them in
#: every household). Bounded so odd input cannot grow it without end.
_GOOD_NAMES: set[str] = set()
_GOOD_NAMES_MAX = 1 << 14


def _is_answer_name(name: object) -> bool:
    if name in _GOOD_NAMES:
        return True
    ok = (isinstance(name, str) and _NAME_RE.fullmatch(name) is not None
          and not name.startswith("__"))
    if ok and len(_GOOD_NAMES) < _GOOD_NAMES_MAX:
        _GOOD_NAMES.add(name)  # type: ignore[arg-type]
    return ok


def _flatten_into(prefix: str, group: Mapping[str, Any], out: dict[str, Any],
                  instance: bool = False) -> None:
    """Add the fields of `group` under `prefix`; with `instance`, `group` is a repeat
    instance and its `__id` key is not an answer. The common cases (a valid name seen
    before; text, a number, a boolean or null; a group or repeat as JSON decodes them)
    are tested first and by exact type: this runs for every answer a server or tablet
    receives."""
    if type(group) is not dict and not isinstance(group, Mapping):
        raise FieldPathError(f"{prefix or 'answers'}: a group must be a dict")
    good = _GOOD_NAMES
    for name, value in group.items():
        if name not in good:
            if instance and name == INSTANCE_KEY:
                continue
            if not _is_answer_name(name):
                raise FieldPathError(f"{prefix}{name!r}: not a valid answer name")
        path = prefix + name
        kind = type(value)
        if kind is str:
            if value.isascii() or is_text(value):
                out[path] = value
                continue
        elif kind in _PLAIN_SCALARS:
            out[path] = value
            continue
        elif kind is float:
            if math.isfinite(value):
                out[path] = value
                continue
        elif kind is dict:
            _flatten_into(path + "/", value, out)
            continue
        elif kind is list:
            # A multiple choice (or nothing chosen), tested with a loop rather than
            # all() over a generator (a household has many short ones); else maybe
            # a repeat's instances.
            for v in value:
                if type(v) is not str or not v.isascii():
                    break
            else:
                out[path] = list(value)
                continue
            if _all_groups(value):
                _flatten_repeat(path, value, out)
                continue
        elif isinstance(value, list) and _all_groups(value):
            _flatten_repeat(path, value, out)
            continue
        elif isinstance(value, Mapping):
            _flatten_into(path + "/", value, out)
            continue
        validate_value(path, value)
        out[path] = list(value) if isinstance(value, list) else value


def _all_groups(items: list[Any]) -> bool:
    """Whether a non-empty list holds only groups (a repeat's instances)."""
    return bool(items) and all(type(v) is dict or isinstance(v, Mapping) for v in items)


def _flatten_repeat(path: str, instances: list[Mapping[str, Any]],
                    out: dict[str, Any]) -> None:
    """A repeat's instances: each one's position at `path[<id>]`, then its answers."""
    seen: set[str] = set()
    for position, item in enumerate(instances, start=1):
        instance_id = item.get(INSTANCE_KEY)
        if not is_instance_id(instance_id):
            raise FieldPathError(
                f"{path}: instance {position} needs an {INSTANCE_KEY!r} matching "
                f"{INSTANCE_ID_RE.pattern}, got {instance_id!r}"
            )
        if instance_id in seen:
            raise FieldPathError(f"{path}: instance id {instance_id!r} used twice")
        seen.add(instance_id)
        key = f"{path}[{instance_id}]"
        out[key] = position
        _flatten_into(key + "/", item, out, instance=True)


# -- unflatten --------------------------------------------------------------------------
class _Node:
    """A group or repeat instance while rebuilding answers."""

    __slots__ = ("groups", "repeats", "values")

    def __init__(self) -> None:
        self.values: dict[str, tuple[str, Any]] = {}
        self.groups: dict[str, _Node] = {}
        # name -> instance id -> [position path, position value, node]
        self.repeats: dict[str, dict[str, list[Any]]] = {}


def _build(fields: Mapping[str, Any]) -> _Node:
    root = _Node()
    for path, value in fields.items():
        if path == DELETED:
            continue
        if not is_valid_path(path):
            continue  # a malformed path cannot come from a valid op; never fail a view
        # The path is valid, so plain string splitting finds its segments (this runs
        # for every field of every record a server stores: parse_path is too slow).
        node = root
        *steps, last = path.split("/")
        for part in steps:
            node = _step(node, part)
        if last[-1] != "]":
            node.values[last] = (path, value)
        else:
            name, instance = last[:-1].split("[", 1)
            slot = node.repeats.setdefault(name, {}).setdefault(instance, [None, None, _Node()])
            slot[0], slot[1] = path, value
    return root


def _step(node: _Node, part: str) -> _Node:
    if part[-1] != "]":
        group = node.groups.get(part)
        if group is None:
            group = node.groups[part] = _Node()
        return group
    name, instance = part[:-1].split("[", 1)
    slot = node.repeats.setdefault(name, {}).setdefault(instance, [None, None, _Node()])
    return slot[2]


def _is_live(position: Any) -> bool:
    return isinstance(position, int | float) and not isinstance(position, bool)


def _render(node: _Node, used: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    names = list(dict.fromkeys([*node.values, *node.groups, *node.repeats]))
    for name in names:
        instances = node.repeats.get(name)
        live = sorted(
            ((slot[1], iid, slot) for iid, slot in instances.items() if _is_live(slot[1])),
            key=lambda t: (t[0], t[1]),
        ) if instances else None
        if live:
            items = []
            for _, iid, slot in live:
                used.append(slot[0])
                items.append({INSTANCE_KEY: iid, **_render(slot[2], used)})
            out[name] = items
            continue
        if name in node.groups:
            mark = len(used)
            group = _render(node.groups[name], used)
            if group:
                out[name] = group
                continue
            del used[mark:]
        if name in node.values:
            path, value = node.values[name]
            used.append(path)
            out[name] = value
    return out


def unflatten(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The answers that `fields` (a record's current values) show."""
    return _render(_build(fields), [])


def visible_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The subset of `fields` that `unflatten` shows (not removed, not shadowed)."""
    used: list[str] = []
    _render(_build(fields), used)
    return {p: fields[p] for p in used}


# -- changes for an edit ----------------------------------------------------------------
def field_changes(current: Mapping[str, Any], new_answers: Mapping[str, Any]) -> dict[str, Any]:
    """The fields an edit must write to turn the record's `current` fields into `new_answers`.

    `current` is the record's field values as stored (winners, all paths). Only fields
    the person could see are compared, so an edit never overwrites data hidden from it
    (a removed instance, a value shadowed by a repeat). Instances keep their position
    keys; new ones get keys that place them where they are in the list. Removed
    instances and answers get `None`.
    """
    old = visible_fields(current)
    new = flatten(new_answers)
    _keep_positions(old, new)
    changes = {p: v for p, v in new.items() if p not in old or not same_value(old[p], v)}
    for path, value in old.items():
        if path not in new and value is not None:
            changes[path] = None
    return changes


def _keep_positions(old: Mapping[str, Any], new: dict[str, Any]) -> None:
    """Rewrite the position keys in `new` to reuse the keys in `old` where order allows."""
    lists: dict[str, list[str]] = {}
    for path in new:
        if is_position_path(path):
            container = path[: path.rindex("[")]
            lists.setdefault(container, []).append(path)
    for paths in lists.values():  # already in list order: flatten numbers them so
        keys: list[float | int | None] = []
        last: float | int | None = None
        for path in paths:
            previous = old.get(path)
            if _is_live(previous) and (last is None or previous > last):
                keys.append(previous)
                last = previous
            else:
                keys.append(None)
        _fill_gaps(keys)
        for path, key in zip(paths, keys, strict=True):
            new[path] = key


def _fill_gaps(keys: list[float | int | None]) -> None:
    """Give every None a key strictly between its kept neighbours (integers when appending)."""
    i = 0
    while i < len(keys):
        if keys[i] is not None:
            i += 1
            continue
        j = i
        while j < len(keys) and keys[j] is None:
            j += 1
        lo = keys[i - 1] if i > 0 else None
        hi = keys[j] if j < len(keys) else None
        count = j - i
        for k in range(count):
            if hi is None:
                keys[i + k] = (lo if lo is not None else 0) + k + 1
            elif lo is None:
                keys[i + k] = hi - (count - k)
            else:
                keys[i + k] = lo + (hi - lo) * (k + 1) / (count + 1)
        i = j
