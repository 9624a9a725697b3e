"""Settlement and city profiles as flat rows and GeoJSON features.

One row per settlement (or city); nested figures become dotted columns
(`enumeration.tenure.owner`). For city officials a hidden figure is an empty cell in
CSV and XLSX and null in GeoJSON, so numeric columns stay numeric, and its column is
named in `suppressed_small` (a count from 1 to threshold - 1) or in
`suppressed_protected` (hidden so that a small count cannot be worked out: its value
may be large). A country is written as its name, with its ISO code in `country_code`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask_babel import lazy_gettext as _l

from server.i18n import country_code, country_name, language
from server.services.choice_labels import choice_labels
from server.services.indicators import enumeration, formulas
from server.services.indicators.privacy import PROTECTED, SMALL
from server.services.indicators.profile_questions import profile_questions
from server.services.indicators.profiles import Viewer, aggregate_profiles, compare
from server.services.indicators.words import INDICATOR_WORDS

_PLACE = ("settlement_id", "name", "city", "country", "country_code", "federation", "lon",
          "lat")
#: The columns naming hidden figures, by reason (privacy.SMALL, privacy.PROTECTED).
FLAG_COLUMNS = {SMALL: "suppressed_small", PROTECTED: "suppressed_protected"}


#: Readable headings of column name parts (column_labels); other parts are their words.
_SECTIONS = {"profile": _l("Settlement profile"), "enumeration": _l("Enumeration"),
             "comparison": _l("Profile vs enumeration"), "reported": _l("City profile"),
             "from_settlement_profiles": _l("Settlement profiles added up")}
_WORDS = {
    "settlement_id": _l("Settlement ID"), "name": _l("Settlement"), "city": _l("City"),
    "country": _l("Country"), "country_code": _l("Country code (ISO 3166)"),
    "federation": _l("Federation"), "lon": _l("Longitude"), "lat": _l("Latitude"),
    "suppressed_small": _l("Hidden: small counts"),
    "suppressed_protected": _l("Hidden to protect a small count"),
    "reported": _l("profile"), "enumerated": _l("enumeration"),
    "difference_pct": _l("difference (%)"),
    "difference_points": _l("difference (percentage points)"),
    "not_available": _l("why not available"), "left_out": _l("left out"),
}


def _words(part: str, choices: dict[str, str] | None = None) -> str:
    """A column name part in words in the reader's language: ours, an indicator key
    (indicators/words.py), the SDI forms' label of a choice code ("owner" ->
    "Propriétaire"), else the part's own words."""
    if part in _WORDS:
        return str(_WORDS[part])
    if part in INDICATOR_WORDS:
        return str(INDICATOR_WORDS[part])
    if choices and part in choices:
        return choices[part]
    text = part.replace("_", " ").strip()
    if text.endswith(" pct"):
        text = text[:-4] + " (%)"
    return text[:1].upper() + text[1:]


def column_labels(columns: list[str]) -> list[str]:
    """Readable headings for people ("Enumeration: Tenure: Owner" for
    `enumeration.tenure.owner`), in the reader's language; unique (a heading that two
    columns would share is followed by the column name in brackets)."""
    choices = choice_labels(language())
    labels = []
    for column in columns:
        parts = column.split(".")
        if parts[0] in _SECTIONS and len(parts) > 1:
            labels.append(": ".join([str(_SECTIONS[parts[0]]),
                                     *(_words(p, choices) for p in parts[1:])]))
        else:
            labels.append(": ".join(_words(p, choices) for p in parts))
    folded = [label.casefold() for label in labels]
    return [f"{label} ({column})" if folded.count(label.casefold()) > 1 else label
            for label, column in zip(labels, columns, strict=True)]


def flatten(value: Any, prefix: str, out: dict[str, Any]) -> dict[str, Any]:
    """Nested dicts as dotted keys; lists of priorities as priority_<rank>."""
    if isinstance(value, dict):
        for key, inner in value.items():
            flatten(inner, f"{prefix}.{key}" if prefix else str(key), out)
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        for n, item in enumerate(value, start=1):
            label = item.get("priority")
            term = item.get("term")
            out[f"{prefix}.{n}"] = f"{label} ({term})" if label and term else label
    else:
        out[prefix] = value
    return out


def _template_profile() -> dict[str, Any]:
    profile = formulas.settlement_profile({})
    questions = profile_questions()
    profile["water_sources"] = {source.name: {"count": None, "working": None}
                                for source in questions.water_sources}
    profile["priorities"] = [{"rank": n, "priority": None, "term": None}
                             for n in range(1, len(questions.priorities) + 1)]
    enum = {k: v for k, v in enumeration.summarise(None, 0).items() if k != "_raw"}
    return {**dict.fromkeys(_PLACE), "profile": profile, "enumeration": enum,
            "comparison": compare(profile, enum)}


def _comparison_columns(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {f"{r['quantity']}.{k}": r[k] for r in rows
            for k in ("reported", "enumerated", "difference_pct", "difference_points")}


def settlement_columns() -> list[str]:
    template = _template_profile()
    row = settlement_row(template)
    return list(row)


def _flags(enum: dict[str, Any], flat: dict[str, Any]) -> None:
    """`suppressed_small` and `suppressed_protected`: the columns of the hidden figures
    of an enumeration summary, by reason (a name without a reason is PROTECTED: never
    call a figure small without knowing it)."""
    reasons = enum.get("suppression") or {}
    for reason, column in FLAG_COLUMNS.items():
        flat[column] = [f"enumeration.{name}" for name in enum.get("suppressed") or ()
                        if reasons.get(name, PROTECTED) == reason]


def _country(flat: dict[str, Any], value: object) -> None:
    flat["country"] = country_name(value) or None
    flat["country_code"] = country_code(value)


def settlement_row(profile: dict[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {k: profile.get(k) for k in _PLACE}
    _country(flat, profile.get("country"))
    body = dict(profile["profile"])
    priorities = body.pop("priorities", []) or []
    sources = body.pop("water_sources", {}) or {}
    flatten(body, "profile", flat)
    questions = profile_questions()
    for name in (source.name for source in questions.water_sources):
        source = sources.get(name) or {}
        flat[f"profile.water_sources.{name}.count"] = source.get("count")
        flat[f"profile.water_sources.{name}.working"] = source.get("working")
    by_rank = {p.get("rank"): p for p in priorities}
    for n in range(1, len(questions.priorities) + 1):
        flat[f"profile.priority_{n}"] = (by_rank.get(n) or {}).get("priority")
        flat[f"profile.priority_{n}_term"] = (by_rank.get(n) or {}).get("term")
    enum = dict(profile["enumeration"])
    hidden = {"suppressed": enum.pop("suppressed", []), "suppression": enum.pop(
        "suppression", {})}
    flatten(enum, "enumeration", flat)
    flat.update({f"comparison.{k}": v
                 for k, v in _comparison_columns(profile["comparison"]).items()})
    _flags(hidden, flat)
    return flat


def settlement_rows(profiles: list[dict[str, Any]], viewer: Viewer
                    ) -> tuple[list[str], Iterator[list[Any]]]:
    columns = settlement_columns()

    def rows() -> Iterator[list[Any]]:
        for profile in profiles:
            yield _cells(settlement_row(profile), columns)

    return columns, rows()


def settlement_features(profiles: list[dict[str, Any]], geometry: str = "point"
                        ) -> Iterator[dict[str, Any]]:
    """GeoJSON features: the settlement's point, or its boundary polygon when
    `geometry` is "boundary" (settlements without a boundary fall back to the point)."""
    for profile in profiles:
        shape = None
        if geometry == "boundary" and profile.get("boundary"):
            shape = {"type": "Polygon", "coordinates": [profile["boundary"]]}
        elif profile.get("lon") is not None:
            shape = {"type": "Point", "coordinates": [profile["lon"], profile["lat"]]}
        props = settlement_row(profile)
        yield {"type": "Feature", "id": profile["settlement_id"], "geometry": shape,
               "properties": props}


def _cells(flat: dict[str, Any], columns: list[str]) -> list[Any]:
    """A row of `columns`: hidden figures are already None (an empty cell); the flag
    columns list column names separated by spaces."""
    return [" ".join(flat[c]) if c in FLAG_COLUMNS.values() else flat.get(c) for c in columns]


# -- cities ------------------------------------------------------------------------------
def city_row(city: dict[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {"city": city["city"]}
    _country(flat, city["country"])
    reported = dict(city.get("reported") or {})
    reported.pop("record_id", None)
    if reported.get("country") is not None:
        reported["country"] = country_name(reported["country"])
    flatten(reported, "reported", flat)
    flatten(city["from_settlement_profiles"], "from_settlement_profiles", flat)
    enum = dict(city["enumeration"])
    hidden = {"suppressed": enum.pop("suppressed", []), "suppression": enum.pop(
        "suppression", {})}
    flatten(enum, "enumeration", flat)
    _flags(hidden, flat)
    return flat


def city_columns() -> list[str]:
    """Fixed city columns (a city without a city profile record has them empty)."""
    enum = {k: v for k, v in enumeration.summarise(None, 0).items() if k != "_raw"}
    template = {
        "city": None, "country": None,
        "reported": {k: None for k in (
            "profile_date", "country", "federation", "settlements_known",
            "settlements_profiled", "settlements_profiled_pct", "settlements_declared",
            "settlements_resettled", "settlements_eviction_threat",
            "settlements_eviction_threat_pct", "city_population", "informal_population",
            "informal_population_pct", "city_forum", "city_meeting_frequency",
            "city_relationship", "agreement_signed", "savings_groups")}
        | {"priorities": [{"rank": n, "priority": None, "term": None} for n in (1, 2, 3)]},
        "from_settlement_profiles": {
            k: v for k, v in aggregate_profiles([]).items()
            if k not in ("legal_status", "top_priorities")}
        | {"legal_status": {s: None for s in ("declared_legal_protected",
                                              "undeclared_illegal_unprotected",
                                              "resettled", "unknown")},
           "top_priorities": [{"priority": None} for _ in range(5)],
           "settlements_profiled_pct": None},
        "enumeration": enum,
    }
    return list(city_row(template))


def city_rows(cities: list[dict[str, Any]], viewer: Viewer
              ) -> tuple[list[str], Iterator[list[Any]]]:
    columns = city_columns()

    def rows() -> Iterator[list[Any]]:
        for city in cities:
            yield _cells(city_row(city), columns)

    return columns, rows()


def city_features(cities: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """A city is a point at the mean of its settlements' points (no city boundary is
    collected), or has no geometry when none of its settlements has a point."""
    for city in cities:
        points = [(s["lon"], s["lat"]) for s in city["settlements"] if s.get("lon") is not None]
        shape = None
        if points:
            shape = {"type": "Point", "coordinates": [
                sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points)]}
        props = city_row(city)
        yield {"type": "Feature", "id": city["city"], "geometry": shape, "properties": props}
