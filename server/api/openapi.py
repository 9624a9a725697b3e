"""`/api/openapi.json` and `/api/docs`: the JSON API described as OpenAPI 3.

The spec is built from `app.url_map` at request time, so it lists every /api endpoint
that exists. Each operation takes its summary and description from the view's
docstring; bodies, parameters and answers come from `doc(...)` on the view or from
`ENDPOINT_DOCS` below (for endpoints whose modules should not need to import this
one). An endpoint without a docstring is undocumented, and a test fails on it
(tests/server/test_openapi.py). The summary is the docstring's first sentence, the
rest Markdown (server/api/doc_text.py); sections are named in SECTIONS. The docs page
and the error codes page (/api/docs/errors) are plain HTML rendered here: no CDN, no
script.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, Response, current_app, render_template_string
from marshmallow import Schema, fields, validate

from server.api.doc_text import markdown_html, markdown_inline, split_docstring
from server.api.wire import json_response
from server.auth.access import public, rule_for
from server.errors import ERRORS
from server.schemas.devices import EnrolRequest
from server.schemas.sync import PullQuery, PushEnvelope
from server.schemas.values import INT64_MAX

bp = Blueprint("openapi", __name__, url_prefix="/api")

_ATTR = "hesabu_openapi"

#: Operation details by endpoint name (merged under what `doc` put on the view).
ENDPOINT_DOCS: dict[str, dict[str, Any]] = {}

def N_(text: str) -> str:
    """Marks a text for the translation catalogs (Babel's default keyword) without
    translating it here: the spec stays English, the docs page shows `_(name)`."""
    return text


#: The section (OpenAPI tag) of each blueprint's endpoints, in the docs page's order.
SECTIONS: dict[str, str] = {
    "devices": N_("Devices and enrolment"),
    "sync": N_("Sync"),
    "forms": N_("Forms"),
    "attachments": N_("Attachments (photos)"),
    "review_api": N_("Records and review"),
    "conflicts_api": N_("Conflicts"),
    "profiles_api": N_("Settlements and city profiles"),
    "exports_api": N_("Downloads"),
    "accounts_api": N_("Accounts and API tokens"),
    "collect_access_api": N_("ODK Collect access"),
    "hub": N_("Office hub"),
    "openapi": N_("This documentation"),
}


def section_name(endpoint: str) -> str:
    """The readable section of an endpoint ("sync.push" -> "Sync"); a blueprint not
    listed in SECTIONS gets its name with spaces."""
    blueprint = endpoint.split(".")[0]
    return SECTIONS.get(blueprint, blueprint.replace("_", " ").capitalize())


def doc(**operation: Any) -> Callable[[Any], Any]:
    """Attach OpenAPI details to a view: `body=` a marshmallow Schema (or a JSON schema
    dict), `query=` a Schema for query parameters, `answer=` a JSON schema or example
    dict of the 200/201 answer, `status=` the success status, `errors=` codes from
    server/errors.py it may answer with, `content=` the answer's media type."""

    def decorate(view: Any) -> Any:
        setattr(view, _ATTR, operation)
        return view

    return decorate


def describe(endpoint: str, **operation: Any) -> None:
    """Like `doc`, by endpoint name (for views in modules that do not import this one)."""
    ENDPOINT_DOCS.setdefault(endpoint, {}).update(operation)


# -- marshmallow -> JSON schema -------------------------------------------------------

_SIMPLE = {fields.String: "string", fields.Integer: "integer", fields.Float: "number",
           fields.Boolean: "boolean", fields.DateTime: "string", fields.Date: "string",
           fields.Dict: "object", fields.Email: "string", fields.UUID: "string"}


def field_schema(field: fields.Field) -> dict[str, Any]:
    if isinstance(field, fields.Nested):
        nested = field.nested
        schema = nested() if isinstance(nested, type) else nested
        out = schema_json(schema) if isinstance(schema, Schema) else {"type": "object"}
    elif isinstance(field, fields.List):
        out = {"type": "array", "items": field_schema(field.inner)}
    else:
        out = next(({"type": name} for kind, name in _SIMPLE.items()
                    if isinstance(field, kind)), {})
        out.update(_bounds(field))
    if field.allow_none:
        out["nullable"] = True
    if field.metadata.get("description"):
        out["description"] = field.metadata["description"]
    return out


def _bounds(field: fields.Field) -> dict[str, Any]:
    """What the field's validators allow, in JSON schema words (ranges, lengths, choices),
    so clients and generated tests see the same limits the server checks."""
    out: dict[str, Any] = {}
    for rule in field.validators:
        if isinstance(rule, validate.Range):
            if rule.min is not None:
                out["minimum"] = max(rule.min, out.get("minimum", rule.min))
                if not rule.min_inclusive:
                    out["exclusiveMinimum"] = True
            if rule.max is not None:
                out["maximum"] = min(rule.max, out.get("maximum", rule.max))
                if not rule.max_inclusive:
                    out["exclusiveMaximum"] = True
        elif isinstance(rule, validate.Length):
            if rule.min is not None:
                out["minLength"] = rule.min
            if rule.max is not None:
                out["maxLength"] = rule.max
        elif isinstance(rule, validate.OneOf):
            out["enum"] = list(rule.choices)
    return out


def schema_json(schema: Schema | dict[str, Any]) -> dict[str, Any]:
    if isinstance(schema, dict):
        return schema
    props = {f.data_key or name: field_schema(f) for name, f in schema.fields.items()
             if not f.dump_only}
    required = sorted(f.data_key or name for name, f in schema.fields.items() if f.required)
    out: dict[str, Any] = {"type": "object", "properties": props,
                           "additionalProperties": False}
    if required:
        out["required"] = required
    return out


# -- the spec ------------------------------------------------------------------------

_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")
_ERROR_SCHEMA = {"$ref": "#/components/schemas/Error"}
#: Path parameters by route converter (`<int:...>` takes 0 to 2^63-1, server/api/wire.py).
_PATH_TYPES = {"int": {"type": "integer", "minimum": 0, "maximum": INT64_MAX}}


def _access(endpoint: str, view: Any) -> tuple[list[dict[str, Any]], str]:
    """OpenAPI security and a sentence on who may call, from the declared access rule."""
    rule = rule_for(endpoint, view)
    if rule is None:
        return [], "Access: not declared."
    if rule.kind == "public":
        return [], "Access: public."
    if rule.kind == "device":
        return [{"deviceToken": []}], "Access: an enrolled device's bearer token."
    roles = ", ".join(sorted(r.value for r in rule.roles)) or "any logged-in user"
    return [{"apiToken": []}, {"session": []}], f"Access: {roles}."


def _operation(endpoint: str, view: Any, method: str, params: list[tuple[str | None, str]]
               ) -> dict[str, Any]:
    summary, rest = split_docstring(inspect.getdoc(view) or "")
    extra = {**ENDPOINT_DOCS.get(endpoint, {}), **(getattr(view, _ATTR, None) or {})}
    security, who = _access(endpoint, view)
    op: dict[str, Any] = {
        "operationId": f"{endpoint}.{method}",
        "summary": summary,
        "description": "\n\n".join(p for p in (rest, who) if p),
        "tags": [section_name(endpoint)],
        "security": security,
        "parameters": [{"name": name, "in": "path", "required": True,
                        "schema": _PATH_TYPES.get(kind, {"type": "string"})}
                       for kind, name in params],
    }
    query = extra.get("query")
    if query is not None:
        for name, f in schema_json(query() if isinstance(query, type) else query)[
                "properties"].items():
            op["parameters"].append({"name": name, "in": "query", "schema": f})
    body = extra.get("body")
    if body is not None and method in ("post", "put", "patch"):
        body = body() if isinstance(body, type) else body
        media = extra.get("body_content", "application/json")
        op["requestBody"] = {"required": True, "content": {media: {"schema": schema_json(body)}}}
    status = str(extra.get("status", 204 if method == "patch" and not extra.get("answer")
                           else 200))
    media = extra.get("content", "application/json")
    answer: dict[str, Any] = {"description": extra.get("answer_text", "Success")}
    if extra.get("answer") is not None:
        answer["content"] = {media: {"schema": extra["answer"]}}
    elif media != "application/json":
        answer["content"] = {media: {"schema": {"type": "string", "format": "binary"}}}
    responses: dict[str, Any] = {status: answer}
    for code in extra.get("errors", ()):
        err = ERRORS[code]
        entry = responses.setdefault(str(err.status), {
            "description": "", "content": {"application/json": {"schema": _ERROR_SCHEMA}}})
        entry["description"] = "; ".join(
            p for p in (entry["description"], f"`{code}`: {err.meaning}") if p)
    op["responses"] = responses
    return op


def build_spec(app: Flask) -> dict[str, Any]:
    """The OpenAPI 3 document of every /api rule of `app`."""
    paths: dict[str, dict[str, Any]] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith("/api/"):
            continue
        view = app.view_functions[rule.endpoint]
        params = [(m.group(1), m.group(2)) for m in _CONVERTER.finditer(rule.rule)]
        path = _CONVERTER.sub(r"{\2}", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(
                rule.endpoint, view, method.lower(), params)
    return {
        "openapi": "3.0.3",
        "info": {"title": "Hesabu API", "version": "1",
                 "description": "Sync, forms, accounts, review and profile data of a Hesabu "
                                "server. Every error answers with one JSON shape; the codes "
                                "are listed at /api/docs/errors (docs/errors.md). See "
                                "docs/api.md."},
        "tags": [{"name": name} for name in SECTIONS.values()],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "deviceToken": {"type": "http", "scheme": "bearer",
                                "description": "The token an enrolled device got at enrolment."},
                "apiToken": {"type": "http", "scheme": "bearer",
                             "description": "A user's API token (for scripts)."},
                "session": {"type": "apiKey", "in": "cookie",
                            "name": app.config.get("SESSION_COOKIE_NAME", "session"),
                            "description": "A logged-in browser session (unsafe methods "
                                           "also need the X-CSRF-Token header)."},
            },
            "schemas": {"Error": {
                "type": "object", "required": ["error"],
                "properties": {"error": {
                    "type": "object", "required": ["code", "message", "details"],
                    "properties": {"code": {"type": "string", "enum": sorted(ERRORS)},
                                   "message": {"type": "string"},
                                   "details": {"type": "object"}}}}}},
        },
    }


@bp.get("/openapi.json")
@public
def openapi_json() -> Response:
    """This API described as OpenAPI 3 (JSON)."""
    return json_response(build_spec(current_app))


_HEAD = """<!doctype html>
<html lang="{{ current_language() }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<link rel="icon" href="{{ url_for('favicon') }}" sizes="any">
<style>
body{font-family:system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:1rem;color:#222}
h2{border-bottom:2px solid #ddd;margin-top:2rem}
details{border:1px solid #ccc;border-radius:6px;margin:.5rem 0;padding:.4rem .6rem}
summary{cursor:pointer}
code,pre{font-family:ui-monospace,monospace;font-size:.9em}
pre{background:#f5f5f5;padding:.5rem;overflow-x:auto;white-space:pre-wrap}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left}
.m{display:inline-block;min-width:4.5rem;font-weight:bold;text-transform:uppercase}
.get{color:#1a6}.post{color:#16a}.patch{color:#a61}.delete{color:#a11}.put{color:#71a}
</style></head><body>
<p><a href="{{ url_for('auth.home') }}">Hesabu</a> ·
<a href="{{ url_for('openapi.docs_page') }}">{{ _("API documentation") }}</a> ·
<a href="{{ url_for('openapi.errors_page') }}">{{ _("Error codes") }}</a></p>
"""

_PAGE = _HEAD + """<h1>{{ spec.info.title }}</h1>
{{ spec.info.description | markdown }}
<p>{{ _("Machine-readable:") }}
<a href="{{ url_for('openapi.openapi_json') }}">/api/openapi.json</a>
(OpenAPI {{ spec.openapi }}).</p>
<nav aria-label="{{ _('Sections') }}"><ul>{% for section, slug, ops in groups %}
<li><a href="#{{ slug }}">{{ _(section) }}</a></li>{% endfor %}</ul></nav>
{% for section, slug, ops in groups %}
<h2 id="{{ slug }}">{{ _(section) }}</h2>
{% for path, method, op in ops %}
<details id="{{ op.operationId }}"><summary><span class="m {{ method }}">{{ method }}</span>
<code>{{ path }}</code> {{ op.summary | markdown_inline }}</summary>
{% if op.description %}<div class="description">{{ op.description | markdown }}</div>{% endif %}
{% if op.parameters %}<p>{{ _("Parameters:") }}</p><ul>{% for p in op.parameters %}
<li><code>{{ p.name }}</code> ({{ p.in }}){% if p.schema.description %}:
{{ p.schema.description }}{% endif %}</li>{% endfor %}</ul>{% endif %}
{% if op.requestBody %}<p>{{ _("Body:") }}</p>
<pre>{{ op.requestBody | tojson(indent=2) }}</pre>{% endif %}
<p>{{ _("Answers:") }}</p><ul>{% for status, r in op.responses.items() %}
<li><b>{{ status }}</b> {{ r.description | markdown_inline }}</li>{% endfor %}</ul>
</details>
{% endfor %}{% endfor %}
</body></html>"""

_ERRORS_PAGE = _HEAD + """<h1>{{ _("API error codes") }}</h1>
<p>{{ _("Every error of the API answers with one JSON shape:") }}</p>
<pre>{"error": {"code": "sync.cursor_invalid", "message": "...", "details": {...}}}</pre>
<p>{{ _("The code is stable: clients branch on it. The message is a sentence for a person "
        "and may change; details hold machine-readable specifics.") }}</p>
<table id="error-codes"><thead><tr><th>{{ _("code") }}</th><th>HTTP</th>
<th>{{ _("meaning") }}</th></tr></thead><tbody>
{% for e in errors %}<tr id="{{ e.code }}"><td><code>{{ e.code }}</code></td>
<td>{{ e.status }}</td><td>{{ e.meaning }}</td></tr>
{% endfor %}</tbody></table>
</body></html>"""


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _render(page: str, **context: Any) -> str:
    return render_template_string(page, **context)


@bp.get("/docs")
@public
def docs_page() -> str:
    """This API as a readable page (no scripts, works offline)."""
    spec = build_spec(current_app)
    found: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            found.setdefault(op["tags"][0], []).append((path, method, op))
    order = [t["name"] for t in spec["tags"]]
    sections = sorted(found, key=lambda s: (order.index(s) if s in order else len(order), s))
    return _render(_PAGE, title=spec["info"]["title"], spec=spec,
                   groups=[(s, _slug(s), found[s]) for s in sections])


@bp.get("/docs/errors")
@public
def errors_page() -> str:
    """The error codes of this API with their HTTP status and meaning (docs/errors.md)."""
    from flask_babel import gettext

    return _render(_ERRORS_PAGE, title=gettext("API error codes"),
                   errors=sorted(ERRORS.values(), key=lambda e: e.code))


def _register_filters(state: Any) -> None:
    state.app.jinja_env.filters.setdefault("markdown", markdown_html)
    state.app.jinja_env.filters.setdefault("markdown_inline", markdown_inline)


bp.record_once(_register_filters)


def _describe_core() -> None:
    """Bodies and answers of the sync, device, form and attachment endpoints."""
    describe("devices.enrol", body=EnrolRequest, status=201, answer={
        "type": "object", "properties": {"device_id": {"type": "string"},
                                         "token": {"type": "string"},
                                         "server_hlc": {"type": "string"}}},
             errors=["auth.enrolment_code_invalid", "auth.device_taken", "auth.device_revoked",
                     "auth.enrolment_rate_limited", "request.invalid"])
    describe("sync.push", body=PushEnvelope, answer={
        "type": "object",
        "description": "The body may be sent with Content-Encoding gzip or (protocol 3) "
                       "bzip2; see docs/sync-protocol.md section 8.",
        "properties": {
            "acked": {"type": "array", "items": {"type": "string"},
                      "description": "op ids the device may drop from its outbox"},
            "acked_rest": {"type": "boolean", "description": "protocol 3: true instead of "
                           "`acked` when every op of the request not rejected was acked"},
            "rejected": {"type": "array", "items": {"type": "object"}},
            "server_seq": {"type": "integer"}, "conflicts": {"type": "integer"},
            "server_hlc": {"type": "string"}}},
             errors=["auth.token_invalid", "auth.device_revoked", "auth.device_mismatch",
                     "sync.batch_too_large", "sync.body_invalid", "request.invalid",
                     "request.unsupported_media_type"])
    describe("sync.pull", query=PullQuery, answer={
        "type": "object", "properties": {
            "changes": {"type": "array", "items": {
                "type": "object", "description": "seq and type: op (with the op), form "
                "(form_id, version, title) or review (record_id, state, comment, reviewer, "
                "reviewed_at)"}},
            "records": {"type": "object"}, "next_cursor": {"type": "integer"},
            "has_more": {"type": "boolean"}, "server_hlc": {"type": "string"}}},
             errors=["auth.token_invalid", "sync.cursor_invalid"])
    describe("forms.get_version", answer={"type": "object", "properties": {
        "form_id": {"type": "string"}, "version": {"type": "string"},
        "title": {"type": "string"}, "published_at": {"type": "string"},
        "spec": {"type": "object", "description": "FormSpec JSON"}}},
             errors=["auth.token_invalid", "request.not_found"])
    describe("attachments.download", content="application/octet-stream",
             errors=["auth.token_invalid", "request.not_found", "attachment.hash_invalid"])
    describe("attachments.upload", body={"type": "string", "format": "binary"},
             body_content="application/octet-stream", status=200,
             answer_text="Empty body; the new Upload-Offset and Upload-Complete headers",
             errors=["attachment.chunk_checksum", "attachment.offset_mismatch",
                     "attachment.length_mismatch", "attachment.too_large"])
    describe("hub.status", answer={
        "type": "object",
        "description": "the hub's upstream link: last sync, ops waiting, errors "
                       "(docs/bundles-and-hub.md)"})
    describe("openapi.openapi_json", answer={"type": "object"})
    describe("openapi.docs_page", content="text/html")
    describe("openapi.errors_page", content="text/html")


_describe_core()
