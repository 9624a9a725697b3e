"""What a leader sees first: today's arrivals, pending conflicts and reviews, devices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, case, func, select

from server.auth.roles import visible_federation_ids
from server.extensions import db
from server.models import Device, Record, Review
from server.models import Op as OpRow
from server.models.accounts import DeviceAccount, Settlement, User
from server.services.resolution import count_open_conflicts
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
    # A record is new today if the op that created it arrived today.
    created = (select(Record.form_id, func.count()).join(
        OpRow, OpRow.server_seq == Record.created_seq).where(OpRow.received_at >= midnight)
        .group_by(Record.form_id))
    changed_q = select(func.count(func.distinct(OpRow.record_id))).where(
        OpRow.received_at >= midnight)
    if ids is not None:
        created = created.where(Record.record_id.in_(ids))
        changed_q = changed_q.where(OpRow.record_id.in_(ids))
    today_new = {form_id: int(n) for form_id, n in db.session.execute(created)}
    changed = int(db.session.execute(changed_q).scalar_one())
    # Counted in the database: a national dataset has too many records to load.
    newest = (select(Review.record_id, func.max(Review.server_seq).label("seq"))
              .group_by(Review.record_id).subquery())
    counted = (select(func.count(Record.record_id), func.count(newest.c.seq),
                      func.count(case((Review.state == "has_issues", 1))))
               .outerjoin(newest, newest.c.record_id == Record.record_id)
               .outerjoin(Review, Review.server_seq == newest.c.seq)
               .where(Record.deleted.is_(False), Record.form_id != "sdi_city_profile"))
    if ids is not None:
        counted = counted.where(Record.record_id.in_(ids))
    total, reviewed, issues = db.session.execute(counted).one()
    return Dashboard(
        today_new=today_new, today_changed=changed,
        open_conflicts=count_open_conflicts(ids),
        unreviewed=int(total) - int(reviewed), has_issues=int(issues),
        devices=devices_for(visible_federation_ids(user)),
    )
