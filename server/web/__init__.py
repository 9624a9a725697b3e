"""The server-rendered web UI: thin blueprints over the services, one base template.

Add a page area by appending its blueprint to WEB_BLUEPRINTS and, for the menu, a
NavItem to NAV_ITEMS. Templates extend "base.html" (blocks: title, content, head,
scripts). Every POST form carries
`<input type="hidden" name="csrf_token" value="{{ csrf_token() }}">`.
Protect every view with server.auth's `roles_required(...)` / `login_required`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from server.auth import Role, assume_anonymous, current_user, role_of
from server.auth.access import public
from server.auth.web_security import init_web_security
from server.services.maps import init_maps, tile_settings
from server.web.accounts import bp as accounts_bp
from server.web.auth import bp as auth_bp
from server.web.conflicts import bp as conflicts_bp
from server.web.dashboard import bp as dashboard_bp
from server.web.downloads import bp as downloads_bp
from server.web.forms import bp as forms_bp
from server.web.hub import bp as hub_bp
from server.web.maps import bp as maps_bp
from server.web.profiles import bp as profiles_bp
from server.web.records import bp as records_bp
from server.web.settlements import bp as settlements_bp


@dataclass(frozen=True)
class NavItem:
    """A menu link, shown to `roles` (empty: every logged-in user) when the endpoint
    exists (so an item can be listed before its page is written). `more` items sit in
    the menu's "More" list, so the menu stays one line on a laptop (1280 px)."""

    endpoint: str
    label: str  # a lazy_gettext text: shown in the reader's language
    roles: frozenset[Role] = field(default_factory=frozenset)
    more: bool = False


_STAFF = frozenset({Role.ADMIN, Role.LEADER})
#: Who may open profiles and downloads (services/indicators/viewer.PROFILE_ROLES).
_PROFILES = frozenset({Role.ADMIN, Role.LEADER, Role.OFFICIAL})

#: The menu, in order. Home is the "Hesabu" name at the bar's left (base.html).
NAV_ITEMS: list[NavItem] = [
    NavItem("dashboard.index", _l("Dashboard"), _STAFF),
    NavItem("settlements.index", _l("Settlements"), _PROFILES),
    NavItem("profiles.city", _l("City profile"), _PROFILES),
    NavItem("records.index", _l("Records"), _STAFF | {Role.ENUMERATOR}),
    NavItem("conflicts.index", _l("Conflicts"), _STAFF),
    NavItem("forms_web.index", _l("Forms"), _STAFF),
    NavItem("downloads.index", _l("Downloads"), _PROFILES),
    NavItem("accounts_web.users", _l("Users"), _STAFF, more=True),
    NavItem("accounts_web.devices", _l("Devices"), _STAFF, more=True),
    NavItem("accounts_web.assignments", _l("Assignments"), _STAFF, more=True),
    NavItem("accounts_web.audit_log", _l("Audit log"), _STAFF, more=True),
    NavItem("hub_web.status", _l("Hub"), _STAFF, more=True),
    NavItem("accounts_web.tokens", _l("API tokens"), more=True),
    NavItem("openapi.docs_page", _l("API documentation"), more=True),
]

#: Templates (server/web/templates, shared by every page) and static files at /assets/.
assets = Blueprint("web", __name__, template_folder="templates", static_folder="static",
                   static_url_path="/assets")

#: Every web blueprint; register_web registers them in this order.
WEB_BLUEPRINTS: list[Blueprint] = [
    assets, auth_bp, accounts_bp, dashboard_bp, records_bp, conflicts_bp, forms_bp,
    settlements_bp, profiles_bp, downloads_bp, maps_bp, hub_bp,
]


def _nav() -> list[tuple[str, str, bool, bool]]:
    """(url, label, is current page, in "More") of the menu items the current user may
    use."""
    user = current_user()
    if user is None:
        return []

    role = role_of(user)
    items = []
    for item in NAV_ITEMS:
        if item.endpoint not in current_app.view_functions:
            continue
        if item.roles and role not in item.roles:
            continue
        url = url_for(item.endpoint)
        items.append((url, str(item.label), request.path == url, item.more))
    return items


def error_description(err: HTTPException) -> str:
    """What an error page says, in the reader's language (Werkzeug's English text for a
    code without one of ours)."""
    texts = {400: _("The request was not understood. Go back and try again."),
             403: _("You may not open this page."),
             404: _("There is no such page, or you may not see it."),
             405: _("This page cannot be used this way."),
             413: _("The file is too large."),
             429: _("Too many requests. Wait a moment, then try again.")}
    return str(texts.get(err.code or 0, err.description or ""))


def _language_back() -> str:
    """Where the language picker returns to: this page, or for a page answering a POST
    (a refused form), the page the form was sent from (the same server only)."""
    if request.method == "GET":
        return request.full_path.rstrip("?")
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc == request.host and referrer.path.startswith("/"):
        return referrer.path + (f"?{referrer.query}" if referrer.query else "")
    return url_for("auth.home")


def _is_web_request() -> bool:
    return not request.path.startswith("/api/") and \
        request.accept_mimetypes.accept_html


def register_web(app: Flask) -> None:
    """Sessions, CSRF, the templates' globals and every blueprint of WEB_BLUEPRINTS."""
    init_web_security(app)
    init_maps(app)
    for blueprint in WEB_BLUEPRINTS:
        app.register_blueprint(blueprint)
    # Browsers ask for /favicon.ico by themselves (and pages name it): no 404 for it.
    app.add_url_rule("/favicon.ico", "favicon",
                     public(lambda: assets.send_static_file("favicon.ico")))
    app.jinja_env.globals.update(current_user=current_user, nav_items=_nav,
                                 map_tiles=lambda: tile_settings(app.config),
                                 language_back=_language_back)

    # Browsers get error pages, API clients the JSON error shape (server/errors.py).
    json_handler = app.error_handler_spec[None][None].get(HTTPException)

    @app.errorhandler(HTTPException)
    def _web_error(err: HTTPException):  # type: ignore[no-untyped-def]
        if _is_web_request() and (err.code or 500) < 500:
            titles = {400: _("Request not understood"), 403: _("Not allowed"),
                      404: _("Page not found"), 405: _("Not possible here"),
                      413: _("Too large"), 429: _("Too many requests")}
            return render_template("error.html", title=titles.get(err.code or 0, err.name),
                                   message=error_description(err)), err.code
        return json_handler(err) if json_handler else err

    json_unavailable = app.error_handler_spec[None][None].get(OperationalError)

    @app.errorhandler(OperationalError)
    def _web_unavailable(err: OperationalError):  # type: ignore[no-untyped-def]
        """A database that is locked past the wait or unreachable: a page for people
        (the JSON error shape for API clients)."""
        if json_unavailable is None or _is_web_request():
            logging.getLogger(__name__).warning("database unavailable: %s", err.orig)
            assume_anonymous()  # the page must not ask the database who is logged in
            page = render_template(
                "error.html", title=_("The server is busy"),
                message=_("The database is busy or cannot be reached just now, so nothing "
                          "was changed. Wait a moment, then try again."))
            return page, 503, {"Retry-After": "5"}
        return json_unavailable(err)
