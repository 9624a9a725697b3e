"""Reading request bodies and writing responses: gzip both ways, bounded sizes."""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response, current_app, g, request
from marshmallow import Schema, ValidationError
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

from server.auth.access import DEVICE, AccessRule, mark
from server.errors import ApiError, too_large_code, too_large_details
from server.schemas.values import INT64_MAX, storable_text
from server.services import json_read
from server.services.devices import DeviceIdentity, authenticate
from sync.messages import BZIP2, GZIP, BodyError, BodyTooLarge, compress, decompress

F = TypeVar("F", bound=Callable[..., Any])


class Int64Converter(IntegerConverter):
    """`<int:...>` in routes: only numbers a database column can hold (a longer one
    answers 404 instead of overflowing the query). Replaces werkzeug's `int`."""

    def __init__(self, url_map: Any, fixed_digits: int = 0, min: int | None = None,
                 max: int | None = INT64_MAX, signed: bool = False) -> None:
        super().__init__(url_map, fixed_digits, min, max, signed)


def require_device(view: F) -> F:
    """Only enrolled, unrevoked devices (Authorization: Bearer <token>) get through."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        g.device = authenticate(request.headers.get("Authorization"))
        return view(*args, **kwargs)

    return mark(wrapper, AccessRule(DEVICE))  # type: ignore[return-value]


def current_device() -> DeviceIdentity:
    return g.device


#: Request body codings a server accepts (`Content-Encoding`); bzip2 since protocol 3.
BODY_CODINGS = (GZIP, BZIP2)


def _inflate(raw: bytes, encoding: str, limit: int) -> bytes:
    try:
        return decompress(raw, encoding, limit)
    except BodyTooLarge:
        message, details = too_large_details(limit)
        raise ApiError(too_large_code(), f"{message} once decompressed",
                       details=details) from None
    except BodyError as exc:
        raise ApiError("sync.body_invalid", str(exc)) from None


def json_bytes() -> bytes:
    """The request's JSON text, decompressed (plain, or `Content-Encoding` gzip or
    bzip2), within MAX_CONTENT_LENGTH both as sent and once decompressed. Reading it
    waits for the network: callers that pause the cycle collector read it first."""
    if request.mimetype != "application/json":
        raise ApiError("request.unsupported_media_type",
                       "send the body as Content-Type: application/json")
    limit = int(current_app.config["MAX_CONTENT_LENGTH"])
    raw = request.get_data(cache=False)  # werkzeug answers 413 past MAX_CONTENT_LENGTH
    g.body_received_at = time.perf_counter()  # Server-Timing counts from here
    encoding = request.headers.get("Content-Encoding", "").strip().lower()
    if encoding in BODY_CODINGS:
        return _inflate(raw, encoding, limit)
    if encoding not in ("", "identity"):
        raise ApiError("request.unsupported_media_type",
                       f"Content-Encoding {encoding!r} is not supported; use "
                       + " or ".join(BODY_CODINGS),
                       details={"accepted": list(BODY_CODINGS)})
    return raw


def parse_json(raw: bytes) -> Any:
    """The body's JSON, exactly as `json.loads` reads it (`services/json_read.py`:
    msgspec first); ApiError `sync.body_invalid` for a body that is no JSON."""
    try:
        return json_read.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError("sync.body_invalid", f"the body is not valid JSON: {exc}") from None
    except RecursionError:
        # e.g. 100,000 "[": the parser gives up past Python's recursion limit.
        raise ApiError("sync.body_invalid", "the body is not valid JSON: it nests too deeply"
                       ) from None


def json_body() -> Any:
    """The request's JSON (see `json_bytes`)."""
    return parse_json(json_bytes())


def optional_json_body() -> Any:
    """The request's JSON, or {} for a request without a body."""
    if not request.content_length and request.mimetype != "application/json":
        return {}
    raw = json_bytes()
    return parse_json(raw) if raw.strip() else {}


def refuse_unstorable_text() -> None:
    """Before every request: the path, query and form fields must be text a database can
    store (PostgreSQL refuses NUL characters in text). A 400 `request.bad` (a page on the
    web) instead of a 500 wherever the text would have gone."""
    values = [request.path, *request.args.keys(), *request.args.values()]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        values += [*request.form.keys(), *request.form.values()]
    if not all(storable_text(v) for v in values):
        raise BadRequest("The address or a form field holds a NUL character or other text "
                         "that cannot be stored.")


def load(schema: Schema, data: Any) -> dict[str, Any]:
    """Validate `data` with `schema`; 422 request.invalid with the messages if it fails."""
    if not isinstance(data, dict):
        raise ApiError("request.invalid", "the body must be a JSON object",
                       details={"fields": {"_schema": ["must be an object"]}})
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise ApiError("request.invalid", "some fields are missing or wrong",
                       details={"fields": exc.messages}) from None


def json_response(data: Any, status: int = 200) -> Response:
    """A JSON response, gzipped whenever the client accepts gzip (as the protocol says;
    on a tiny answer that costs a few bytes, on a pull page it saves most of them)."""
    return json_bytes_response(
        json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), status)


def json_bytes_response(body: bytes, status: int = 200,
                        gzipped: bytes | None = None) -> Response:
    """`json_response` of JSON already encoded (a pull page made from its pieces);
    `gzipped`, if given, is its gzip, made beforehand."""
    response = Response(status=status, mimetype="application/json")
    response.vary.add("Accept-Encoding")
    if request.accept_encodings["gzip"] > 0:
        body = gzipped if gzipped is not None else compress(body, GZIP)
        response.headers["Content-Encoding"] = "gzip"
    response.set_data(body)
    return response
