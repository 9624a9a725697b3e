"""XForm instances (OpenRosa submissions, rows of a Kobo or Ona export) become records
through the op path every tablet push takes (`services.push.push_ops`).

- A new instance is a new record: one op writes all its answers, with no parents.
- Its `meta/instanceID` is its idempotency key: the same instance again (a resend, a
  split upload, a second import of a file) changes nothing.
- An edit (`meta/deprecatedID`, or an export row whose answers changed since it was
  imported) is compared with the instance it replaces, and one op writes the fields
  that differ, naming as parents the versions that instance held. So if a Hesabu
  tablet changed one of those answers meanwhile, the two are concurrent and the merge
  opens a conflict, exactly as between two tablets.
- Repeat instances get ids: derived from the instance id and their position for a new
  instance, and taken by position from the instance an edit replaces (XForms have no
  repeat ids; ODK compares edits by position too).
- Attachment files named by the answers go in the op's `meta.attachments` (name ->
  sha256, size, type) as a tablet's do; a file arriving after its instance (Collect
  splits large submissions over several POSTs) comes with a small op re-writing the
  answer that names it, so the record finds the file.

Every instance and its op are written in one transaction (`before_commit`), so a
record never exists without its instance row or the other way round; a batch of
instances (an import) is all or nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import insert, select

from forms.spec import FormSpec
from server.errors import ApiError
from server.extensions import db
from server.models import DeviceAccount, SubmissionInstance
from server.models.types import utcnow
from server.services.audit import NOBODY, Actor, audit
from server.services.clock import server_clock
from server.services.id_lists import among
from server.services.push import PushResult, push_ops
from server.services.xform_links import Linker
from sync.canonical import canonical_json
from sync.codes import RECORD_FORBIDDEN
from sync.fields import DELETED, field_changes, flatten
from sync.hlc import Hlc, parse_hlc, wall_clock_ms
from sync.ids import new_uuid7
from sync.ops import EDIT, MAX_META_BYTES, Op

#: Room kept in an op's meta for everything but `attachments`.
_META_ROOM = MAX_META_BYTES - 600


@dataclass(frozen=True)
class FileInfo:
    """A received attachment, stored content-addressed."""

    sha256: str
    size: int
    type: str


@dataclass(frozen=True)
class Incoming:
    """One XForm instance as a client or an export gives it."""

    instance_id: str
    form: FormSpec
    answers: dict[str, Any]
    deprecated_id: str | None = None
    #: Attachment file names the answers hold.
    names: tuple[str, ...] = ()
    #: The files of `names` that came with it (name -> stored file).
    files: Mapping[str, FileInfo] = field(default_factory=dict)
    #: Where it was: "openrosa", or an export's sheet and row for messages.
    where: str = ""


@dataclass(frozen=True)
class Outcome:
    instance_id: str
    record_id: str
    #: "created", "edited", "unchanged" (an edit that changed nothing), "replayed",
    #: "files" (a replay that brought files).
    kind: str
    op_ids: tuple[str, ...] = ()


class _Raced(Exception):
    """Another request stored one of these instances first: start again."""


@dataclass
class _State:
    """An instance row being written (new or updated)."""

    instance_id: str
    record_id: str
    form_id: str
    form_version: str
    deprecated_id: str | None
    digest: str
    fields: dict[str, Any]
    versions: dict[str, Any]
    files: dict[str, str]
    new: bool

    def version_of(self, path: str) -> str | None:
        """The op holding this instance's version of `path` (None: it has none)."""
        inherited = self.versions.get("from", {})
        if path in inherited:
            return inherited[path]
        wrote = self.versions.get("wrote", "all")
        own = (path in self.fields or path == DELETED) if wrote == "all" else path in wrote
        return self.versions.get("op") if own else None

    def known_paths(self) -> set[str]:
        """Every path this instance holds a version of (removed answers too)."""
        wrote = self.versions.get("wrote", "all")
        return {*self.fields, *self.versions.get("from", {}), DELETED,
                *(wrote if isinstance(wrote, list) else ())}

    def parents(self, paths: Sequence[str]) -> dict[str, tuple[str, ...]]:
        """The parents of an op writing `paths` over this instance's versions."""
        return {p: (v,) if (v := self.version_of(p)) is not None else () for p in paths}


def answers_digest(answers: Mapping[str, Any]) -> str:
    """What "the same instance" means: equal answers (repeat ids aside)."""
    return hashlib.sha256(canonical_json(dict(answers)).encode("utf-8")).hexdigest()


def _ids_from(fields: Mapping[str, Any]) -> dict[str, list[str]]:
    """Repeat instance ids of an instance's fields by container path, in list order."""
    found: dict[str, list[tuple[Any, str]]] = {}
    for path, position in fields.items():
        if path.endswith("]") and position is not None:
            container, _, rest = path[:-1].rpartition("[")
            found.setdefault(container, []).append((position, rest))
    return {c: [i for _, i in sorted(items)] for c, items in found.items()}


def with_repeat_ids(answers: Mapping[str, Any], instance_id: str,
                    old: Mapping[str, list[str]] | None = None, prefix: str = ""
                    ) -> dict[str, Any]:
    """`answers` with an `__id` on every repeat instance (see the module docstring)."""
    out: dict[str, Any] = {}
    for name, value in answers.items():
        path = f"{prefix}{name}"
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            kept = (old or {}).get(path, [])
            items = []
            for index, item in enumerate(value):
                rid = kept[index] if index < len(kept) else hashlib.sha256(
                    f"{instance_id}|{path}|{index}".encode()).hexdigest()[:12]
                items.append({"__id": rid, **with_repeat_ids(item, instance_id, old,
                                                             f"{path}[{rid}]/")})
            out[name] = items
        elif isinstance(value, dict):
            out[name] = with_repeat_ids(value, instance_id, old, f"{path}/")
        else:
            out[name] = value
    return out


class _Writer:
    """Plans the ops and rows of a batch of instances written by `device_id`."""

    def __init__(self, device_id: str, source: str, actor: Actor | None,
                 update_changed: bool) -> None:
        self.device_id = device_id
        self.source = source
        self.actor = actor
        self.update_changed = update_changed
        self.ops: list[Op] = []
        self.states: dict[str, _State] = {}
        self.written: dict[str, _State] = {}
        self.outcomes: list[Outcome] = []
        account = db.session.get(DeviceAccount, device_id)
        self.links = Linker(account.federation_id if account is not None else None)

    def load(self, items: Sequence[Incoming]) -> None:
        wanted = sorted({i.instance_id for i in items}
                        | {i.deprecated_id for i in items if i.deprecated_id})
        for ids in among(SubmissionInstance.instance_id, wanted):
            for row in db.session.execute(select(SubmissionInstance).where(ids)).scalars():
                self.states[row.instance_id] = _State(
                    row.instance_id, row.record_id, row.form_id, row.form_version,
                    row.deprecated_id, row.digest, dict(row.fields), dict(row.versions),
                    dict(row.files or {}), new=False)

    def _hlc(self) -> str:
        tick = parse_hlc(server_clock().now())
        return Hlc(tick.ms, tick.counter, self.device_id).encode()

    def _op(self, state: _State, fields: dict[str, Any], item: Incoming,
            files: Mapping[str, FileInfo], parents: Mapping[str, tuple[str, ...]]) -> Op:
        meta: dict[str, Any] = {"via": self.source, "instance": item.instance_id}
        if self.actor is not None:
            meta["user"] = self.actor.username
        if files:
            meta["attachments"] = {n: {"sha256": f.sha256, "size": f.size, "type": f.type}
                                   for n, f in files.items()}
        op = Op(op_id=new_uuid7(), device_id=self.device_id, record_id=state.record_id,
                form_id=state.form_id, form_version=state.form_version, hlc=self._hlc(),
                kind=EDIT, fields={**fields, DELETED: False},
                parents={p: tuple(parents.get(p, ())) for p in (*fields, DELETED)},
                meta=meta)
        self.ops.append(op)
        return op

    def _files(self, item: Incoming, state: _State) -> dict[str, FileInfo]:
        """The files of `item` its instance does not hold yet."""
        return {n: f for n, f in item.files.items()
                if n in item.names and state.files.get(n) != f.sha256}

    def add(self, item: Incoming) -> None:
        digest = answers_digest(item.answers)
        state = self.states.get(item.instance_id)
        if state is not None and state.digest == digest:
            self._replay(item, state)
            return
        if state is not None and not self.update_changed:
            raise ApiError("openrosa.instance_conflict",
                           f"a different submission with instanceID {item.instance_id} was "
                           "received before; an edit needs a new instanceID and "
                           "meta/deprecatedID naming the one it replaces")
        base = state
        if base is None and item.deprecated_id is not None:
            base = self.states.get(item.deprecated_id)
            if base is None:
                raise ApiError("openrosa.edit_unknown",
                               f"{item.where}this edit replaces {item.deprecated_id}, which "
                               "was not received here; send the original submission first")
        if base is not None and base.form_id != item.form.id:
            raise ApiError("openrosa.refused",
                           f"{item.where}{item.deprecated_id or item.instance_id} was a "
                           f"{base.form_id!r} record; an edit cannot move it to "
                           f"{item.form.id!r}")
        if base is None:
            self._create(item, digest)
        else:
            self._edit(item, base, digest)

    def _create(self, item: Incoming, digest: str) -> None:
        answers = self.links.fill(item.form.id, item.answers)
        fields = flatten(with_repeat_ids(answers, item.instance_id))
        state = _State(item.instance_id, new_uuid7(), item.form.id, item.form.version,
                       item.deprecated_id, digest, fields, {}, {}, new=True)
        files = self._fit(self._files(item, state))
        op = self._op(state, fields, item, files, {})
        state.versions = {"op": op.op_id, "wrote": "all", "from": {}}
        state.files = {n: f.sha256 for n, f in files.items()}
        self._keep(state)
        self.outcomes.append(Outcome(item.instance_id, state.record_id, "created",
                                     (op.op_id, *self._late_files(item, state))))

    def _edit(self, item: Incoming, base: _State, digest: str) -> None:
        answers = self.links.fill(item.form.id, item.answers, base.fields)
        new_answers = with_repeat_ids(answers, item.instance_id, _ids_from(base.fields))
        changes = field_changes(base.fields, new_answers)
        fields = {p: v for p, v in {**base.fields, **changes}.items() if v is not None}
        same_row = base.instance_id == item.instance_id
        state = _State(item.instance_id, base.record_id, base.form_id, item.form.version,
                       item.deprecated_id if not same_row else base.deprecated_id, digest,
                       fields, base.versions, dict(base.files), new=not same_row)
        op_ids: tuple[str, ...] = ()
        if changes:
            files = self._fit(self._files(item, state))
            op = self._op(state, changes, item, files, base.parents([*changes, DELETED]))
            inherited = {p: v for p in sorted(base.known_paths())
                         if p not in changes and p != DELETED
                         and (v := base.version_of(p)) is not None}
            state.versions = {"op": op.op_id, "wrote": sorted({*changes, DELETED}),
                              "from": inherited}
            state.files.update({n: f.sha256 for n, f in files.items()})
            op_ids = (op.op_id,)
        self._keep(state)
        op_ids += self._late_files(item, state)
        self.outcomes.append(Outcome(item.instance_id, state.record_id,
                                     "edited" if changes else "unchanged", op_ids))

    def _replay(self, item: Incoming, state: _State) -> None:
        op_ids = self._late_files(item, state)
        if op_ids:
            self._keep(state)
        self.outcomes.append(Outcome(item.instance_id, state.record_id,
                                     "files" if op_ids else "replayed", op_ids))

    def _fit(self, files: dict[str, FileInfo]) -> dict[str, FileInfo]:
        """As many files as an op's meta holds; `_late_files` sends the others."""
        fitted: dict[str, FileInfo] = {}
        for name, info in files.items():
            trial = {**fitted, name: info}
            size = len(canonical_json({n: [f.sha256, f.size, f.type, n]
                                       for n, f in trial.items()}))
            if size > _META_ROOM:
                break
            fitted = trial
        return fitted

    def _late_files(self, item: Incoming, state: _State) -> tuple[str, ...]:
        """Ops that attach files the instance's answers name but its ops do not carry."""
        op_ids: list[str] = []
        while pending := self._fit(self._files(item, state)):
            paths = {p: v for p, v in state.fields.items() if v in pending}
            op = self._op(state, paths, item, pending, state.parents([*paths, DELETED]))
            state.versions = {**state.versions,
                              "from": {**state.versions.get("from", {}),
                                       **dict.fromkeys([*paths, DELETED], op.op_id)}}
            state.files.update({n: f.sha256 for n, f in pending.items()})
            op_ids.append(op.op_id)
        return tuple(op_ids)

    def _keep(self, state: _State) -> None:
        self.states[state.instance_id] = state
        self.written[state.instance_id] = state

    def store(self, result: PushResult) -> None:
        """Inside push_ops' transaction: the rows, or an error that undoes everything."""
        if result.rejected:
            first = result.rejected[0]
            code = "openrosa.forbidden" if first.code == RECORD_FORBIDDEN else \
                "openrosa.refused"
            raise ApiError(code, f"the record cannot take this change: {first.message}",
                           details={"reason": first.code})
        session = db.session
        fresh = [s for s in self.written.values() if s.new]
        ids = [s.instance_id for s in fresh]
        for where in among(SubmissionInstance.instance_id, ids):  # under the write lock
            if session.execute(select(SubmissionInstance.instance_id).where(where)).first():
                raise _Raced()  # (no one else adds meanwhile)
        if fresh:
            now = utcnow()
            session.execute(insert(SubmissionInstance), [
                {"instance_id": s.instance_id, "device_id": self.device_id,
                 "source": self.source, "received_at": now, **_row(s)} for s in fresh])
        for state in self.written.values():
            if not state.new:  # a replay that brought files, an export row corrected
                row = session.get(SubmissionInstance, state.instance_id)
                for key, value in _row(state).items():
                    setattr(row, key, value)
        if self.source == "openrosa":
            for outcome in self.outcomes:
                if outcome.op_ids:
                    audit(self.actor or NOBODY, f"openrosa.submission.{outcome.kind}",
                          outcome.record_id, commit=False, instance=outcome.instance_id,
                          device_id=self.device_id)


def _row(state: _State) -> dict[str, Any]:
    return {"record_id": state.record_id, "form_id": state.form_id,
            "form_version": state.form_version, "deprecated_id": state.deprecated_id,
            "digest": state.digest, "fields": state.fields, "versions": state.versions,
            "files": state.files}


def write_instances(device_id: str, items: Sequence[Incoming], *, source: str,
                    actor: Actor | None,
                    update_changed: bool = False,
                    before_write: Callable[[], None] | None = None) -> list[Outcome]:
    """Write `items` (in order; an edit may follow its original) as `device_id`, all in
    one transaction; ApiError (nothing written) if one cannot be taken.

    `update_changed`: an instance id received before with other answers is an edit of
    it (an export imported again after corrections); otherwise it is refused
    (`openrosa.instance_conflict`, as a client must give an edit a new instance id).
    `before_write` runs once every item was found acceptable, before anything is
    written (the caller stores the attachment files then).
    """
    for attempt in (1, 2):
        writer = _Writer(device_id, source, actor, update_changed)
        try:
            writer.load(items)
            for item in items:
                writer.add(item)
        finally:
            db.session.rollback()  # the reads; push_ops opens the write transaction
        if before_write is not None and attempt == 1:
            before_write()
        if not writer.ops:
            return writer.outcomes
        try:
            result = push_ops(device_id, writer.ops, now_ms=wall_clock_ms(),
                              max_drift_ms=int(current_app.config["HESABU_MAX_CLOCK_DRIFT_MS"]),
                              before_commit=writer.store)
        except _Raced:
            if attempt == 2:
                raise
            continue
        server_clock().receive(list(result.applied_hlcs))
        return writer.outcomes
    raise AssertionError("unreachable")
