"""`/api/exports/...`: downloads, streamed as they are written (never built in memory)."""

from __future__ import annotations

from flask import Blueprint, Response, stream_with_context

from server.api.openapi import doc
from server.api.profiles import current_viewer, filters_from, query_args
from server.auth import acting, api_roles_required
from server.schemas.profiles import (
    CityExportQuerySchema,
    RecordExportQuerySchema,
    SettlementExportQuerySchema,
)
from server.services import exports
from server.services.audit import audit
from server.services.indicators.viewer import PROFILE_ROLES, RECORD_EXPORT_ROLES

bp = Blueprint("exports_api", __name__, url_prefix="/api/exports")

_FILE = {"type": "string", "format": "binary"}


def send(download: exports.Download, action: str, target: str, **details: object) -> Response:
    """Audit the export, then stream it as an attachment."""
    audit(acting(), action, target=target, filename=download.filename, **details)
    # content_type, not mimetype: "text/csv; charset=utf-8" already names its charset
    # (as mimetype, Werkzeug appended a second one).
    response = Response(stream_with_context(download.chunks), content_type=download.mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{download.filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/settlements.<fmt>")
@api_roles_required(*PROFILE_ROLES)
@doc(query=SettlementExportQuerySchema, answer=_FILE, content="text/csv",
     errors=["export.format_unsupported", "request.invalid"])
def settlements(fmt: str) -> Response:
    """Settlement profiles as CSV, XLSX or GeoJSON (fmt), one row or feature each."""
    args = query_args(SettlementExportQuerySchema())
    download = exports.settlements_download(current_viewer(), filters_from(args),
                                            fmt, geometry=args["geometry"],
                                            headers=args["headers"])
    return send(download, "export.settlement_profiles", "settlements", format=fmt,
                filters={k: v for k, v in args.items() if v})


@bp.get("/cities.<fmt>")
@api_roles_required(*PROFILE_ROLES)
@doc(query=CityExportQuerySchema, answer=_FILE, content="text/csv",
     errors=["export.format_unsupported", "request.not_found"])
def cities(fmt: str) -> Response:
    """City profiles as CSV, XLSX or GeoJSON (fmt), one row or feature per city."""
    args = query_args(CityExportQuerySchema())
    download = exports.cities_download(current_viewer(), fmt, args["city"],
                                       headers=args["headers"])
    return send(download, "export.city_profiles", args["city"] or "cities", format=fmt)


@bp.get("/records/<form_id>.<fmt>")
@api_roles_required(*RECORD_EXPORT_ROLES)
@doc(query=RecordExportQuerySchema, answer=_FILE, content="application/zip",
     errors=["export.format_unsupported", "export.form_not_scoped", "request.not_found"])
def records(form_id: str, fmt: str) -> Response:
    """Records of one form in your federation: CSV (a zip with one file per table) or
    XLSX (one sheet per table); repeats are their own tables linked by record_id."""
    args = query_args(RecordExportQuerySchema())
    download = exports.records_download(current_viewer(), form_id, fmt,
                                        args["settlement_id"], headers=args["headers"])
    return send(download, "export.records", form_id, format=fmt,
                settlement_id=args["settlement_id"])
