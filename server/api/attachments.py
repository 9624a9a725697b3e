"""`/api/attachments/<sha256>`: resumable uploads (HEAD, PATCH) and downloads (GET)."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, current_app, request, send_file

from server.api.wire import current_device, require_device
from server.errors import ApiError
from server.schemas.values import INT64_MAX, whole_number
from server.services.attachments import complete_file, upload_state, write_chunk

bp = Blueprint("attachments", __name__, url_prefix="/api/attachments")


def _int_header(name: str, required: bool) -> int | None:
    raw = request.headers.get(name)
    if raw is None:
        if required:
            raise ApiError("request.bad", f"the {name} header is required")
        return None
    number = whole_number(raw)
    if number is None:
        raise ApiError("request.bad", f"the {name} header must be a whole number of bytes "
                                      f"(0 to {INT64_MAX})")
    return number


def _root() -> Path:
    return Path(current_app.instance_path)


@bp.route("/<sha256>", methods=["GET", "HEAD"])
@require_device
def download(sha256: str) -> Response:
    """HEAD: `Upload-Offset` (bytes received so far) and `Upload-Length` if known.
    GET: the file, once complete. Only for a device that uploaded the file or may pull
    a record naming it; to any other the file does not exist (HEAD offset 0, GET 404)."""
    if request.method == "HEAD":
        state = upload_state(sha256, current_device().id)
        response = Response(status=200)
        response.headers["Upload-Offset"] = str(state.received)
        if state.size is not None:
            response.headers["Upload-Length"] = str(state.size)
        response.headers["Upload-Complete"] = "1" if state.complete else "0"
        response.headers["Cache-Control"] = "no-store"
        return response
    path = complete_file(_root(), sha256, current_device().id)
    if path is None:  # missing, or another federation's: the same answer
        raise ApiError("request.not_found", f"no attachment {sha256}")
    # Personal data: never cached (the headers hook says no-store on every answer).
    return send_file(path, mimetype="application/octet-stream", conditional=True,
                     etag=sha256)


@bp.patch("/<sha256>")
@require_device
def upload(sha256: str) -> Response:
    """Append a chunk: headers `Upload-Offset` (must equal the bytes received),
    `Chunk-SHA256` and, on the first chunk, `Upload-Length`. Answers 200 with an empty
    body and the new `Upload-Offset`.

    Not 204: waitress (`hesabu serve`) closes the connection after any answer without
    a Content-Length, and a 204 may not carry one, so every photo chunk cost the tablet
    a new TCP handshake (a round trip: 0.6 s on EDGE). A 200 with `Content-Length: 0`
    keeps it open. Clients take any 2xx (servers before this answered 204)."""
    offset = _int_header("Upload-Offset", required=True)
    length = _int_header("Upload-Length", required=False)
    checksum = request.headers.get("Chunk-SHA256", "")
    if not checksum:
        raise ApiError("request.bad", "the Chunk-SHA256 header is required")
    state = write_chunk(_root(), current_device().id, sha256, offset or 0, length,
                        request.get_data(cache=False), checksum,
                        int(current_app.config["HESABU_MAX_ATTACHMENT_BYTES"]))
    response = Response(b"", status=200)
    response.headers["Upload-Offset"] = str(state.received)
    response.headers["Upload-Complete"] = "1" if state.complete else "0"
    return response
