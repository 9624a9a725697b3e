"""Log in, log out, and the home page."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from server.auth import acting, current_user, login_required, public
from server.auth.credentials import session_stamp
from server.i18n import COOKIE, chosen_language
from server.services.accounts import (
    LOCK_MINUTES,
    AccountError,
    LoginRefused,
    change_own_password,
    check_login,
    set_language,
    too_many_failures_from,
)
from server.services.audit import audit

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only paths on this server: a login link cannot send people elsewhere."""
    if not target:
        return url_for("auth.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") \
            or "\\" in target:  # browsers read /\host as //host
        return url_for("auth.home")
    return target


def start_session(user_id: str, stamp: str) -> None:
    """Log this browser in as `user_id` (a fresh session: no fixation)."""
    session.clear()
    session["user_id"] = user_id
    session["auth"] = stamp
    session.permanent = True


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> Response | str | tuple[str, int]:
    """The login form; on success go to `next` (a path on this server) or home."""
    next_url = _safe_next(request.values.get("next"))
    if request.method == "GET":
        if current_user() is not None:
            return redirect(next_url)
        return render_template("login.html", next=next_url, username="")
    username = request.form.get("username", "")
    password = request.form.get("password", "")
    if too_many_failures_from(request.remote_addr or ""):
        audit(acting(), "login.failed", username[:100],
              reason="too many failures from this address")
        return render_template("login.html", next=next_url, username=username,
                               error=_("Too many failed logins from this address. Wait "
                                       "%(minutes)d minutes and try again.",
                                       minutes=LOCK_MINUTES)), 429
    try:
        user = check_login(username, password)
    except LoginRefused as refused:
        audit(acting(refused.user), "login.failed", username[:100], reason=refused.reason)
        return render_template("login.html", next=next_url, username=username,
                               error=_("Wrong username or password, or the account is "
                                       "locked or deactivated. After several failures, "
                                       "wait a few minutes.")), 401
    start_session(user.id, session_stamp(user))
    audit(acting(user), "login", user.username)
    return redirect(next_url)


@bp.post("/logout")
@public
def logout() -> Response:
    """End the session (a POST with the CSRF token, so no link can log you out)."""
    user = current_user()
    if user is not None:
        audit(acting(user), "logout", user.username)
    session.clear()
    return redirect(url_for("auth.login"))


@bp.get("/")
@login_required
def home() -> str:
    """Where a login lands: what this user can do here."""
    return render_template("home.html")


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> Response | str | tuple[str, int]:
    """Change your own password (your other sessions end)."""
    if request.method == "GET":
        return render_template("password.html")
    user = current_user()
    assert user is not None
    new = request.form.get("new_password", "")
    if new != request.form.get("confirm_password", ""):
        return render_template("password.html", error=_("The new passwords differ.")), 422
    try:
        stamp = change_own_password(user.id, request.form.get("current_password", ""), new)
    except AccountError as err:
        return render_template("password.html",
                               error=_("Not changed: %(reason)s.", reason=err)), 422
    start_session(user.id, stamp)
    audit(acting(user), "user.password_change", user.username)
    flash(_("Your password is changed; other sessions are logged out."), "success")
    return redirect(url_for("auth.home"))


@bp.post("/language")
@public
def choose_language() -> Response:
    """Pages in another language: kept with the person when logged in, else in a cookie."""
    code = chosen_language(request.form.get("language"))
    back = redirect(_safe_next(request.form.get("next")))
    if code is None:
        return back
    user = current_user()
    if user is not None:
        set_language(user.id, code)
    back.set_cookie(COOKIE, code, max_age=365 * 24 * 3600, httponly=True, samesite="Lax",
                    secure=request.is_secure)
    return back
