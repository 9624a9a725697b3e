"""The merge rule for one field: a multi-value register with causal parents.

For each (record, path) a replica keeps the *heads*: the versions written to that path
that no received op lists as a parent for that path. Receiving op x for path p:

    heads -= parents(x)[p]
    heads += x            unless a received op already lists x as a parent for p

so the heads depend only on the *set* of received ops, never on their order or on
duplicates. The interim value is the head with the greatest (hlc, op_id): last writer
wins with a deterministic tie-break. A conflict exists while the heads hold two or
more distinct values (compared as canonical JSON); an op whose parents cover all the
heads (a resolve, or any later edit by someone who saw them) ends it.

These functions are pure and work per field, so a SQL store can call them with the
rows of one field: the current heads, and whether any stored op names the incoming
op as a parent for this path (`superseded`). That is why stores keep every op's
parents: a late-arriving ancestor must be recognised as already superseded.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sync.canonical import canonical_json


@dataclass(frozen=True)
class Version:
    """One write of one field: which op, when, by which device, and the value."""

    op_id: str
    hlc: str
    device_id: str
    value: Any

    @property
    def order(self) -> tuple[str, str]:
        """The last-writer-wins order key."""
        return (self.hlc, self.op_id)

    def to_wire(self) -> dict[str, Any]:
        return {"op_id": self.op_id, "hlc": self.hlc, "device_id": self.device_id,
                "value": self.value}


@dataclass(frozen=True)
class Conflict:
    """Concurrent, different values of one field, waiting for a leader.

    `versions` are all the heads, newest first (the first is the interim value). The
    identity `key` is (record_id, path, sorted head op ids): it is the same on every
    replica that has received the same ops, and it changes when the heads change.
    """

    record_id: str
    path: str
    versions: tuple[Version, ...]

    @property
    def head_ids(self) -> tuple[str, ...]:
        return tuple(sorted(v.op_id for v in self.versions))

    @property
    def key(self) -> tuple[str, str, tuple[str, ...]]:
        return (self.record_id, self.path, self.head_ids)

    @property
    def id(self) -> str:
        """A string form of `key`, for URLs and database columns."""
        return f"{self.record_id}/{self.path}@{','.join(self.head_ids)}"

    def to_wire(self) -> dict[str, Any]:
        return {"record_id": self.record_id, "path": self.path,
                "versions": [v.to_wire() for v in self.versions]}


@dataclass(frozen=True)
class FieldOutcome:
    """The state of one field after receiving a version.

    `changed` is False when the incoming version altered nothing (a duplicate, or an
    ancestor that arrived after its descendants); `winner` is None only when the field
    has no heads at all (which a valid history never produces).
    """

    heads: tuple[Version, ...]
    winner: Version | None
    conflict: Conflict | None
    changed: bool


def sort_heads(heads: Iterable[Version]) -> tuple[Version, ...]:
    """Heads newest first by (hlc, op_id): the canonical order stores and views use."""
    return tuple(sorted(heads, key=lambda v: v.order, reverse=True))


def winner_of(heads: Sequence[Version]) -> Version | None:
    return max(heads, key=lambda v: v.order, default=None)


def conflict_of(record_id: str, path: str, heads: Sequence[Version]) -> Conflict | None:
    """The conflict the heads form, or None when they agree on one value."""
    if len(heads) < 2:
        return None
    if len({canonical_json(v.value) for v in heads}) < 2:
        return None
    return Conflict(record_id, path, sort_heads(heads))


def merge_field(
    heads: Sequence[Version],
    incoming: Version,
    incoming_parents: Sequence[str],
    superseded: bool,
    *,
    record_id: str = "",
    path: str = "",
) -> FieldOutcome:
    """Apply one incoming version of a field to its current heads.

    `incoming_parents` are the incoming op's parents for this path; `superseded` is
    True when some op the caller already stored lists the incoming op as a parent for
    this path. `record_id` and `path` only label the conflict.
    """
    drop = set(incoming_parents)
    kept = [v for v in heads if v.op_id not in drop]
    present = any(v.op_id == incoming.op_id for v in kept)
    if not superseded and not present:
        kept.append(incoming)
    new_heads = sort_heads(kept)
    changed = {v.op_id for v in new_heads} != {v.op_id for v in heads}
    return FieldOutcome(
        heads=new_heads,
        winner=winner_of(new_heads),
        conflict=conflict_of(record_id, path, new_heads),
        changed=changed,
    )
