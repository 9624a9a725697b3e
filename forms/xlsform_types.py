"""XLSForm question type names -> the one name Hesabu uses for each type.

XLSForm accepts many spellings for a type ("int", "q int", "add integer prompt",
"select all that apply", "photo", ...). pyxform 4.5 passes most of them through to its
parse output unchanged, so the loader maps them here once and the rest of Hesabu sees
only the canonical names listed in `forms.spec`.
"""

from __future__ import annotations

#: Canonical type -> every spelling pyxform 4.5 leaves in its parse output for it.
_SPELLINGS: dict[str, tuple[str, ...]] = {
    "text": ("text", "string", "q string", "add text prompt"),
    "integer": ("integer", "int", "q int", "add integer prompt"),
    "decimal": ("decimal", "q decimal", "add decimal prompt"),
    "range": ("range",),
    "select_one": ("select one", "select one using", "q select1", "add select one prompt using"),
    "select_multiple": (
        "select all that apply", "select multiple using", "select multiple from",
        "select all that apply from", "q select", "add select multiple prompt using",
    ),
    "rank": ("rank",),
    "note": ("note", "q note", "add note prompt"),
    "acknowledge": ("acknowledge", "q acknowledge", "add acknowledge prompt"),
    "date": ("date", "q date", "add date prompt"),
    "time": ("time",),
    "dateTime": (
        "dateTime", "datetime", "date time", "q date time", "q dateTime",
        "add date time prompt", "add dateTime prompt",
    ),
    "geopoint": ("geopoint", "gps", "location", "q geopoint", "q location", "add location prompt"),
    "geotrace": ("geotrace", "q geotrace"),
    "geoshape": ("geoshape", "q geoshape"),
    "image": ("image", "photo", "q image", "q picture", "add image prompt"),
    "audio": ("audio", "q audio", "add audio prompt"),
    "video": ("video", "q video", "add video prompt"),
    "file": ("file", "add file prompt"),
    "barcode": ("barcode", "q barcode", "add barcode prompt"),
    "calculate": ("calculate", "q calculate", "add calculate prompt"),
    "hidden": ("hidden",),
    # Metadata: filled by the device, never shown.
    "start": ("start", "start time", "get start time"),
    "end": ("end", "end time", "get end time"),
    "today": ("today", "get today"),
    "deviceid": ("deviceid", "device id", "get device id", "uri:deviceid", "imei"),
    "username": ("username", "uri:username"),
    "email": ("email", "uri:email"),
    "phonenumber": ("phonenumber", "get phone number", "uri:phonenumber"),
    "simserial": ("simserial", "sim id", "get sim id", "uri:simserial"),
    "subscriberid": ("subscriberid", "subscriber id", "get subscriber id", "uri:subscriberid"),
    "audit": ("audit",),
}

#: Spelling (as pyxform's parse output has it) -> canonical Hesabu type.
CANONICAL: dict[str, str] = {
    spelling: canonical for canonical, names in _SPELLINGS.items() for spelling in names
}

#: Old XLSForm shorthand types that are an integer/text with a built-in constraint.
CONSTRAINED_ALIASES: dict[str, tuple[str, str]] = {
    "percentage": ("integer", "0 <= . and . <= 100"),
    "number of days in last month": ("integer", "0 <= . and . <= 31"),
    "number of days in last six months": ("integer", "0 <= . and . <= 183"),
    "number of days in last year": ("integer", "0 <= . and . <= 365"),
    "phone number": ("text", r"regex(., '^\d*$')"),
}

#: Types XLSForm knows but Hesabu cannot collect, with what to do instead.
UNSUPPORTED: dict[str, str] = {
    "osm": "OpenStreetMap questions are not supported; use geopoint or geoshape",
    "select one external": "external choice lists are not supported; "
    "put the choices on the choices sheet and use select_one with choice_filter",
    "csv-external": "external CSV data is not supported; put the data on the choices sheet",
    "xml-external": "external XML data is not supported; put the data on the choices sheet",
    "background-audio": "background audio recording is not supported; remove the row",
    "background-geopoint": "background location capture is not supported; use a geopoint",
    "start-geopoint": "start-geopoint is not supported; use a geopoint question",
    "trigger": "the 'trigger' type is not supported; use acknowledge",
    "loop": "'begin loop' is not supported; use a repeat or one group per choice",
    "entity": "remove the entities sheet and the save_to column; Hesabu links records "
    "by their record id instead",
}

#: Choice-list suffixes that mean "choices come from a file shipped with the form".
FILE_LIST_SUFFIXES = (".csv", ".xml", ".geojson")


def canonical_type(pyxform_type: str) -> str | None:
    """The Hesabu name for a pyxform type name, or None if Hesabu does not know it."""
    if pyxform_type in CANONICAL:
        return CANONICAL[pyxform_type]
    if pyxform_type in CONSTRAINED_ALIASES:
        return CONSTRAINED_ALIASES[pyxform_type][0]
    return None


def supported_type_names() -> list[str]:
    """The canonical question types, in a stable order (for docs and hints)."""
    return list(_SPELLINGS)
