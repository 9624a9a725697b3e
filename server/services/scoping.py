"""Which settlement (and so which federation) each record belongs to, and who may see it.

The SDI forms link records in a tree: a settlement profile *is* its settlement (its
record_id is the settlement id), a structure names its `settlement_id`, a household its
`structure_id`. `assign_settlements` follows these links after every push, inside the
push's transaction, and keeps the answer in `record_scopes` so filters are one indexed join.
Records may arrive in any order: a household pushed before its structure is kept with
`settlement_id` NULL and linked when the structure arrives (or is corrected).

A settlement profile pushed by a device of a federation creates that Settlement when it
does not exist yet, and assigns it to the enumerator who profiled it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Select, delete, false, select, update

from server.auth.roles import Role, role_of
from server.errors import ApiError
from server.extensions import begin_write, db
from server.models import (
    Assignment,
    Device,
    DeviceAccount,
    DeviceRescan,
    Record,
    RecordScope,
    Settlement,
    User,
)
from server.models.types import json_of, utcnow
from server.services.id_lists import among
from server.services.rows import copy_types, insert_rows

SETTLEMENT_FORM = "sdi_settlement_profile"
STRUCTURE_FORM = "sdi_structure_numbering"
HOUSEHOLD_FORM = "sdi_household_enumeration"
#: form id -> the field holding the id of the record it belongs to.
PARENT_FIELD = {STRUCTURE_FORM: "settlement_id", HOUSEHOLD_FORM: "structure_id"}
#: Settlement profile fields that name the settlement (first non-empty wins) and its city.
NAME_FIELDS = ("section_B/B7_Settlement_Name_Community",
               "section_B/B8_Settlement_Name_Municipality")
CITY_FIELD = "section_B/B5_City"
LINKED_FORMS = (SETTLEMENT_FORM, *PARENT_FIELD)
_SCOPE_COLUMNS = ("record_id", "form_id", "parent_id", "settlement_id")
_SCOPE_TYPES = copy_types(RecordScope.__table__, _SCOPE_COLUMNS)  # a binary COPY
#: The fields `assign_settlements` reads, in the order its rows hold them.
_SCOPE_FIELDS = ("settlement_id", "structure_id", *NAME_FIELDS, CITY_FIELD)



def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


_ORDER = {SETTLEMENT_FORM: 0, STRUCTURE_FORM: 1, HOUSEHOLD_FORM: 2}


def assign_settlements(record_ids: Sequence[str], pushed_by: str | None = None,
                       known: Mapping[str, tuple[str, Mapping[str, Any]]] | None = None,
                       created: Collection[str] = ()) -> None:
    """Work out which settlement each of these (new or changed) records belongs to and
    store it in `record_scopes`. Runs in the caller's transaction; `pushed_by` is the
    device whose federation a new settlement joins.
    `known` may give records' current (form id, flat fields) when the caller holds them
    (push does), which saves reading them back; `created` may name those of the
    records that the caller's transaction created, which have no scope yet (a scope
    row is made only here, for a stored record, and never deleted): their scopes are
    not looked up.

    A few set-wise lookups per batch, not per record: settlements first, then
    structures, then households, so a batch may carry a whole tree.
    """
    if not record_ids:
        return
    session = db.session
    known = known or {}
    rows: list[Sequence[Any]] = []
    unknown = []
    for record_id in sorted(set(record_ids)):
        state = known.get(record_id)
        if state is None:
            unknown.append(record_id)
        elif state[0] in LINKED_FORMS:
            fields = state[1]
            rows.append((record_id, state[0], *(fields.get(name) for name in _SCOPE_FIELDS)))
    field = json_of(Record.fields)
    columns = [Record.record_id, Record.form_id,
               *(field[name].as_string() for name in _SCOPE_FIELDS)]
    for ids in among(Record.record_id, unknown):
        rows += session.execute(select(*columns).where(
            ids, Record.form_id.in_(LINKED_FORMS))).all()
    if not rows:
        return
    rows.sort(key=lambda r: _ORDER[r[1]])
    scopes = {s.record_id: s for ids in among(RecordScope.record_id,
                                              [r[0] for r in rows if r[0] not in created])
              for s in session.execute(select(RecordScope).where(ids)).scalars()}
    account = session.get(DeviceAccount, pushed_by) if pushed_by else None
    own = _FederationCheck(account.federation_id if account is not None else None)
    parents = {_text(r[2]) for r in rows if r[1] == STRUCTURE_FORM} | \
        {r[0] for r in rows if r[1] == SETTLEMENT_FORM}
    own.load(sorted(p for p in parents if p))
    # Where the households' structures are (structures of this batch come in `linked`,
    # made below before their households; one this transaction created has no scope).
    structure_ids = sorted({p for r in rows if r[1] == HOUSEHOLD_FORM
                            if (p := _text(r[3])) is not None and p not in created})
    linked: dict[str, str | None] = {
        rid: sid for ids in among(RecordScope.record_id, structure_ids)
        for rid, sid in session.execute(select(RecordScope.record_id, RecordScope.settlement_id)
                                        .where(ids))}
    moved: list[tuple[str, str | None]] = []  # (record id, its settlement) for the children
    fresh: list[tuple[str, str, str | None, str | None]] = []  # new scope rows
    for record_id, form_id, settlement_ref, structure_ref, *names in rows:
        scope = scopes.get(record_id)
        old = scope.settlement_id if scope is not None else None
        if form_id == SETTLEMENT_FORM:
            parent = None
            settlement = _profile_settlement(record_id, names, account, own)
        else:
            if form_id == STRUCTURE_FORM:
                parent = _text(settlement_ref)
                settlement = parent if own.exists(parent) else None
            else:
                parent = _text(structure_ref)
                settlement = linked.get(parent) if parent is not None else None
            if settlement != old and not (own.allows(old) and own.allows(settlement)):
                linked[record_id] = old
                continue  # a device may not move records into or out of another federation
        linked[record_id] = settlement
        if scope is None:
            fresh.append((record_id, form_id, parent, settlement))
        elif (scope.parent_id, scope.settlement_id) == (parent, settlement):
            continue
        else:
            scope.parent_id, scope.settlement_id = parent, settlement
        if form_id != HOUSEHOLD_FORM:
            moved.append((record_id, settlement))
    session.flush()
    if fresh:  # one executemany (a COPY on PostgreSQL), as a batch's other rows
        insert_rows(session.connection(), RecordScope.__tablename__, _SCOPE_COLUMNS, fresh,
                    binary=_SCOPE_TYPES)
    _relink_children(moved)


class _FederationCheck:
    """Whether a settlement exists and is in the pushing device's federation (any
    federation, for a device of none: the office laptop, a hub)."""

    def __init__(self, federation_id: str | None) -> None:
        self.federation_id = federation_id
        self._known: dict[str, str | None] = {}  # settlement id -> federation (None: none)

    def load(self, settlement_ids: Sequence[str]) -> None:
        wanted = [s for s in settlement_ids if s not in self._known]
        self._known.update(dict.fromkeys(wanted))
        for ids in among(Settlement.id, wanted):
            for sid, federation in db.session.execute(
                    select(Settlement.id, Settlement.federation_id).where(ids)):
                self._known[sid] = federation

    def exists(self, settlement_id: str | None) -> bool:
        if settlement_id is None:
            return False
        self.load([settlement_id])
        return self._known[settlement_id] is not None

    def allows(self, settlement_id: str | None) -> bool:
        if self.federation_id is None or settlement_id is None:
            return True
        self.load([settlement_id])
        return self._known[settlement_id] == self.federation_id

    def founded(self, settlement_id: str, federation_id: str) -> None:
        self._known[settlement_id] = federation_id


def _profile_settlement(record_id: str, names: list[Any], account: DeviceAccount | None,
                        own: _FederationCheck) -> str | None:
    """The settlement a profile is; created when a federation's device profiles it."""
    session = db.session
    name = next((n for n in map(_text, names[:len(NAME_FIELDS)]) if n), None)
    if not own.exists(record_id):
        if account is None or account.federation_id is None:
            return None  # a device of no federation cannot found a settlement
        session.add(Settlement(id=record_id, federation_id=account.federation_id,
                               name=(name or "Unnamed settlement")[:200],
                               city=(_text(names[-1]) or "")[:100]))
        session.flush()
        own.founded(record_id, account.federation_id)
        if account.user_id is not None:
            session.add(Assignment(user_id=account.user_id, settlement_id=record_id))
    elif name and own.allows(record_id):
        settlement = session.get(Settlement, record_id)
        if settlement is not None and settlement.name != name[:200]:
            settlement.name = name[:200]
    return record_id


def _relink_children(moved: list[tuple[str, str | None]]) -> None:
    """Structures under moved settlements and households under moved structures follow
    (records that arrived before their parent, or whose parent moved)."""
    session = db.session
    while moved:
        target = dict(moved)
        children: list[tuple[str, str, str, str | None]] = []
        for ids in among(RecordScope.parent_id, sorted(target)):
            children += session.execute(
                select(RecordScope.record_id, RecordScope.form_id, RecordScope.parent_id,
                       RecordScope.settlement_id).where(ids)).all()  # type: ignore[arg-type]
        changes: dict[str | None, list[str]] = {}
        next_level: list[tuple[str, str | None]] = []
        for record_id, form_id, parent, current in children:
            settlement = target[parent]
            if current == settlement:
                continue
            changes.setdefault(settlement, []).append(record_id)
            if form_id != HOUSEHOLD_FORM:
                next_level.append((record_id, settlement))
        for settlement, ids in changes.items():
            for where in among(RecordScope.record_id, ids):
                session.execute(update(RecordScope).where(where)
                                .values(settlement_id=settlement))
        moved = next_level


def records_of_other_federations(device_id: str, record_ids: Iterable[str]) -> set[str]:
    """Those of `record_ids` that belong to a settlement of another federation than the
    device's: the device may not write to them. A device of no federation (an office
    laptop, a hub relaying its tablets, the server's own replica) may write anywhere."""
    wanted = sorted(set(record_ids))
    if not wanted:  # a batch of new records: nothing to look up
        return set()
    session = db.session
    account = session.get(DeviceAccount, device_id)
    if account is None or account.federation_id is None:
        return set()
    found: set[str] = set()
    for ids in among(RecordScope.record_id, wanted):
        found.update(session.execute(
            select(RecordScope.record_id)
            .join(Settlement, Settlement.id == RecordScope.settlement_id)
            .where(ids, Settlement.federation_id != account.federation_id)).scalars())
    return found


def record_settlement(record: Record | str) -> str | None:
    """The settlement a record belongs to (None: not linked, or not an SDI form)."""
    record_id = record if isinstance(record, str) else record.record_id
    return db.session.execute(select(RecordScope.settlement_id)
                              .where(RecordScope.record_id == record_id)).scalar_one_or_none()


def visible_settlement_ids(user: Any) -> Select[tuple[str]] | None:
    """A query of the settlement ids `user` may see (None: all, an admin).

    Leaders and officials: their federation's. Enumerators: their assignments.
    (Officials see aggregates only; whether records are shown is can_see_household_data.)
    """
    role = role_of(user)
    if role is Role.ADMIN:
        return None
    if role is Role.ENUMERATOR:
        return select(Assignment.settlement_id).where(Assignment.user_id == user.id)
    federation = user.federation_id if role is not None else None
    return select(Settlement.id).where(Settlement.federation_id == federation)


def visible_record_ids(user: Any) -> Select[tuple[str]] | None:
    """A query of the record ids whose data `user` may see (None: all, an admin;
    officials none)."""
    role = role_of(user)
    if role is Role.ADMIN:
        return None
    if role in (None, Role.OFFICIAL):
        return select(RecordScope.record_id).where(false())
    settlements = visible_settlement_ids(user)
    assert settlements is not None
    return select(RecordScope.record_id).where(
        RecordScope.settlement_id.in_(settlements.scalar_subquery()))


def record_visible(user: Any, record_id: str) -> bool:
    """True if the record exists and `user` may see it (`visible_record_ids`)."""
    if db.session.get(Record, record_id) is None:
        return False
    visible = visible_record_ids(user)
    return visible is None or db.session.execute(
        visible.where(RecordScope.record_id == record_id)).first() is not None


def visible_record(user: Any, record_id: str) -> Record:
    """The record if `user` may see it, else ApiError request.not_found (whether it
    exists in another federation is not revealed)."""
    if not record_visible(user, record_id):
        raise ApiError("request.not_found", f"no record {record_id}")
    record = db.session.get(Record, record_id)
    assert record is not None
    return record


def device_record_ids(device_id: str) -> Select[tuple[str]]:
    """The ids of the records a device pulls: those its user may see. A device enrolled
    without a user (`hesabu server enrol-code`, a hub) pulls everything."""
    session = db.session
    found = session.execute(
        select(DeviceAccount, User).outerjoin(User, User.id == DeviceAccount.user_id)
        .where(DeviceAccount.device_id == device_id)).first()
    if found is None:
        return select(Record.record_id)
    account, user = found
    if user is None:
        # A federation's device without a person: the federation's records.
        return select(RecordScope.record_id).join(
            Settlement, Settlement.id == RecordScope.settlement_id).where(
            Settlement.federation_id == account.federation_id)
    if not user.active:
        return select(RecordScope.record_id).where(false())
    query = visible_record_ids(user)
    return select(Record.record_id) if query is None else query


def request_rescan(user_id: str, reason: str) -> None:
    """The records `user_id` may see grew (a new assignment, a new role): their devices
    pull again from cursor 0 on their next sync. Runs in the caller's transaction."""
    session = db.session
    device_ids = session.execute(
        select(DeviceAccount.device_id).join(Device, Device.id == DeviceAccount.device_id)
        .where(DeviceAccount.user_id == user_id, Device.revoked.is_(False))).scalars().all()
    for device_id in device_ids:
        row = session.get(DeviceRescan, device_id)
        if row is None:
            session.add(DeviceRescan(device_id=device_id, reason=reason[:200]))
        else:
            row.requested_at, row.reason = utcnow(), reason[:200]


def check_rescan(device_id: str, cursor: int) -> None:
    """Before a pull, outside its transaction: a device asked to rescan gets
    `sync.cursor_invalid` for a cursor above 0 (devices then pull from 0,
    docs/sync-protocol.md); its pull from 0 ends the request."""
    session = db.session
    row = session.get(DeviceRescan, device_id)
    if row is None:
        session.rollback()
        return
    if cursor == 0:
        requested_at = row.requested_at
        session.rollback()
        begin_write(session)  # a pull is a GET: its transactions begin without the lock
        # Not a rescan asked for since this read: the next pull must still honour it.
        session.execute(delete(DeviceRescan).where(DeviceRescan.device_id == device_id,
                                                   DeviceRescan.requested_at == requested_at))
        session.commit()
        return
    reason = row.reason
    session.rollback()
    raise ApiError("sync.cursor_invalid",
                   f"this device's records changed ({reason}): pull again from cursor 0",
                   details={"rescan": True})
