"""Downloads: settlement and city profiles (CSV, XLSX, GeoJSON) for every role that
sees profiles, record-level tables (CSV zip, XLSX) for leaders and admins.

Each function answers a `Download` whose `chunks` is a generator: the caller streams
it (Flask `stream_with_context`) and nothing is built whole in memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from server.errors import ApiError
from server.extensions import db
from server.services.exports import profiles as profile_rows
from server.services.exports import records, writers
from server.services.indicators.profiles import (
    Filters,
    Viewer,
    city_profile,
    list_cities,
    settlement_ids_query,
    settlement_profiles,
)

PROFILE_FORMATS = ("csv", "xlsx", "geojson")
#: Headers of CSV and XLSX files: "names" (stable column names, for programs) or
#: "labels" (readable headings in the reader's language, for people).
HEADERS = ("names", "labels")
RECORD_FORMATS = ("csv", "xlsx")
MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "geojson": "application/geo+json",
    "zip": "application/zip",
}


@dataclass(frozen=True)
class Download:
    filename: str
    mimetype: str
    chunks: Iterator[bytes]


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%d-%H%M")


def _check(fmt: str, allowed: tuple[str, ...]) -> None:
    if fmt not in allowed:
        raise ApiError("export.format_unsupported",
                       f"format {fmt!r} is not offered here; use one of {', '.join(allowed)}",
                       details={"formats": list(allowed)})


def settlements_download(viewer: Viewer, filters: Filters, fmt: str,
                         geometry: str = "point", session: Session | None = None,
                         headers: str = "names") -> Download:
    """Every visible settlement profile matching `filters`, one row or feature each."""
    session = session or db.session
    _check(fmt, PROFILE_FORMATS)
    profiles = settlement_profiles(viewer, filters, session=session)
    name = f"settlement-profiles-{_stamp()}.{fmt}"
    if fmt == "geojson":
        chunks = writers.geojson_stream(profile_rows.settlement_features(profiles, geometry))
    else:
        header, rows = profile_rows.settlement_rows(profiles, viewer)
        header = profile_rows.column_labels(header) if headers == "labels" else header
        chunks = writers.csv_stream(header, rows) if fmt == "csv" else \
            writers.xlsx_stream([("settlements", header, rows)])
    return Download(name, MIMETYPES[fmt], chunks)


def cities_download(viewer: Viewer, fmt: str, city: str | None = None,
        session: Session | None = None, headers: str = "names") -> Download:
    """City profiles of every visible city (or of one)."""
    session = session or db.session
    _check(fmt, PROFILE_FORMATS)
    names = [city] if city else [c["city"] for c in list_cities(viewer, session=session)]
    cities = [p for p in (city_profile(viewer, n, session=session) for n in names) if p is not None]
    if city and not cities:
        raise ApiError("request.not_found", f"no city profile of {city!r} that you may see")
    name = f"city-profiles-{_stamp()}.{fmt}"
    if fmt == "geojson":
        chunks = writers.geojson_stream(profile_rows.city_features(cities))
    else:
        header, rows = profile_rows.city_rows(cities, viewer)
        header = profile_rows.column_labels(header) if headers == "labels" else header
        chunks = writers.csv_stream(header, rows) if fmt == "csv" else \
            writers.xlsx_stream([("cities", header, rows)])
    return Download(name, MIMETYPES[fmt], chunks)


def records_download(viewer: Viewer, form_id: str, fmt: str,
                     settlement_id: str | None = None, session: Session | None = None,
                     headers: str = "names") -> Download:
    """The records of `form_id` the viewer's federations hold: the main table and one
    table per repeat (CSV: a zip of files; XLSX: one sheet each)."""
    session = session or db.session
    _check(fmt, RECORD_FORMATS)
    if viewer.aggregates_only:
        raise ApiError("auth.forbidden", "city officials download aggregated profiles only")
    spec = records.latest_spec(session, form_id)
    session.rollback()
    if spec is None:
        raise ApiError("request.not_found", f"no published form {form_id!r}")
    filters = Filters(settlement_ids=frozenset({settlement_id})) if settlement_id else Filters()
    if form_id not in records.LINKED_FORMS and (viewer.federation_ids is not None
                                                or settlement_id):
        raise ApiError("export.form_not_scoped",
                       f"records of {form_id!r} are not tied to a settlement, so only an "
                       "admin can export them, and not per settlement",
                       details={"forms": list(records.LINKED_FORMS)})
    records.prepare(session)
    scope = settlement_ids_query(viewer, filters)
    tables = records.tables(spec)
    names = [(table.name, table.labels(spec) if headers == "labels" else table.header)
             for table in tables]
    rows = records.rows_by_table(session, tables, form_id, scope)
    stem = f"{form_id}-{_stamp()}"
    if fmt == "csv":
        chunks = writers.zip_of_tables([(f"{n}.csv", h) for n, h in names], rows)
        return Download(f"{stem}.zip", MIMETYPES["zip"], chunks)
    return Download(f"{stem}.xlsx", MIMETYPES["xlsx"], writers.xlsx_of_tables(names, rows))
