"""What a leader sees first: today's arrivals, pending conflicts and reviews, devices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, select

from server.auth.roles import visible_federation_ids
from server.extensions import db
from server.models import Device, Record
from server.models import Op as OpRow
from server.models.accounts import DeviceAccount, Settlement, User
from server.services.resolution import count_open_conflicts
from server.services.review import latest_reviews
from server.services.scoping import visible_record_ids

#: A device not seen for this long is shown as "not syncing".
STALE_AFTER = timedelta(days=2)


def settlement_names(visible: Select[tuple[str]] | None) -> dict[str, str]:
    """id -> "Name (City)" of the settlements in `visible` (all when None), by name."""
    query = select(Settlement.id, Settlement.name, Settlement.city).order_by(Settlement.name)
    if visible is not None:
        query = query.where(Settlement.id.in_(visible))
    return {sid: f"{name} ({city})" if city else name
            for sid, name, city in db.session.execute(query)}


@dataclass(frozen=True)
class DeviceStatus:
    id: str
    name: str
    user: str
    last_seen: datetime | None
    revoked: bool

    @property
    def state(self) -> str:
        if self.revoked:
            return "revoked"
        if self.last_seen is None or datetime.now(UTC) - self.last_seen > STALE_AFTER:
            return "not syncing"
        return "syncing"


@dataclass(frozen=True)
class Dashboard:
    today_new: dict[str, int]
    today_changed: int
    open_conflicts: int
    unreviewed: int
    has_issues: int
    devices: list[DeviceStatus]


def devices_for(federations: set[str] | None) -> list[DeviceStatus]:
    query = (select(Device, User.display_name, User.username)
             .outerjoin(DeviceAccount, DeviceAccount.device_id == Device.id)
             .outerjoin(User, User.id == DeviceAccount.user_id)
             .order_by(Device.last_seen.desc()))
    if federations is not None:
        query = query.where(DeviceAccount.federation_id.in_(federations))
    return [DeviceStatus(d.id, d.name, display or username or "", d.last_seen, d.revoked)
            for d, display, username in db.session.execute(query)]


def dashboard(user: Any, now: datetime | None = None) -> Dashboard:
    """The dashboard of `user`, scoped to what they may see."""
    now = now or datetime.now(UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    ids = visible_record_ids(user)
    ops_today = select(OpRow.record_id, OpRow.form_id, OpRow.server_seq).where(
        OpRow.received_at >= midnight)
    if ids is not None:
        ops_today = ops_today.where(OpRow.record_id.in_(ids))
    rows = db.session.execute(ops_today).all()
    created = dict(db.session.execute(
        select(Record.record_id, Record.created_seq).where(
            Record.record_id.in_({r.record_id for r in rows}))).all()) if rows else {}
    today_new: dict[str, int] = {}
    for rid, form_id, seq in rows:
        if created.get(rid) == seq:
            today_new[form_id] = today_new.get(form_id, 0) + 1
    changed = len({r.record_id for r in rows})
    records = select(Record.record_id).where(Record.deleted.is_(False),
                                             Record.form_id != "sdi_city_profile")
    if ids is not None:
        records = records.where(Record.record_id.in_(ids))
    all_ids = list(db.session.execute(records).scalars())
    reviews = latest_reviews(all_ids)
    return Dashboard(
        today_new=today_new, today_changed=changed,
        open_conflicts=count_open_conflicts(ids),
        unreviewed=sum(1 for rid in all_ids if rid not in reviews),
        has_issues=sum(1 for r in reviews.values() if r.state == "has_issues"),
        devices=devices_for(visible_federation_ids(user)),
    )
