"""One JSON error shape for every API error, and the registry of stable codes.

    {"error": {"code": "sync.batch_too_large", "message": "...", "details": {...}}}

Clients branch on `code`; people look it up in docs/errors.md (a test keeps the two in
step). The sync codes come from `sync.codes`, the protocol's own registry, so a device
and the server agree on them; the others are the server's.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, current_app, jsonify, request
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from sync.bundle import CODES as BUNDLE_CODES
from sync.codes import CODES as SYNC_CODES

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ErrorCode:
    code: str
    status: int
    meaning: str


_SERVER_CODES = (
    ErrorCode("request.not_found", 404, "There is no such endpoint or object."),
    ErrorCode("request.method_not_allowed", 405, "The endpoint does not accept this method."),
    ErrorCode("request.too_large", 413, "The request body is larger than the server accepts."),
    ErrorCode("request.invalid", 422,
              "The request is well-formed JSON but its fields are wrong; "
              "details.fields says which."),
    ErrorCode("request.bad", 400, "The request cannot be understood (bad header, bad encoding)."),
    ErrorCode("request.unsupported_media_type", 415,
              "The body must be JSON (Content-Type: application/json), "
              "optionally with Content-Encoding: gzip."),
    ErrorCode("server.internal", 500, "Something went wrong on the server; it was logged."),
    ErrorCode("server.unavailable", 503, "The database is busy or unreachable; retry later."),
    ErrorCode("account.invalid", 422,
              "The account change is not possible as asked; the message says why "
              "(short password, unknown role or federation, wrong kind of user)."),
    ErrorCode("account.conflict", 409,
              "The username or federation name is taken."),
    ErrorCode("auth.login_required", 401,
              "Log in (web session) or send Authorization: Bearer <API token>; "
              "the token may be wrong or revoked, or the account deactivated."),
    ErrorCode("auth.forbidden", 403,
              "Your role may not do this, or the object belongs to another federation."),
    ErrorCode("auth.csrf", 403,
              "A browser request without the session's CSRF token (X-CSRF-Token header)."),
    ErrorCode("auth.device_mismatch", 403,
              "The body's device_id is not the device the token belongs to."),
    ErrorCode("auth.device_taken", 403,
              "This device id is already enrolled: only its own federation (or an admin) "
              "may enrol it again, and only with the device's own key (signature) or its "
              "current token."),
    ErrorCode("auth.enrolment_rate_limited", 429,
              "Too many wrong enrolment codes from this address; wait Retry-After seconds."),
    ErrorCode("export.format_unsupported", 400,
              "This download is not offered in that format; details.formats lists those it is."),
    ErrorCode("export.form_not_scoped", 403,
              "Records of this form are not tied to a settlement, so only an admin can export "
              "them (and not per settlement)."),
    ErrorCode("form.version_exists", 409,
              "This form version is already published with different content; "
              "published versions are immutable."),
    ErrorCode("attachment.hash_invalid", 400,
              "The attachment id must be a SHA-256 in 64 lowercase hex digits."),
    ErrorCode("attachment.chunk_checksum", 400,
              "The chunk does not match its Chunk-SHA256 header; nothing was written."),
    ErrorCode("attachment.length_mismatch", 409,
              "Upload-Length differs from the length given when the upload started."),
    ErrorCode("attachment.incomplete", 404, "The attachment has not been fully uploaded yet."),
    ErrorCode("conflict.already_resolved", 409,
              "The conflict was already resolved (by someone else or a newer edit)."),
    ErrorCode("record.answer_invalid", 422,
              "The form does not allow this correction: details.problems names each "
              "question, the rule (type, choice, length, relevance, required, constraint) "
              "and the form's message."),
    ErrorCode("record.form_unknown", 409,
              "The record's form version is not published on this server, so a "
              "correction cannot be checked; publish that version first."),
)

#: The OpenRosa API (docs/openrosa.md): answered as OpenRosa XML envelopes, not JSON.
_OPENROSA_CODES = (
    ErrorCode("openrosa.auth_required", 401,
              "Log in with your username and Collect password (Basic or Digest), or use "
              "the server address with your key (/key/<token>)."),
    ErrorCode("openrosa.forbidden", 403,
              "This Collect access may not do this: revoked, deactivated, an official, a "
              "key that is no longer valid, or a record of another federation."),
    ErrorCode("openrosa.form_unknown", 404,
              "The submission's form id or version is not published here."),
    ErrorCode("openrosa.xml_missing", 400,
              "A submission is multipart/form-data with an xml_submission_file part."),
    ErrorCode("openrosa.xml_invalid", 400,
              "The submission is not well-formed XML (or declares a DOCTYPE or entities)."),
    ErrorCode("openrosa.root_mismatch", 400,
              "The submission's root element is not its form's (filled in another form?)."),
    ErrorCode("openrosa.field_unknown", 400,
              "The submission holds an element its form version does not have; the message "
              "gives its path."),
    ErrorCode("openrosa.value_invalid", 400,
              "A value does not fit its question (a number, a choice, a point...); the "
              "message gives its path."),
    ErrorCode("openrosa.instance_id_missing", 400,
              "The submission has no usable meta/instanceID."),
    ErrorCode("openrosa.instance_conflict", 409,
              "A different submission with this instanceID was received before; an edit "
              "needs a new instanceID and meta/deprecatedID."),
    ErrorCode("openrosa.edit_unknown", 409,
              "The edit's meta/deprecatedID names a submission not received here; send the "
              "original first."),
    ErrorCode("openrosa.refused", 422,
              "The record cannot take this submission (e.g. an edit that changes its form)."),
    ErrorCode("openrosa.too_large", 413,
              "The request or a file is larger than the server takes; send the files in "
              "several requests (X-OpenRosa-Accept-Content-Length)."),
)

#: Every code the server can answer with, its HTTP status and meaning.
ERRORS: dict[str, ErrorCode] = {
    **{c.code: ErrorCode(c.code, c.http_status, c.meaning) for c in SYNC_CODES.values()},
    **{c.code: c for c in _SERVER_CODES},
    **{c.code: c for c in _OPENROSA_CODES},
    # USB bundles and the office hub (docs/bundles-and-hub.md).
    **{code: ErrorCode(code, status, meaning) for code, (status, meaning) in BUNDLE_CODES.items()},
    "hub.not_linked": ErrorCode("hub.not_linked", 409,
                                "This hub is not linked to an upstream server yet "
                                "(run `hesabu hub link`)."),
}


class ApiError(Exception):
    """Raise from a service or view to answer with the error shape."""

    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        if code not in ERRORS:
            raise KeyError(f"unregistered error code {code!r}: add it to server/errors.py")
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}
        self.headers = headers or {}

    @property
    def status(self) -> int:
        return ERRORS[self.code].status


def error_document(code: str, message: str, details: dict[str, Any] | None = None
                   ) -> dict[str, Any]:
    """The one error shape, as a JSON-ready dict."""
    return {"error": {"code": code, "message": message, "details": details or {}}}


def error_response(code: str, message: str, details: dict[str, Any] | None = None,
                   headers: dict[str, str] | None = None) -> Response:
    response = jsonify(error_document(code, message, details))
    response.status_code = ERRORS[code].status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


_HTTP_CODES = {
    400: "request.bad",
    404: "request.not_found",
    405: "request.method_not_allowed",
    413: "request.too_large",
    415: "request.unsupported_media_type",
}


def too_large_code(path: str | None = None) -> str:
    """A push over the byte limit is a batch to split (the protocol's code); elsewhere
    the body is simply too large. `path`: the request's, by default."""
    return "sync.batch_too_large" if (path or request.path).startswith("/api/sync/") else \
        "request.too_large"


def too_large_details(max_bytes: int) -> tuple[str, dict[str, Any]]:
    """The message and details of a 413 for a body over `max_bytes`."""
    return f"the body is larger than {max_bytes} bytes", {"max_bytes": max_bytes}


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(err: ApiError) -> Response:
        return error_response(err.code, err.message, err.details, err.headers)

    @app.errorhandler(HTTPException)
    def _http_error(err: HTTPException) -> Response:
        code = too_large_code() if err.code == 413 else _HTTP_CODES.get(err.code or 500)
        if code is None:
            code = "server.internal" if (err.code or 500) >= 500 else "request.bad"
        headers = {}
        if err.code == 405 and err.valid_methods:  # type: ignore[attr-defined]
            headers["Allow"] = ", ".join(err.valid_methods)  # type: ignore[attr-defined]
        message, details = err.description or ERRORS[code].meaning, {}
        if err.code == 413:  # the limit a client must split its body under
            message, details = too_large_details(int(current_app.config["MAX_CONTENT_LENGTH"]))
        response = error_response(code, message, details, headers)
        response.status_code = err.code or 500
        return response

    @app.errorhandler(OperationalError)
    def _database_down(err: OperationalError) -> Response:
        log.warning("database unavailable: %s", err.orig)
        return error_response("server.unavailable", ERRORS["server.unavailable"].meaning,
                              headers={"Retry-After": "5"})

    @app.errorhandler(Exception)
    def _unexpected(err: Exception) -> Response:
        log.exception("unhandled error")
        return error_response("server.internal", ERRORS["server.internal"].meaning)
