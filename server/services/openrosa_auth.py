"""Who an OpenRosa client (ODK Collect, Kobo Collect, Enketo) is: a person's Collect
access, checked three ways (docs/openrosa.md):

- a token in the server URL, `https://host/key/<token>` (as ODK Central's app users):
  nothing to type on the phone but the URL, or a QR code of it;
- HTTP Basic with the person's username and Collect password (over HTTPS);
- HTTP Digest (RFC 7616, MD5, qop=auth) with the same, which Collect also speaks.

A Collect access is an enrolled device bound to the person (`device_accounts`), so the
records it sends go through the same rules as a tablet's: the person's federation,
settlements founded by their profiles assigned to them, revocation with
`hesabu server revoke DEVICE_ID`. Officials and deactivated people are refused.
The password and token are random (about 98 and 256 bits) and shown once: only a
SHA-256 (Basic, the token) and the Digest HA1 are kept.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from server.auth.roles import Role, can_manage_federation, role_of
from server.errors import ApiError
from server.extensions import begin_write, db
from server.models import CollectLogin, Device, DeviceAccount, User
from server.models.types import utcnow
from server.services.audit import NOBODY, Actor, audit
from server.services.devices import mark_seen

#: The realm of the Basic and Digest challenges (Collect shows it when it asks).
REALM = "Hesabu"
#: How long a Digest nonce is good for; after that the client is told `stale=true` and
#: answers again without asking the person.
NONCE_TTL_S = 30 * 60
#: Roles that may fill forms with an OpenRosa client.
COLLECTOR_ROLES = (Role.ADMIN.value, Role.LEADER.value, Role.ENUMERATOR.value)
_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"
_SEEN_EVERY = timedelta(minutes=1)
_PARAM = re.compile(r'(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')


@dataclass(frozen=True)
class CollectIdentity:
    """The person behind an OpenRosa request and the device their records are written as
    (`id`, `username`, `federation_id` as `audit` reads a user)."""

    device_id: str
    id: str
    username: str
    role: str
    federation_id: str | None


@dataclass(frozen=True)
class CollectAccess:
    """What a person types into Collect (shown once)."""

    username: str
    password: str
    token: str
    device_id: str
    server_url: str  # the plain server URL (username and password)
    token_url: str   # the server URL with the token (nothing else to type)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def _password() -> str:
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(20))
    return "-".join(raw[i:i + 5] for i in range(0, 20, 5))


def issue_access(actor: Actor | None, username: str, server_url: str) -> CollectAccess:
    """A new Collect password and token for `username` (the old ones stop working).

    `actor` is the admin or leader asking (None: the command line, which may do it for
    anyone). Their Collect device keeps its id, so its records stay theirs."""
    session = db.session
    user = session.execute(select(User).where(User.username == username.strip().lower())
                           ).scalar_one_or_none()
    if user is None or not _may_manage(actor, user):
        session.rollback()
        raise ApiError("request.not_found", f"no user {username!r}")
    if not user.active:
        session.rollback()
        raise ApiError("account.invalid", f"{user.username} is deactivated")
    if user.role not in COLLECTOR_ROLES:
        session.rollback()
        raise ApiError("account.invalid",
                       f"a {user.role} does not collect data, so gets no Collect access")
    user_id, name, federation = user.id, user.username, user.federation_id
    display = user.display_name or name
    session.rollback()
    password, token = _password(), secrets.token_urlsafe(32)
    begin_write(session)
    login = session.get(CollectLogin, user_id)
    if login is None:
        device_id = f"collect-{secrets.token_hex(6)}"
        session.add(Device(id=device_id, name=f"Collect: {display} ({name})"[:200],
                           token_hash=_sha256(token)))
        session.flush()  # the device row first: the rows below refer to it
        session.add(DeviceAccount(device_id=device_id, user_id=user_id,
                                  federation_id=federation))
        session.flush()
        login = CollectLogin(user_id=user_id, device_id=device_id,
                             created_by=getattr(actor, "id", None))
        session.add(login)
        action = "collect.access"
    else:
        device_id = login.device_id
        device = session.get(Device, device_id)
        assert device is not None
        device.token_hash, device.revoked = _sha256(token), False
        action = "collect.access_reset"
    login.password_sha256 = _sha256(password)
    login.digest_ha1 = _md5(f"{name}:{REALM}:{password}")
    login.created_at = utcnow()
    audit(actor or NOBODY, action, name, commit=False, in_federation=federation,
          device_id=device_id)
    session.commit()
    base = server_url.rstrip("/")
    return CollectAccess(name, password, token, device_id, base, f"{base}/key/{token}")


def _may_manage(actor: Actor | None, user: User) -> bool:
    """`actor` (None: the command line) may give `user` Collect access."""
    return (actor is None or role_of(actor) is Role.ADMIN
            or can_manage_federation(actor, user.federation_id))


def issue_access_for(actor: Actor, user_id: str, server_url: str) -> CollectAccess:
    """`issue_access` for a user given by id (the JSON API). A user of another
    federation is not found by id, and the answer does not name them."""
    user = db.session.get(User, user_id)
    username = user.username if user is not None and _may_manage(actor, user) else None
    db.session.rollback()
    if username is None:
        raise ApiError("request.not_found", f"no user {user_id!r}")
    return issue_access(actor, username, server_url)


# -- checking a request ------------------------------------------------------------------

def _challenge_error(message: str, stale: bool = False) -> ApiError:
    return ApiError("openrosa.auth_required", message, details={"stale": stale})


def _nonce_mac(stamp: str) -> str:
    key = str(current_app.config.get("SECRET_KEY") or "").encode("utf-8")
    return hmac.new(key, f"openrosa-nonce:{stamp}".encode(), hashlib.sha256).hexdigest()[:32]


def new_nonce() -> str:
    """A Digest nonce: the time it was made and a MAC of it (nothing kept server-side)."""
    stamp = f"{int(time.time())}.{secrets.token_hex(4)}"
    return f"{stamp}.{_nonce_mac(stamp)}"


def _nonce_state(nonce: str) -> str:
    """"fresh", "stale" or "bad"."""
    stamp, _, mac = nonce.rpartition(".")
    if not stamp or not hmac.compare_digest(mac, _nonce_mac(stamp)):
        return "bad"
    try:
        made = int(stamp.split(".")[0])
    except ValueError:
        return "bad"
    return "fresh" if 0 <= time.time() - made <= NONCE_TTL_S else "stale"


def challenges(stale: bool = False) -> list[str]:
    """The WWW-Authenticate values of a 401: Digest first (safe without HTTPS), Basic."""
    digest = (f'Digest realm="{REALM}", qop="auth", algorithm=MD5, '
              f'nonce="{new_nonce()}", opaque="{secrets.token_hex(8)}"')
    if stale:
        digest += ", stale=true"
    return [digest, f'Basic realm="{REALM}", charset="UTF-8"']


def _login_by_username(username: str) -> tuple[CollectLogin, User] | None:
    found = db.session.execute(
        select(CollectLogin, User).join(User, User.id == CollectLogin.user_id)
        .where(User.username == username.strip().lower())).first()
    return None if found is None else (found[0], found[1])


def _basic(credentials: str) -> tuple[CollectLogin, User]:
    import base64
    import binascii

    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise _challenge_error("the Basic credentials are not base64 of username:password") \
            from None
    username, _, password = decoded.partition(":")
    found = _login_by_username(username)
    if found is None or not hmac.compare_digest(found[0].password_sha256, _sha256(password)):
        raise _challenge_error("wrong username or Collect password")
    return found


def _digest(header: str, method: str, path: str) -> tuple[CollectLogin, User]:
    params = {m[1].lower(): m[2] if m[2] is not None else m[3] for m in _PARAM.finditer(header)}
    needed = ("username", "realm", "nonce", "uri", "response")
    if any(not params.get(k) for k in needed) or params["realm"] != REALM:
        raise _challenge_error("incomplete Digest credentials")
    uri = params["uri"]
    if uri.split("?", 1)[0] != path and not path.endswith(uri.split("?", 1)[0]):
        raise _challenge_error("the Digest uri is not this request's")
    state = _nonce_state(params["nonce"])
    if state != "fresh":
        raise _challenge_error("the Digest nonce has expired" if state == "stale"
                               else "the Digest nonce was not made here", stale=state == "stale")
    found = _login_by_username(params["username"])
    if found is None:
        raise _challenge_error("wrong username or Collect password")
    ha2 = _md5(f"{method}:{uri}")
    qop = params.get("qop")
    if qop == "auth":
        expected = _md5(f"{found[0].digest_ha1}:{params['nonce']}:{params.get('nc', '')}:"
                        f"{params.get('cnonce', '')}:auth:{ha2}")
    elif qop is None:
        expected = _md5(f"{found[0].digest_ha1}:{params['nonce']}:{ha2}")
    else:
        raise _challenge_error(f"Digest qop {qop!r} is not offered; use auth")
    if not hmac.compare_digest(expected, params["response"].lower()):
        raise _challenge_error("wrong username or Collect password")
    return found


def _by_token(token: str) -> tuple[CollectLogin, User]:
    found = db.session.execute(
        select(CollectLogin, User).join(User, User.id == CollectLogin.user_id)
        .join(Device, Device.id == CollectLogin.device_id)
        .where(Device.token_hash == _sha256(token))).first()
    if found is None:
        raise ApiError("openrosa.forbidden",
                       "this server address's key is not valid (reset, or never issued); "
                       "ask a federation leader for the new address")
    return found[0], found[1]


def collect_identity(authorization: str | None, token: str | None, method: str,
                     path: str) -> CollectIdentity:
    """The person an OpenRosa request comes from, or ApiError: openrosa.auth_required
    (a 401 with the challenges) or openrosa.forbidden."""
    session = db.session
    try:
        if token is not None:
            login, user = _by_token(token)
        else:
            scheme, _, rest = (authorization or "").partition(" ")
            if scheme.lower() == "basic":
                login, user = _basic(rest)
            elif scheme.lower() == "digest":
                login, user = _digest(rest, method, path)
            else:
                raise _challenge_error("log in with your username and Collect password")
        device = session.get(Device, login.device_id)
        identity = CollectIdentity(login.device_id, user.id, user.username, user.role,
                                   user.federation_id)
        active, revoked = user.active, device is None or device.revoked
        last_seen = device.last_seen if device is not None else None
    finally:
        session.rollback()
    if revoked:
        raise ApiError("openrosa.forbidden",
                       f"{identity.username}'s Collect access was revoked by a leader")
    if not active or identity.role not in COLLECTOR_ROLES:
        raise ApiError("openrosa.forbidden",
                       f"{identity.username} may not send data (account deactivated, or "
                       f"a {identity.role})")
    if last_seen is None or utcnow() - last_seen > _SEEN_EVERY:
        mark_seen(identity.device_id)
    return identity
