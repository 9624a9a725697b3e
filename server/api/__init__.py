"""HTTP endpoints: thin blueprints that parse, call a service and answer."""

from __future__ import annotations

import time

from flask import Flask, Response, current_app, g, request

from server.api.accounts import bp as accounts_bp
from server.api.attachments import bp as attachments_bp
from server.api.collect_access import bp as collect_access_bp
from server.api.conflicts import bp as conflicts_api_bp
from server.api.devices import bp as devices_bp
from server.api.exports import bp as exports_bp
from server.api.forms import bp as forms_bp
from server.api.hub import bp as hub_bp
from server.api.openapi import bp as openapi_bp
from server.api.openrosa import register as register_openrosa
from server.api.profiles import bp as profiles_bp
from server.api.review import bp as review_api_bp
from server.api.sync import bp as sync_bp
from server.api.wire import refuse_unstorable_text
from sync.messages import PROTOCOL_HEADER, PROTOCOL_VERSION
from sync.pins import NEXT_PIN_HEADER


def _start_clock() -> None:
    g.api_started = time.perf_counter()


def _name_protocol(response: Response) -> Response:
    """Every /api answer (errors too) names the sync protocol version this server
    speaks, so a device knows, from its enrolment on, what it may send; and, where it
    can tell, how long the server worked once it had the whole request
    (`Server-Timing: app;dur=<ms>`), so a device can tell its link's speed from ours."""
    if not request.path.startswith("/api/"):
        return response
    response.headers[PROTOCOL_HEADER] = str(PROTOCOL_VERSION)
    # From the end of the body (json_body marks it) or, without a body, the start: a
    # server that reads the body from the socket (gunicorn) would count the upload.
    since = g.get("body_received_at")
    if since is None and not request.content_length and "api_started" in g:
        since = g.api_started
    if since is not None:
        response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - since) * 1000:.1f}"
    _announce_next_pin(response)
    return response


def _announce_next_pin(response: Response) -> None:
    """To a device that proved its token over a TLS connection to this server: the pin
    of the certificate that will replace this one (`hesabu server tls-next`). The
    connection was pinned to the current key, so the announcement is as trustworthy as
    the pin the device already holds (docs/deploy.md, "Renewing the certificate")."""
    pin = current_app.config.get("HESABU_TLS_NEXT_PIN")
    if pin and request.is_secure and g.get("device") is not None:
        response.headers[NEXT_PIN_HEADER] = pin


def register_blueprints(app: Flask) -> None:
    app.register_blueprint(devices_bp)
    app.register_blueprint(sync_bp)
    app.register_blueprint(attachments_bp)
    app.register_blueprint(forms_bp)
    app.register_blueprint(openapi_bp)
    app.register_blueprint(hub_bp)
    app.register_blueprint(profiles_bp)
    app.register_blueprint(exports_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(review_api_bp)
    app.register_blueprint(conflicts_api_bp)
    app.register_blueprint(collect_access_bp)
    register_openrosa(app)  # /formList, /submission... (and under /key/<token>)
    app.before_request(_start_clock)
    app.before_request(refuse_unstorable_text)
    app.after_request(_name_protocol)
