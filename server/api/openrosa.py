"""The OpenRosa 1.0 server API, as ODK Collect, Kobo Collect and Enketo use it
(docs/openrosa.md): Form List, Form Download, Manifest and Form Submission.

    GET  /formList                     the forms this person may fill (XForms list)
    GET  /xforms/<form>/<version>      one form version's XForm
    GET  /xforms/<form>/<version>/manifest   its media files (none for Hesabu's forms)
    HEAD /submission                   204 with the accepted request size
    POST /submission                   multipart: xml_submission_file and attachments

Each is also served under `/key/<token>/...`, the server URL with the person's token.
Answers carry `X-OpenRosa-Version: 1.0`; errors are OpenRosa response envelopes with
the message a person reads on the phone (the code is in the registry of
server/errors.py, like every other answer of this server).
"""

from __future__ import annotations

import logging
from email.utils import formatdate
from typing import Any
from xml.sax.saxutils import escape

from flask import Blueprint, Response, current_app, g, request, url_for
from werkzeug.exceptions import HTTPException

from server.auth import acting
from server.auth.access import COLLECT as COLLECT_KIND
from server.auth.access import AccessRule, mark
from server.errors import ERRORS, ApiError
from server.services.openrosa_auth import CollectIdentity, challenges, collect_identity
from server.services.openrosa_forms import XForm, published_xforms, xform
from server.services.openrosa_submissions import Part, database_unavailable, receive_submission

bp = Blueprint("openrosa", __name__)
log = logging.getLogger(__name__)

OPENROSA_VERSION = "1.0"
#: Access rule of these endpoints: a person's Collect access (Basic, Digest or the token
#: of the URL), checked in each view.
COLLECT = AccessRule(COLLECT_KIND)
XML = "text/xml; charset=utf-8"
_RESPONSE_NS = "http://openrosa.org/http/response"
#: Room left in a request for the XML and the multipart framing around the files.
_FRAMING = 256 * 1024


def accept_bytes() -> int:
    """What `X-OpenRosa-Accept-Content-Length` announces: the request size the server
    takes, less room for the XML, so Collect splits larger submissions."""
    configured = current_app.config.get("HESABU_OPENROSA_MAX_BYTES")
    limit = int(current_app.config["MAX_CONTENT_LENGTH"])
    return int(configured) if configured else max(limit - _FRAMING, limit // 2)


def _answer(body: str | bytes, status: int = 200, content_type: str = XML) -> Response:
    response = Response(body, status=status, content_type=content_type)
    response.headers["X-OpenRosa-Version"] = OPENROSA_VERSION
    response.headers["X-OpenRosa-Accept-Content-Length"] = str(accept_bytes())
    response.headers["Date"] = formatdate(usegmt=True)
    return response


def envelope(message: str, nature: str) -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<OpenRosaResponse xmlns="{_RESPONSE_NS}">'
            f'<message nature="{nature}">{escape(message)}</message></OpenRosaResponse>')


def _identity(token: str | None) -> CollectIdentity:
    identity = g.get("collect_identity")
    if identity is None:
        identity = g.collect_identity = collect_identity(
            request.headers.get("Authorization"), token, request.method, request.path)
    return identity


def _collect(view: Any) -> Any:
    return mark(view, COLLECT)


def _url(endpoint: str, token: str | None, **values: Any) -> str:
    name = f"openrosa_key.{endpoint}" if token is not None else f"openrosa.{endpoint}"
    if token is not None:
        values["token"] = token
    return url_for(name, _external=True, **values)


def _title(form: XForm) -> str:
    for language in request.accept_languages.values():
        title = form.spec.title_in(language.split("-")[0])
        if title != form.title:
            return title
    return form.title


@bp.get("/formList")
@_collect
def form_list(token: str | None = None) -> Response:
    """The OpenRosa form list: each published form's newest version (every version with
    listAllVersions=true), its hash and download and manifest URLs."""
    _identity(token)
    all_versions = request.args.get("listAllVersions", "").lower() == "true"
    forms = published_xforms(request.args.get("formID") or None, all_versions)
    items = []
    for form in forms:
        download = _url("form_xml", token, form_id=form.form_id, version=form.version)
        manifest = _url("manifest", token, form_id=form.form_id, version=form.version)
        items.append(
            f"<xform><formID>{escape(form.form_id)}</formID><name>{escape(_title(form))}</name>"
            f"<version>{escape(form.version)}</version><hash>md5:{form.md5}</hash>"
            f"<downloadUrl>{escape(download)}</downloadUrl>"
            f"<manifestUrl>{escape(manifest)}</manifestUrl></xform>")
    return _answer('<?xml version="1.0" encoding="UTF-8"?>\n'
                   '<xforms xmlns="http://openrosa.org/xforms/xformsList">'
                   + "".join(items) + "</xforms>")


@bp.get("/xforms/<form_id>/<version>")
@_collect
def form_xml(form_id: str, version: str, token: str | None = None) -> Response:
    """One form version as an XForm (Form Download)."""
    _identity(token)
    response = _answer(xform(form_id, version).xml)
    response.headers["Content-Disposition"] = f'attachment; filename="{form_id}.xml"'
    return response


@bp.get("/xforms/<form_id>/<version>/manifest")
@_collect
def manifest(form_id: str, version: str, token: str | None = None) -> Response:
    """The form's media files: Hesabu's forms have none, so the list is empty."""
    _identity(token)
    xform(form_id, version)  # 404 for a form that is not published
    return _answer('<?xml version="1.0" encoding="UTF-8"?>\n'
                   '<manifest xmlns="http://openrosa.org/xforms/xformsManifest"/>')


@bp.route("/submission", methods=["HEAD"])
@_collect
def submission_head(token: str | None = None) -> Response:
    """Checked before a POST: who is sending and how large a request may be (204)."""
    _identity(token)
    response = _answer(b"", 204)
    response.headers["Location"] = _url("submission", token)
    return response


@bp.post("/submission")
@_collect
def submission(token: str | None = None) -> Response:
    """Form Submission: `xml_submission_file` and the files it names; 201 when kept."""
    identity = _identity(token)
    if request.mimetype not in ("multipart/form-data", "multipart/mixed"):
        raise ApiError("openrosa.xml_missing", "send the submission as multipart/form-data "
                                               "with an xml_submission_file part")
    upload = request.files.get("xml_submission_file")
    if upload is not None:
        xml = upload.read()
    elif "xml_submission_file" in request.form:
        xml = request.form["xml_submission_file"].encode("utf-8")
    else:
        raise ApiError("openrosa.xml_missing", "the request has no xml_submission_file part")
    parts = [Part(name, f.filename or "", f.mimetype or "", f.read())
             for name, f in request.files.items(multi=True) if name != "xml_submission_file"]
    receipt = receive_submission(identity, xml, parts, acting(identity))
    kind = receipt.outcome.kind
    message = {"created": "received", "edited": "edit received",
               "unchanged": "edit received (nothing changed)", "files": "files received",
               }.get(kind, "already received")
    response = _answer(envelope(f"{receipt.form_title}: {message}. Thank you!",
                                "submit_success"), 201)
    response.headers["Location"] = _url("submission", token)
    return response


def _error(code: str, message: str, status: int) -> Response:
    response = _answer(envelope(message, "error"), status)
    if code == "openrosa.auth_required":
        stale = bool(getattr(g, "collect_stale", False))
        for challenge in challenges(stale=stale):
            response.headers.add("WWW-Authenticate", challenge)
    return response


@bp.errorhandler(ApiError)
def _api_error(err: ApiError) -> Response:
    g.collect_stale = bool(err.details.get("stale"))
    return _error(err.code, err.message, err.status)


@bp.errorhandler(Exception)
def _unexpected(err: Exception) -> Response:
    if isinstance(err, HTTPException):
        return _http_error(err)
    if database_unavailable(err):
        log.warning("database unavailable for an OpenRosa request: %s", err)
        response = _error("server.unavailable", ERRORS["server.unavailable"].meaning, 503)
        response.headers["Retry-After"] = "5"
        return response
    log.exception("unhandled error in an OpenRosa request")
    return _error("server.internal", ERRORS["server.internal"].meaning, 500)


@bp.errorhandler(HTTPException)
def _http_error(err: HTTPException) -> Response:
    status = err.code or 500
    code = {413: "openrosa.too_large", 404: "request.not_found",
            405: "request.method_not_allowed"}.get(status, "request.bad")
    message = ERRORS[code].meaning if status == 413 else (err.description or ERRORS[code].meaning)
    return _error(code, message, status)


def register(app: Any) -> None:
    """The API at the server's root and under `/key/<token>` (the URL with a token)."""
    app.register_blueprint(bp)
    app.register_blueprint(bp, url_prefix="/key/<token>", name="openrosa_key")
