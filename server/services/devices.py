"""Enrolment codes (for any device, or for one user's), device tokens and who is calling."""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import delete, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from server.errors import ApiError
from server.extensions import begin_write, db
from server.models import Device, EnrolmentCode, EnrolmentCodeAccount, EnrolmentFailure, User
from server.models.devices import CLIENT_LEN
from server.models.types import utcnow
from server.services.device_accounts import (
    EnrolmentOffer,
    bind_enrolled_device,
    enrolment_payload,
    pin_for,
    tls_pin,
)
from server.services.device_takeover import EnrolProof, check_enrolment
from sync.bundle_crypto import normalise_code

#: No 0/O, 1/I/L, U: a code read aloud over a phone survives.
_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"
_CODE_LEN = 12
#: Refresh `last_seen` at most this often, so pulls rarely write.
_SEEN_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class DeviceIdentity:
    """The authenticated caller of a sync endpoint."""

    id: str
    name: str


@dataclass(frozen=True)
class DeviceInfo:
    id: str
    name: str
    enrolled_at: datetime
    last_seen: datetime | None
    revoked: bool


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def create_enrolment_code(ttl_hours: float) -> tuple[str, datetime]:
    """A new one-time code (shown once, only its hash is kept) and when it expires."""
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(_CODE_LEN))
    expires = utcnow() + timedelta(hours=ttl_hours)
    db.session.add(EnrolmentCode(code_hash=_digest(raw), expires_at=expires))
    db.session.commit()
    return "-".join(raw[i:i + 4] for i in range(0, _CODE_LEN, 4)), expires


def create_code_for(user: User, server_url: str, ttl_hours: float,
                    created_by: str | None) -> EnrolmentOffer:
    """An enrolment code that enrols one device for `user` (and their federation)."""
    code, expires = create_enrolment_code(ttl_hours)
    db.session.add(EnrolmentCodeAccount(code_hash=_digest(normalise_code(code)),
                                        user_id=user.id, federation_id=user.federation_id,
                                        created_by=created_by))
    db.session.commit()
    pin = pin_for(server_url, tls_pin())
    payload = enrolment_payload(server_url, code, pin)
    return EnrolmentOffer(code, expires, payload, user.id, user.federation_id, pin)


class GuessLimiter:
    """Failed enrolment attempts per client address in a sliding window.

    Codes have 30^12 values, so guessing is hopeless anyway; the limit keeps a script
    from trying and keeps the logs quiet. Each failure is a row of `enrolment_failures`,
    so every gunicorn worker and every server on the same database counts together,
    and a restart forgets nothing. Two failures at the same moment are two inserted
    rows: both count, nothing is read and written back. `clock` gives seconds since
    the epoch (wall time: the rows are compared across processes).
    """

    #: Rows older than the window deleted at most per recorded failure (the cost of one
    #: failure stays bounded; each failure adds one row, so pruning keeps up).
    PRUNE_BATCH = 500

    def __init__(self, max_failures: int, window_s: float,
                 clock: Callable[[], float] = time.time) -> None:
        try:
            self.max_failures, self.window_s = int(max_failures), float(window_s)
        except (TypeError, ValueError):
            self.max_failures, self.window_s = 0, 0.0
        if self.max_failures < 1 or not self.window_s > 0:
            raise ValueError("HESABU_ENROL_MAX_FAILURES must be a whole number of at least 1 "
                             "and HESABU_ENROL_WINDOW_S more than 0 seconds; got "
                             f"{max_failures!r} and {window_s!r}")
        self.clock = clock

    @staticmethod
    def _at(seconds: float) -> datetime:
        return datetime.fromtimestamp(seconds, UTC)

    def check(self, client: str) -> None:
        """ApiError auth.enrolment_rate_limited while `client` is over the limit.

        One indexed query; it ends the session's (read) transaction, so call it with
        no transaction of the caller's open."""
        now = self.clock()
        session = db.session
        newest = session.execute(
            select(EnrolmentFailure.failed_at)
            .where(EnrolmentFailure.client == client[:CLIENT_LEN],
                   EnrolmentFailure.failed_at > self._at(now - self.window_s))
            .order_by(EnrolmentFailure.failed_at.desc())
            .limit(self.max_failures)).scalars().all()
        session.rollback()
        if len(newest) < self.max_failures:
            return
        # Under the limit again once the max_failures-th newest failure leaves the window.
        wait = max(1, int(newest[-1].timestamp() + self.window_s - now) + 1)
        raise ApiError("auth.enrolment_rate_limited",
                       f"too many wrong enrolment codes from this address; try again in "
                       f"{wait} seconds", details={"retry_after_s": wait},
                       headers={"Retry-After": str(wait)})

    def failed(self, client: str) -> None:
        """Count one wrong code from `client` (its own transaction, committed), and
        delete failures of any address that have left the window."""
        now = self.clock()
        session = db.session
        begin_write(session)
        # SKIP LOCKED (PostgreSQL; SQLite has one writer anyway): two workers pruning at
        # once never wait for, or deadlock on, each other's rows.
        old = (select(EnrolmentFailure.id)
               .where(EnrolmentFailure.failed_at <= self._at(now - self.window_s))
               .limit(self.PRUNE_BATCH).with_for_update(skip_locked=True))
        session.execute(delete(EnrolmentFailure).where(EnrolmentFailure.id.in_(old)))
        session.execute(insert(EnrolmentFailure).values(client=client[:CLIENT_LEN],
                                                        failed_at=self._at(now)))
        session.commit()


def enrolment_limiter() -> GuessLimiter:
    """This app's limiter (HESABU_ENROL_MAX_FAILURES per HESABU_ENROL_WINDOW_S); the
    counts themselves are in the database, shared by every app on it."""
    limiter = current_app.extensions.get("hesabu_enrol_limiter")
    if limiter is None:
        limiter = current_app.extensions["hesabu_enrol_limiter"] = GuessLimiter(
            current_app.config["HESABU_ENROL_MAX_FAILURES"],
            current_app.config["HESABU_ENROL_WINDOW_S"])
    return limiter


def enrol_device(code: str, device_id: str, name: str, client: str = "",
                 proof: EnrolProof | None = None) -> str:
    """Spend `code` to enrol `device_id`; returns its bearer token (kept only as a hash).

    A device enrolling again gets a new token and the old one stops working, if the
    code is of its own federation (or an admin's) and `proof` shows the request comes
    from the device itself (services/device_takeover.py); a revoked device cannot come
    back this way. `client` (the caller's
    address) is refused for a while after too many wrong codes. Two enrolments of the
    same device id at the same moment end as if one came after the other: the second
    one's token is the valid one.
    """
    limiter = enrolment_limiter()
    limiter.check(client)
    session = db.session
    begin_write(session)
    row = session.get(EnrolmentCode, _digest(normalise_code(code)), with_for_update=True)
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        session.rollback()
        limiter.failed(client)
        raise ApiError("auth.enrolment_code_invalid",
                       "this enrolment code is wrong, already used or expired; "
                       "ask a federation leader for a new one")
    token = secrets.token_urlsafe(32)
    device = _device_row_locked(device_id, name, _digest(token))
    try:
        check_enrolment(device, device.token_hash == _digest(token), row.code_hash,
                        proof or EnrolProof(code))
    except ApiError:
        session.rollback()  # the code is not spent
        raise
    if device.revoked:
        session.rollback()
        raise ApiError("auth.device_revoked", f"device {device_id} was revoked")
    device.name, device.token_hash = name, _digest(token)
    device.last_seen = utcnow()
    row.used_at, row.used_by = utcnow(), device_id
    bind_enrolled_device(row.code_hash, device_id, client)  # a code made for a user
    session.commit()
    return token


def _device_row_locked(device_id: str, name: str, token_hash: str) -> Device:
    """The device's row, created if new, locked until commit.

    INSERT ... ON CONFLICT DO NOTHING then SELECT ... FOR UPDATE: when two enrolments of
    one id race on PostgreSQL, the second waits for the first to commit instead of
    failing on the primary key (it was a 500). SQLite serialises writers already.
    """
    session = db.session
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(insert(Device).values(
        id=device_id, name=name, token_hash=token_hash, enrolled_at=utcnow(), revoked=False,
    ).on_conflict_do_nothing(index_elements=["id"]))
    return session.execute(select(Device).where(Device.id == device_id).with_for_update()
                           .execution_options(populate_existing=True)).scalar_one()


def authenticate(authorization: str | None) -> DeviceIdentity:
    """The device an `Authorization: Bearer <token>` header belongs to, or ApiError."""
    scheme, _, token = (authorization or "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ApiError("auth.token_invalid", "send Authorization: Bearer <device token>",
                       headers={"WWW-Authenticate": 'Bearer realm="hesabu"'})
    session = db.session
    device = session.execute(
        select(Device).where(Device.token_hash == _digest(token))
    ).scalar_one_or_none()
    if device is None:
        session.rollback()
        raise ApiError("auth.token_invalid", "this device token is not valid; enrol again",
                       headers={"WWW-Authenticate": 'Bearer realm="hesabu", '
                                                    'error="invalid_token"'})
    identity = DeviceIdentity(device.id, device.name)
    revoked, last_seen = device.revoked, device.last_seen
    # End the read so the service can open its own (write) transaction.
    session.rollback()
    if revoked:
        raise ApiError("auth.device_revoked",
                       f"device {identity.id} was revoked by a federation leader")
    if last_seen is None or utcnow() - last_seen > _SEEN_EVERY:
        mark_seen(identity.id)
    return identity


def mark_seen(device_id: str) -> None:
    session = db.session
    begin_write(session)
    device = session.get(Device, device_id)
    if device is not None:
        device.last_seen = utcnow()
    session.commit()


def revoke_device(device_id: str) -> bool:
    """Refuse the device from now on; False if there is no such device."""
    session = db.session
    begin_write(session)
    device = session.get(Device, device_id)
    if device is None:
        session.rollback()
        return False
    device.revoked = True
    session.commit()
    return True


def list_devices() -> list[DeviceInfo]:
    rows = db.session.execute(select(Device).order_by(Device.enrolled_at)).scalars()
    found = [DeviceInfo(d.id, d.name, d.enrolled_at, d.last_seen, d.revoked) for d in rows]
    db.session.rollback()
    return found
