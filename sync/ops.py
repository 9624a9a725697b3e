"""The op: the unit of sync. Append-only, idempotent by `op_id`, validated at the wire.

    {"op_id": UUIDv7, "device_id": str, "record_id": UUIDv7, "form_id": str,
     "form_version": str, "hlc": HLC, "kind": "edit" | "resolve" | "delete",
     "fields": {path: value}, "parents": {path: [op_id, ...]}, "meta": {...}}

`parents[path]` lists the op ids of the versions of `path` the author saw (all of
its current heads; `[]` when the field had none). Every key of `parents` is a path in
`fields`. Protocol 1 required an entry for every path; since protocol 2 an empty list
may be left out (and is, in `to_wire`), as may an empty `meta`: a new record's op then
carries no parents at all, which halves its size. `from_wire` reads both forms and
`to_wire_v1` writes the old one for protocol 1 clients.

Also since protocol 2, an op that writes a record's answers from scratch (an edit with
no parents at all, whose fields are exactly what `sync.fields.flatten` makes of some
answers) may carry them nested, as the form nests them, instead of flattened:

    {..., "kind": "edit", "answers": {"head_name": "Amina", "members": [{"__id": ...}]}}

which stands for `fields = flatten(answers) + {"__deleted__": false}` and no parents.
Group names and repeat instance ids then appear once instead of in every path: a new
household is about 40% smaller once gzipped. `to_wire` picks this form by itself when
it is exact; `canonical` always uses the flat form, so both forms are the same op.
Kinds:

- edit: answers changed by a person. Also writes `__deleted__: false`, which asserts
  the record is alive, so an edit made concurrently with a delete is a conflict.
- delete: writes only `__deleted__: true` (the record tombstone).
- resolve: a federation leader's choice; every path has at least one parent (the
  conflicting heads it settles).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sync.canonical import canonical_json, is_json_scalar, is_text
from sync.codes import OP_INVALID
from sync.fields import (
    DELETED,
    MAX_PATH_LENGTH,
    FieldPathError,
    flatten,
    is_valid_path,
    unflatten,
    validate_value,
)
from sync.hlc import HybridClock, is_hlc
from sync.ids import is_uuid7, new_uuid7

EDIT = "edit"
RESOLVE = "resolve"
DELETE = "delete"
KINDS = (EDIT, RESOLVE, DELETE)

#: Limits that keep one op a reasonable unit (a saved screen, not a whole export).
MAX_FIELDS = 2000
MAX_PARENTS = 64
MAX_TEXT = 100
MAX_META_BYTES = 4096
#: How deeply objects and lists may nest in `meta` (attachments are two levels).
MAX_META_DEPTH = 8

WIRE_KEYS = ("op_id", "device_id", "record_id", "form_id", "form_version", "hlc", "kind",
             "fields", "parents", "meta", "answers")
#: Keys a protocol 2 sender may leave out when empty; `fields` may be replaced by `answers`.
OPTIONAL_KEYS = ("parents", "meta", "fields", "answers")
_NO_PARENTS: tuple[str, ...] = ()
_KNOWN_KEYS = frozenset(WIRE_KEYS)
_REQUIRED_KEYS = _KNOWN_KEYS - frozenset(OPTIONAL_KEYS)
_PLAIN = (str, int)  # value types valid at any answer path (bool is not int here: type())


class OpError(ValueError):
    """An op that does not follow the op format; `field` says where (e.g. "parents.q1")."""

    def __init__(self, field: str, message: str, code: str = OP_INVALID) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.code = code


@dataclass(frozen=True)
class Op:
    """A validated op. Not hashable (it holds dicts): key sets by `op_id`."""

    op_id: str
    device_id: str
    record_id: str
    form_id: str
    form_version: str
    hlc: str
    kind: str
    fields: Mapping[str, Any]
    parents: Mapping[str, tuple[str, ...]]
    meta: Mapping[str, Any] = field(default_factory=dict)
    #: The nested answers the op came in (`from_wire` of an op sent with `answers`), so
    #: a receiver keeps a new record's answers as they are instead of rebuilding them
    #: from `fields`. Not part of what the op is: equal ops may differ here.
    answers: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)

    __hash__ = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        _validate(self)

    @classmethod
    def from_wire(cls, data: Any) -> Op:
        """Validate a decoded JSON object and build the op; OpError says what is wrong."""
        try:
            return cls._from_wire(data)
        except RecursionError:  # nested answers deeper than any form: walked recursively
            raise OpError("answers", "nest too deeply") from None

    @classmethod
    def _from_wire(cls, data: Any) -> Op:
        if type(data) is not dict and not isinstance(data, Mapping):
            raise OpError("op", "must be a JSON object")
        if not _KNOWN_KEYS.issuperset(data):
            raise OpError(sorted(set(data) - _KNOWN_KEYS)[0], "unknown key")
        if not _REQUIRED_KEYS.issubset(data):
            raise OpError(next(k for k in WIRE_KEYS if k in _REQUIRED_KEYS and k not in data),
                          "is required")
        parents = data.get("parents", {})
        if not isinstance(parents, Mapping):
            raise OpError("parents", "must be an object")
        answers = data.get("answers")
        if answers is not None:
            fields_ = _answers_fields(data, answers, parents)
        elif "fields" not in data:
            raise OpError("fields", "is required (or answers)")
        else:
            fields_ = data["fields"]
            if not isinstance(fields_, Mapping):
                raise OpError("fields", "must be an object")
        for path, ids in parents.items():
            if not isinstance(ids, list | tuple):
                raise OpError(f"parents.{path}", "must be a list of op ids")
            if path not in fields_:
                raise OpError(f"parents.{path}", "names a path that is not in fields")
        meta = data.get("meta", {})
        if not isinstance(meta, Mapping):
            raise OpError("meta", "must be an object")
        values = dict(
            op_id=data["op_id"],
            device_id=data["device_id"],
            record_id=data["record_id"],
            form_id=data["form_id"],
            form_version=data["form_version"],
            hlc=data["hlc"],
            kind=data["kind"],
            # `_answers_fields` made a new dict: it is not copied again.
            fields=fields_ if answers is not None else dict(fields_),
            parents=dict.fromkeys(fields_, _NO_PARENTS) if not parents else
            {p: tuple(parents[p]) if p in parents else _NO_PARENTS for p in fields_},
            meta=dict(meta),
        )
        if answers is None:
            return cls(**values)
        # `flatten` checked every name, instance id and value as it built the paths, so
        # only their length is left to check (this is most of a push's validation).
        op = cls.__new__(cls)
        values["answers"] = answers  # the nested form it came in
        op.__dict__.update(values)  # what object.__setattr__ does, field by field
        _validate(op, paths_checked=True)
        return op

    def nested_answers(self) -> Mapping[str, Any] | None:
        """The nested answers this op stands for, if it can travel in that form: those it
        came in, else built from `fields` when that is exact (an edit of a record from
        scratch, without parents)."""
        if self.answers is not None:
            return self.answers
        if (self.kind != EDIT or self.fields.get(DELETED) is not False
                or any(self.parents.values()) or len(self.fields) < 2):
            return None
        rest = {p: v for p, v in self.fields.items() if p != DELETED}
        answers = unflatten(rest)
        try:
            exact = flatten(answers) == rest
        except FieldPathError:  # pragma: no cover - unflatten output always flattens
            return None
        return answers if exact else None

    def to_wire(self, *, copy: bool = True, answers: bool = True) -> dict[str, Any]:
        """The JSON object for this op in protocol 2 form: empty parent lists and an
        empty meta left out, nested `answers` instead of `fields` where that is exact
        (unless `answers=False`). A fresh dict the caller may keep and change; with
        `copy=False` it shares `fields` or `answers` with the op (for encoding it now)."""
        nested = self.nested_answers() if answers else None
        wire = self._wire_head(copy, with_fields=nested is None)
        if nested is not None:
            wire["answers"] = _copy_json(nested) if copy else nested
        else:
            wire["parents"] = {p: list(ids) for p, ids in self.parents.items() if ids}
        if self.meta:
            wire["meta"] = dict(self.meta)
        return wire

    def to_wire_v1(self) -> dict[str, Any]:
        """The protocol 1 form: a parents entry for every path and a meta object."""
        wire = self._wire_head()
        wire["parents"] = {p: list(ids) for p, ids in self.parents.items()}
        wire["meta"] = dict(self.meta)
        return wire

    def _wire_head(self, copy: bool = True, with_fields: bool = True) -> dict[str, Any]:
        head = {
            "op_id": self.op_id,
            "device_id": self.device_id,
            "record_id": self.record_id,
            "form_id": self.form_id,
            "form_version": self.form_version,
            "hlc": self.hlc,
            "kind": self.kind,
        }
        if with_fields:
            head["fields"] = ({p: (list(v) if isinstance(v, list) else v)
                               for p, v in self.fields.items()} if copy else self.fields)
        return head

    def canonical(self) -> str:
        """Canonical JSON of the op: equal ops have equal text (used to spot a reused op_id)."""
        return canonical_json(self.to_wire(copy=False, answers=False))

    def wire_size(self) -> int:
        """Bytes of the op's wire form in canonical JSON, the measure batches are
        planned with."""
        return len(canonical_json(self.to_wire(copy=False)).encode("utf-8"))


def _answers_fields(data: Mapping[str, Any], answers: Any,
                    parents: Mapping[str, Any]) -> dict[str, Any]:
    """The fields an op sent with nested `answers` stands for."""
    if "fields" in data:
        raise OpError("answers", "an op carries fields or answers, not both")
    if not isinstance(answers, Mapping) or not answers:
        raise OpError("answers", "must be a non-empty object")
    if any(parents.values()):
        raise OpError("parents", "an op with answers has no parents")
    try:
        fields_ = flatten(answers)
    except FieldPathError as exc:
        raise OpError("answers", str(exc)) from None
    fields_[DELETED] = False
    return fields_


def wire_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """The flat fields of a wire op that is already known to be valid (either form)."""
    if "answers" in data:
        fields_ = flatten(data["answers"])
        fields_[DELETED] = False
        return fields_
    return dict(data["fields"])


def _copy_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy_json(v) for v in value]
    return value


#: Short texts found valid (device ids, form ids and versions: the same in every op of
#: a push); bounded so odd input cannot grow it without end.
_GOOD_TEXTS: set[str] = set()
_GOOD_TEXTS_MAX = 1 << 12


def _text(name: str, value: Any) -> None:
    """`value` is a non-empty storable string of at most MAX_TEXT characters."""
    if type(value) is str and value in _GOOD_TEXTS:
        return
    if not isinstance(value, str) or not value or len(value) > MAX_TEXT:
        raise OpError(name, f"must be a non-empty string of at most {MAX_TEXT} characters")
    if not storable_text(value):
        raise OpError(name, "must be text a database can store (no NUL character and no "
                            "unpaired surrogate such as \\ud800)")
    if len(_GOOD_TEXTS) < _GOOD_TEXTS_MAX:
        _GOOD_TEXTS.add(value)


def storable_text(value: str) -> bool:
    """Text every receiver can store: UTF-8 can carry it, and it has no NUL character
    (PostgreSQL text refuses NUL)."""
    return "\x00" not in value and is_text(value)


def _check_meta(meta: Mapping[str, Any]) -> None:
    """`meta` is small JSON: objects with text keys, lists, finite numbers, storable text,
    at most MAX_META_DEPTH levels (walked without recursion, so no depth breaks it)."""
    if not meta and type(meta) is dict:
        return  # most ops carry none
    stack: list[tuple[Any, int]] = [(meta, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, Mapping | list):
            if depth > MAX_META_DEPTH:
                raise OpError("meta", f"nests more than {MAX_META_DEPTH} levels")
            if isinstance(value, Mapping):
                for key in value:
                    if not isinstance(key, str) or not storable_text(key):
                        raise OpError("meta", "has a key that is not storable text")
                stack.extend((v, depth + 1) for v in value.values())
            else:
                stack.extend((v, depth + 1) for v in value)
        elif isinstance(value, str):
            if not storable_text(value):
                raise OpError("meta", "has text a database cannot store (a NUL character "
                                      "or an unpaired surrogate)")
        elif not is_json_scalar(value):
            raise OpError("meta", "holds a value that is not JSON (a number too large?)")


def _validate(op: Op, paths_checked: bool = False) -> None:
    if not is_uuid7(op.op_id):
        raise OpError("op_id", "must be a UUIDv7 in canonical lowercase form")
    if not is_uuid7(op.record_id):
        raise OpError("record_id", "must be a UUIDv7 in canonical lowercase form")
    _text("device_id", op.device_id)
    _text("form_id", op.form_id)
    _text("form_version", op.form_version)
    if not is_hlc(op.hlc):
        raise OpError("hlc", "must be an HLC: 13-digit ms, '-', 6-digit counter, '-', node")
    if op.kind not in KINDS:
        raise OpError("kind", f"must be one of {', '.join(KINDS)}")
    if not op.fields:
        raise OpError("fields", "must name at least one field")
    if len(op.fields) > MAX_FIELDS:
        raise OpError("fields", f"at most {MAX_FIELDS} fields per op")
    if not paths_checked and op.fields.keys() != op.parents.keys():
        # (With `paths_checked`, from_wire made the parents from the fields' paths.)
        path = sorted(set(op.fields) ^ set(op.parents))[0]
        raise OpError(f"parents.{path}", "every field needs a parents entry and vice versa")
    if paths_checked and max(map(len, op.fields)) > MAX_PATH_LENGTH:
        longest = max(op.fields, key=len)
        raise OpError(f"fields.{longest[:40]}...",
                      f"paths are at most {MAX_PATH_LENGTH} characters")
    for path, value in () if paths_checked else op.fields.items():
        # validate_value admits only JSON scalars (finite numbers) and lists of them,
        # so the value is JSON without encoding it. Strings and ints at plain paths
        # (most answers) are fine as they are: the full check is for the rest.
        try:
            if not is_valid_path(path):
                raise FieldPathError(f"bad field path {path!r}")
            if type(value) not in _PLAIN or path[-1] == "]" or path == DELETED or (
                    type(value) is str and not value.isascii()):
                validate_value(path, value)
        except FieldPathError as exc:
            raise OpError(f"fields.{path}", str(exc)) from None
    for path, ids in () if paths_checked else op.parents.items():  # answers: no parents
        if not ids:
            continue
        if len(ids) > MAX_PARENTS:
            raise OpError(f"parents.{path}", f"at most {MAX_PARENTS} parents")
        if not all(is_uuid7(i) for i in ids):
            raise OpError(f"parents.{path}", "must list UUIDv7 op ids")
        if len(set(ids)) != len(ids):
            raise OpError(f"parents.{path}", "lists an op id twice")
        if op.op_id in ids:
            raise OpError(f"parents.{path}", "an op cannot be its own parent")
    if op.answers is not None and not paths_checked:
        _check_answers(op)
    _check_meta(op.meta)
    try:
        meta_size = len(canonical_json(dict(op.meta)).encode("utf-8")) if op.meta else 0
    except (TypeError, ValueError):
        raise OpError("meta", "is not JSON") from None
    if meta_size > MAX_META_BYTES:
        raise OpError("meta", f"at most {MAX_META_BYTES} bytes")
    _validate_kind(op)


def _check_answers(op: Op) -> None:
    """`answers` given to the constructor must be exactly what the op's fields stand for
    (an op copied with other fields but the old answers would travel wrong)."""
    flat = _answers_fields({}, op.answers, op.parents)
    if op.kind != EDIT or flat != dict(op.fields):
        raise OpError("answers", "must be exactly the answers the fields stand for")


def _validate_kind(op: Op) -> None:
    deleted = op.fields.get(DELETED, "absent")
    if op.kind == DELETE:
        if set(op.fields) != {DELETED} or deleted is not True:
            raise OpError("fields", f'a delete writes exactly {{"{DELETED}": true}}')
    elif op.kind == EDIT:
        if deleted is not False:
            raise OpError(f"fields.{DELETED}", "an edit must write false (it keeps the record)")
    elif op.kind == RESOLVE:
        for path, ids in op.parents.items():
            if not ids:
                raise OpError(f"parents.{path}", "a resolve names the heads it settles")


def make_op(
    kind: str,
    *,
    clock: HybridClock,
    device_id: str,
    record_id: str,
    form_id: str,
    form_version: str,
    fields: Mapping[str, Any],
    heads: Mapping[str, Sequence[str]],
    meta: Mapping[str, Any] | None = None,
    op_id: str | None = None,
) -> Op:
    """Build a local op: parents are the current head op ids per path from the store.

    `heads` maps a path to the op ids of its current heads (missing = none). For an
    edit, `__deleted__: false` is added; for a delete, `fields` is ignored. Ticks the
    clock once. Raises OpError if the result is not a valid op.
    """
    if kind == DELETE:
        written: dict[str, Any] = {DELETED: True}
    else:
        written = dict(fields)
        if kind == EDIT:
            written[DELETED] = False
    parents = {path: tuple(sorted(heads.get(path, ()))) for path in written}
    return Op(
        op_id=op_id or new_uuid7(),
        device_id=device_id,
        record_id=record_id,
        form_id=form_id,
        form_version=form_version,
        hlc=clock.tick(),
        kind=kind,
        fields=written,
        parents=parents,
        meta=dict(meta or {}),
    )
