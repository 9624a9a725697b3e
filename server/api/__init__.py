"""HTTP endpoints: thin blueprints that parse, call a service and answer."""

from __future__ import annotations

from flask import Flask

from server.api.accounts import bp as accounts_bp
from server.api.attachments import bp as attachments_bp
from server.api.conflicts import bp as conflicts_api_bp
from server.api.devices import bp as devices_bp
from server.api.exports import bp as exports_bp
from server.api.forms import bp as forms_bp
from server.api.hub import bp as hub_bp
from server.api.openapi import bp as openapi_bp
from server.api.profiles import bp as profiles_bp
from server.api.review import bp as review_api_bp
from server.api.sync import bp as sync_bp


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
