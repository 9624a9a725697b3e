"""Whose credentials a request carries: the user of an API token or of a browser session.

API tokens are random and kept only as SHA-256 hashes (made by
`server.services.accounts.create_api_token`). A session holds the user's id and a stamp
that changes with their password, so a password change ends the other sessions.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import select, update

from server.extensions import begin_write, db
from server.models import ApiToken, User
from server.models.types import utcnow

#: API tokens start with this, so a leaked one is easy to recognise (and grep for).
TOKEN_PREFIX = "hsb_"
#: Refresh an API token's `last_used` at most this often, so reads rarely write.
_USED_EVERY = timedelta(minutes=5)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def session_stamp(user: User) -> str:
    """Changes when the password changes, so old sessions stop working."""
    return digest(user.password_hash)[:16]


def user_for_token(token: str) -> tuple[User, str | None] | None:
    """The active user an API token belongs to (None: unknown, revoked or inactive),
    and the token's id if its `last_used` is due for a refresh (`record_token_use`,
    in a transaction of its own: this one only reads)."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    found = db.session.execute(
        select(User, ApiToken).join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == digest(token))).first()
    if found is None:
        return None
    user, row = found
    if row.revoked_at is not None or not user.active:
        return None
    due = row.last_used is None or utcnow() - row.last_used > _USED_EVERY
    return user, row.id if due else None


def record_token_use(token_id: str) -> None:
    """Set a token's `last_used` to now (its own transaction, with the write lock)."""
    begin_write(db.session)
    db.session.execute(update(ApiToken).where(ApiToken.id == token_id)
                       .values(last_used=utcnow()))
    db.session.commit()


def user_for_session(user_id: str, stamp: str) -> User | None:
    user = db.session.get(User, user_id)
    if user is None or not user.active or session_stamp(user) != stamp:
        return None
    return user
