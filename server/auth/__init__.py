"""Who is calling and what they may do.

`current_user()` is the user of this request: by `Authorization: Bearer <api token>`
when the header is there, else by the browser session. Views declare who may call
them with the decorators below; each decorator also records its rule so the role
matrix test (tests/server/test_roles_matrix.py) can check every endpoint:

    @bp.get("/settlements")
    @roles_required(Role.ADMIN, Role.LEADER)      # a web page: login redirect, 403 page
    def settlements(): ...

    @bp.get("/api/settlements")
    @api_roles_required()                          # JSON: 401/403 in the error shape
    def api_settlements(): ...

Federation scoping is then the view's (or service's) job: `visible_federation_ids`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import redirect, render_template, request, session, url_for

from server.auth.access import API, WEB, AccessRule, mark, public
from server.auth.credentials import record_token_use, user_for_session, user_for_token
from server.auth.roles import (
    ALL_ROLES,
    Role,
    can_manage_federation,
    can_see_household_data,
    role_of,
    visible_federation_ids,
)
from server.errors import ApiError
from server.extensions import db
from server.models import User
from server.services.audit import Actor

F = TypeVar("F", bound=Callable[..., Any])

__all__ = [
    "ALL_ROLES",
    "Actor",
    "Role",
    "acting",
    "api_roles_required",
    "can_manage_federation",
    "can_see_household_data",
    "current_user",
    "login_required",
    "public",
    "role_of",
    "roles_required",
    "visible_federation_ids",
]

_UNSET = object()


def bearer_token() -> str | None:
    """The token of an `Authorization: Bearer` header, "" if the header is malformed,
    None if there is no Authorization header."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _load_user() -> tuple[User | None, str | None]:
    """The caller, and the id of its API token if that token's last use is due to be
    recorded."""
    token = bearer_token()
    if token is not None:
        found = user_for_token(token) if token else None
        return found if found is not None else (None, None)
    user_id, stamp = session.get("user_id"), session.get("auth")
    if not isinstance(user_id, str) or not isinstance(stamp, str):
        return None, None
    return user_for_session(user_id, stamp), None


def current_user() -> User | None:
    """The logged-in user of this request, or None. The object is detached from the
    database session (read its columns freely; change users through services)."""
    # Cached on the request (not on g: an app context can outlive its request).
    cached = getattr(request, "_hesabu_user", _UNSET)
    if cached is not _UNSET:
        return cached  # type: ignore[return-value]
    outer = db.session().in_transaction()
    user, token_used = _load_user()
    if user is not None:
        db.session.expunge(user)
    if not outer:
        # End the read so services can open their own write transaction.
        db.session.commit()
        if token_used is not None:
            record_token_use(token_used)
    request._hesabu_user = user  # type: ignore[attr-defined]
    return user


def acting(user: Any = _UNSET) -> Actor:
    """Who acts in this request, for the audit log and the services' rules: the current
    user (or `user`: the one logging in, None for nobody) and the client's address."""
    return Actor.of(current_user() if user is _UNSET else user, request.remote_addr)


def assume_anonymous() -> None:
    """Render the rest of this request as for a visitor (when the database cannot say
    who is calling: its error page must not ask it again)."""
    request._hesabu_user = None  # type: ignore[attr-defined]


def forget_current_user() -> None:
    """Drop the cached user (after a login or logout in this request)."""
    request.__dict__.pop("_hesabu_user", None)


def _guard(kind: str, roles: tuple[Role, ...], anonymous: Callable[[], Any],
           forbidden: Callable[[User], Any]) -> Callable[[F], F]:
    """A decorator that lets through users of `roles` (any logged-in user if empty) and
    records the rule on the view for the role matrix test."""
    allowed = frozenset(Role(r) for r in roles)

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                return anonymous()
            if allowed and role_of(user) not in allowed:
                return forbidden(user)
            return view(*args, **kwargs)

        return mark(wrapper, AccessRule(kind, allowed))  # type: ignore[return-value]

    return decorate


def roles_required(*roles: Role) -> Callable[[F], F]:
    """For web pages: anonymous users go to the login page, users of other roles get a
    403 page. No roles: any logged-in user."""
    return _guard(WEB, roles,
                  lambda: redirect(url_for("auth.login", next=request.full_path.rstrip("?"))),
                  lambda _user: (render_template("403.html"), 403))


def login_required(view: F) -> F:
    """For web pages: any logged-in user."""
    return roles_required()(view)


def api_roles_required(*roles: Role) -> Callable[[F], F]:
    """For JSON endpoints: 401 auth.login_required without a valid session or API token,
    403 auth.forbidden for other roles. No roles: any logged-in user."""

    def anonymous() -> Any:
        raise ApiError("auth.login_required",
                       "log in, or send Authorization: Bearer <API token>",
                       headers={"WWW-Authenticate": 'Bearer realm="hesabu"'})

    def forbidden(user: User) -> Any:
        raise ApiError("auth.forbidden",
                       f"a {user.role} may not do this; it needs one of: "
                       f"{', '.join(sorted(Role(r).value for r in roles))}")

    return _guard(API, roles, anonymous, forbidden)
