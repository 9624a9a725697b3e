"""Federations, users, passwords, logins and API tokens.

Passwords are hashed with scrypt (werkzeug's default KDF); API tokens and enrolment
codes are random and kept only as SHA-256 hashes, so they are shown once. Finding the
user of a token or a session is `server.auth.credentials`.
"""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from server.auth.credentials import TOKEN_PREFIX, digest, session_stamp
from server.auth.roles import Role
from server.extensions import begin_write, db
from server.models import ApiToken, AuditEvent, Federation, User
from server.models.types import utcnow

#: Shorter passwords are refused.
MIN_PASSWORD_LENGTH = 10
#: Consecutive wrong passwords before the account is locked for LOCK_MINUTES.
MAX_FAILED_LOGINS = 5
LOCK_MINUTES = 15
#: Failed logins from one address (any usernames) within LOCK_MINUTES before that
#: address is refused for a while: guessing across many accounts.
MAX_FAILURES_PER_ADDRESS = 20
_USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789._-")


class AccountError(ValueError):
    """An account could not be created or changed; the message says why (in the reader's
    language on a web page). `conflict`: the name is already taken."""

    def __init__(self, message: str, conflict: bool = False) -> None:
        super().__init__(message)
        self.conflict = conflict


class LoginRefused(Exception):
    """A login failed. `reason` is for the audit log, never for the person logging in."""

    def __init__(self, reason: str, user: User | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.user = user


@functools.cache
def _dummy_hash() -> str:
    """Checked when the username is unknown, so both cases take as long."""
    return generate_password_hash("not a real password, only for timing")


def hash_password(password: str) -> str:
    check_password_policy(password)
    return generate_password_hash(password)


def check_password_policy(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(_("a password needs at least %(n)d characters",
                             n=MIN_PASSWORD_LENGTH))
    if password.strip() != password or not password.strip():
        raise AccountError(_("a password cannot start or end with spaces"))


def normalise_username(username: str) -> str:
    name = username.strip().lower()
    if not name or len(name) > 100 or not set(name) <= _USERNAME_CHARS:
        raise AccountError(
            _("a username is 1-100 characters: letters, digits, '.', '_', '-'"))
    return name


def create_federation(name: str, country: str = "", city: str = "") -> Federation:
    name = name.strip()
    if not name:
        raise AccountError(_("a federation needs a name"))
    if db.session.execute(select(Federation.id).where(Federation.name == name)).first():
        db.session.rollback()
        raise AccountError(_("there is already a federation called %(name)r", name=name),
                           conflict=True)
    federation = Federation(name=name, country=country.strip(), city=city.strip())
    db.session.add(federation)
    db.session.commit()
    return federation


def find_federation(name_or_id: str) -> Federation | None:
    found = db.session.execute(select(Federation).where(
        (Federation.id == name_or_id) | (Federation.name == name_or_id))).scalar_one_or_none()
    return found


def create_user(username: str, password: str, role: Role | str,
                federation_id: str | None = None, display_name: str = "",
                password_hash: str | None = None) -> User:
    """A new active user. Everyone but an admin belongs to a federation.

    `password_hash` skips hashing (tests create many users with one precomputed hash).
    """
    name = normalise_username(username)
    try:
        role = Role(role)
    except ValueError:
        raise AccountError(_("unknown role %(role)r; one of %(roles)s", role=role,
                             roles=", ".join(r.value for r in Role))) from None
    if role is not Role.ADMIN and not federation_id:
        raise AccountError(_("a %(role)s must belong to a federation", role=role.value))
    if federation_id and db.session.get(Federation, federation_id) is None:
        db.session.rollback()
        raise AccountError(_("no federation %(id)r", id=federation_id))
    if db.session.execute(select(User.id).where(User.username == name)).first():
        db.session.rollback()
        raise AccountError(_("the username %(name)r is taken", name=name), conflict=True)
    user = User(username=name, display_name=display_name.strip() or name, role=role.value,
                federation_id=None if role is Role.ADMIN else federation_id,
                password_hash=password_hash or hash_password(password))
    db.session.add(user)
    db.session.commit()
    return user


def check_login(username: str, password: str) -> User:
    """The user these credentials belong to, or LoginRefused.

    After MAX_FAILED_LOGINS wrong passwords in a row the account is locked for
    LOCK_MINUTES, even for the right password; inactive accounts never log in. The
    password is checked outside any transaction (scrypt takes a while), then the
    outcome is written in a transaction that holds the write lock from its start.
    """
    session = db.session
    try:
        name = normalise_username(username)
    except AccountError:
        name = ""
    found = session.execute(select(User.id, User.password_hash).where(User.username == name)
                            ).first() if name else None
    session.rollback()
    if found is None:
        check_password_hash(_dummy_hash(), password)
        raise LoginRefused("unknown user")
    user_id, checked_hash = found
    right = check_password_hash(checked_hash, password)
    begin_write(session)
    user = session.get(User, user_id)
    if user is None:
        session.rollback()
        raise LoginRefused("unknown user")
    if user.password_hash != checked_hash:  # changed meanwhile: check the new one
        right = check_password_hash(user.password_hash, password)
    now = utcnow()
    if user.locked_until is not None and user.locked_until > now:
        session.rollback()
        raise LoginRefused("locked after repeated failures", user)
    if not right:
        user.failed_logins += 1
        reason = "wrong password"
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until = now + timedelta(minutes=LOCK_MINUTES)
            user.failed_logins = 0
            reason = f"wrong password; locked for {LOCK_MINUTES} minutes"
        session.commit()
        raise LoginRefused(reason, user)
    if not user.active:
        session.rollback()
        raise LoginRefused("account deactivated", user)
    user.failed_logins, user.locked_until, user.last_login = 0, None, now
    session.commit()
    return user


def too_many_failures_from(ip: str) -> bool:
    """True if `ip` failed to log in MAX_FAILURES_PER_ADDRESS times within LOCK_MINUTES
    (counted in the audit log, so every worker and server process agrees)."""
    if not ip:
        return False
    since = utcnow() - timedelta(minutes=LOCK_MINUTES)
    count = db.session.execute(
        select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "login.failed", AuditEvent.ip == ip[:64],
            AuditEvent.at > since)).scalar_one()
    db.session.rollback()
    return count >= MAX_FAILURES_PER_ADDRESS


def change_own_password(user_id: str, current: str, new: str) -> str:
    """Change a password knowing the current one; returns the new session stamp."""
    user = db.session.get(User, user_id)
    if user is None or not check_password_hash(user.password_hash, current):
        db.session.rollback()
        raise AccountError(_("the current password is wrong"))
    db.session.rollback()
    set_password(user_id, new)
    user = db.session.get(User, user_id)
    assert user is not None
    stamp = session_stamp(user)
    db.session.rollback()
    return stamp


def set_password(user_id: str, password: str) -> None:
    user = db.session.get(User, user_id)
    if user is None:
        db.session.rollback()
        raise AccountError(_("no user %(id)r", id=user_id))
    user.password_hash = hash_password(password)
    user.failed_logins, user.locked_until = 0, None
    db.session.commit()


def set_language(user_id: str, code: str | None) -> None:
    """Keep a person's language for the web (None: follow the browser)."""
    user = db.session.get(User, user_id)
    if user is None:
        db.session.rollback()
        raise AccountError(_("no user %(id)r", id=user_id))
    user.language = code
    db.session.commit()


@dataclass(frozen=True)
class TokenInfo:
    id: str
    user_id: str
    name: str
    created_at: datetime
    last_used: datetime | None
    revoked_at: datetime | None


def _token_info(row: ApiToken) -> TokenInfo:
    return TokenInfo(row.id, row.user_id, row.name, row.created_at, row.last_used,
                     row.revoked_at)


def create_api_token(user_id: str, name: str) -> tuple[TokenInfo, str]:
    """A new API token for `user_id`: its info and the token itself (shown once)."""
    name = name.strip()
    if not name or len(name) > 200:
        raise AccountError(
            _("give the token a name of 1-200 characters (what script uses it)"))
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user_id, name=name, token_hash=digest(raw))
    db.session.add(row)
    db.session.commit()
    return _token_info(row), raw
