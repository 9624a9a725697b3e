"""Browser sessions, CSRF protection and security headers.

The session is Flask's signed cookie holding the user id and a stamp of the password
hash (a password change ends old sessions). SECRET_KEY comes from the config, else
$HESABU_SECRET_KEY, else `secret_key` in the instance folder, created on first start.

CSRF: every POST/PUT/PATCH/DELETE must carry the session's token, as the form field
`csrf_token` or the `X-CSRF-Token` header. Exempt are requests to /api/ that carry an
Authorization header (scripts and devices authenticate with bearer tokens, which a
browser never sends on its own) or come without a logged-in session.
"""

from __future__ import annotations

import hmac
import os
import secrets
from datetime import timedelta
from pathlib import Path

from flask import Flask, Response, current_app, render_template, request, session
from flask_babel import gettext as _
from werkzeug.middleware.proxy_fix import ProxyFix

from server.errors import ApiError

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})

#: Pages may load scripts, styles and images only from this server (no CDN, no inline
#: <script>: put JavaScript in server/web/static/). Extend with HESABU_CSP, e.g. for tiles.
DEFAULT_CSP = ("default-src 'self'; img-src 'self' data: blob:; "
               "style-src 'self' 'unsafe-inline'; script-src 'self'; "
               "frame-ancestors 'none'; form-action 'self'; base-uri 'self'")


def secret_key(app: Flask) -> str:
    """The configured key, else $HESABU_SECRET_KEY, else one kept in the instance folder."""
    if app.config.get("SECRET_KEY"):
        return str(app.config["SECRET_KEY"])
    env = os.environ.get("HESABU_SECRET_KEY")
    if env:
        return env
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        key = secrets.token_hex(32)
        # O_EXCL: two workers starting at once keep the first one's key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as out:
                out.write(key)
    return path.read_text().strip()


def csrf_token() -> str:
    """This session's CSRF token (made on first use)."""
    token = session.get("_csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session["_csrf"] = token
    return token


#: Blueprints whose callers prove who they are on every request, without cookies (the
#: OpenRosa API: Digest, Basic or the key in the URL), so no CSRF token applies.
CSRF_EXEMPT_BLUEPRINTS = frozenset({"openrosa", "openrosa_key"})


def _csrf_exempt() -> bool:
    if request.method not in _UNSAFE or request.blueprint in CSRF_EXEMPT_BLUEPRINTS:
        return True
    if request.path.startswith("/api/"):
        return "Authorization" in request.headers or "user_id" not in session
    return False


def _check_csrf() -> Response | tuple[str, int] | None:
    if _csrf_exempt():
        return None
    sent = request.headers.get(CSRF_HEADER) or request.form.get(CSRF_FIELD, "")
    expected = session.get("_csrf")
    if isinstance(expected, str) and sent and hmac.compare_digest(sent, expected):
        return None
    if request.path.startswith("/api/"):
        raise ApiError("auth.csrf", f"send the session's CSRF token in {CSRF_HEADER}")
    return render_template("error.html", title=_("Form expired"),
                           message=_("This form was open too long or came from another site. "
                                     "Go back, reload the page and try again.")), 400


def _is_static_asset() -> bool:
    endpoint = request.endpoint or ""
    return endpoint == "static" or endpoint.endswith(".static")


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    # Pages and API answers carry names, phone numbers, photos and tokens: no browser,
    # proxy or shared-computer cache may keep them (a photo's own max-age included).
    # Only the static assets (CSS, JS, icons) may be cached.
    if not _is_static_asset():
        response.headers["Cache-Control"] = "no-store"
    # Over HTTPS (directly, or behind HESABU_PROXIES proxies that say X-Forwarded-Proto:
    # https) browsers must never fall back to plain http for this host.
    hsts = int(current_app.config["HESABU_HSTS_SECONDS"])
    if request.is_secure and hsts > 0:
        response.headers.setdefault("Strict-Transport-Security", f"max-age={hsts}")
    if response.mimetype == "text/html":
        response.headers.setdefault("Content-Security-Policy",
                                    current_app.config["HESABU_CSP"])
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def init_web_security(app: Flask) -> None:
    app.config["SECRET_KEY"] = secret_key(app)
    app.config["SESSION_COOKIE_NAME"] = "hesabu_session"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    # Behind HTTPS (production) set HESABU_SECURE_COOKIES=1: cookies never go over http.
    secure = app.config.get("HESABU_SECURE_COOKIES",
                            os.environ.get("HESABU_SECURE_COOKIES", "") not in ("", "0"))
    app.config["SESSION_COOKIE_SECURE"] = bool(secure)
    app.config.setdefault("HESABU_SESSION_HOURS", 12)
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(
        hours=float(app.config["HESABU_SESSION_HOURS"]))
    app.config.setdefault("HESABU_CSP", DEFAULT_CSP)
    # Strict-Transport-Security on answers to HTTPS requests (0: none); one year.
    app.config.setdefault("HESABU_HSTS_SECONDS", int(os.environ.get("HESABU_HSTS_SECONDS",
                                                                    31536000)))
    # The server address put into enrolment QR codes (else the address a page came to).
    app.config.setdefault("HESABU_PUBLIC_URL", os.environ.get("HESABU_PUBLIC_URL", ""))
    # Behind N reverse proxies (HESABU_PROXIES=N) take the client's address and scheme
    # from X-Forwarded-For/-Proto: the login throttle and the audit log need it.
    proxies = int(app.config.get("HESABU_PROXIES", os.environ.get("HESABU_PROXIES", 0)) or 0)
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies,  # type: ignore[method-assign]
                                x_proto=proxies, x_host=proxies)
    app.before_request(_check_csrf)
    app.after_request(_security_headers)
    app.jinja_env.globals["csrf_token"] = csrf_token
