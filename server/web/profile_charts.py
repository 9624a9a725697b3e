"""Inline SVG drawn on the server: a map of settlement points and boundaries, and
horizontal bar charts. No script, no tiles, no fonts to fetch: they work offline and
print. Everything users typed is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from flask import g, has_request_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from server.i18n import language
from server.services.choice_labels import choice_labels

_MAP_WIDTH = 640
_MIN_SPAN = 0.004  # degrees: a lone settlement still gets some surroundings


@dataclass(frozen=True)
class Place:
    """One settlement on the map."""

    id: str
    name: str
    href: str
    lon: float | None
    lat: float | None
    boundary: Sequence[Sequence[float]] | None = None
    css_class: str = ""


def _extent(places: Sequence[Place]) -> tuple[float, float, float, float] | None:
    lons: list[float] = []
    lats: list[float] = []
    for place in places:
        if place.lon is not None and place.lat is not None:
            lons.append(place.lon)
            lats.append(place.lat)
        for lon, lat in place.boundary or ():
            lons.append(lon)
            lats.append(lat)
    if not lons:
        return None
    west, east, south, north = min(lons), max(lons), min(lats), max(lats)
    pad_x = max((east - west) * 0.08, _MIN_SPAN / 2)
    pad_y = max((north - south) * 0.08, _MIN_SPAN / 2)
    return west - pad_x, east + pad_x, south - pad_y, north + pad_y


def settlement_map(places: Sequence[Place], label: str | None = None) -> Markup:
    """An SVG map (equirectangular, scaled by cos(latitude) so shapes keep their
    proportions); each settlement links to its profile."""
    label = label or _("Map of settlements")
    extent = _extent(places)
    if extent is None:
        return Markup('<p class="map-empty hint">%s</p>') % _(
            "No settlement has GPS coordinates yet.")
    west, east, south, north = extent
    x_scale = math.cos(math.radians((south + north) / 2))
    span_x, span_y = (east - west) * x_scale, north - south
    width = _MAP_WIDTH
    # Room around the drawing: labels sit to the right of their point.
    left, right, top, bottom = 16, 150, 16, 28
    inner_w = width - left - right
    inner_h = max(180, min(480, round(inner_w * span_y / span_x))) if span_x else inner_w
    height = inner_h + top + bottom

    def xy(lon: float, lat: float) -> str:
        x = left + (lon - west) * x_scale / span_x * inner_w
        y = top + (north - lat) / span_y * inner_h
        return f"{x:.1f},{y:.1f}"

    parts = [f'<svg class="settlement-map" id="settlement-map" viewBox="0 0 {width} {height}" '
             f'role="img" aria-labelledby="map-title" xmlns="http://www.w3.org/2000/svg">',
             f'<title id="map-title">{escape(label)}</title>',
             f'<rect class="map-bg" x="0" y="0" width="{width}" height="{height}"/>']
    for place in places:
        name = escape(place.name)
        shapes = []
        if place.boundary:
            points = " ".join(xy(lon, lat) for lon, lat in place.boundary)
            shapes.append(f'<polygon class="map-boundary" points="{points}"/>')
        if place.lon is not None and place.lat is not None:
            x, y = xy(place.lon, place.lat).split(",")
            shapes.append(f'<circle class="map-point" cx="{x}" cy="{y}" r="7"/>')
            shapes.append(f'<text class="map-label" x="{float(x) + 10:.1f}" '
                          f'y="{float(y) + 5:.1f}">{name}</text>')
        if shapes:
            css = f"map-place {place.css_class}".strip()
            parts.append(f'<a href="{escape(place.href)}" class="{escape(css)}" '
                         f'data-settlement-id="{escape(place.id)}"><title>{name}</title>'
                         + "".join(shapes) + "</a>")
    parts.append(f'<text class="map-scale" x="8" y="{height - 8}">'
                 f'{escape(_scale_text(span_x, width))}</text></svg>')
    return Markup("".join(parts))


def _scale_text(span_x_degrees: float, width: int) -> str:
    km = span_x_degrees * 111.32
    return _("%(km).1f km across", km=km) if km >= 1 else \
        _("%(m).0f m across", m=km * 1000)


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None
    text: str  # what is written beside the bar ("1,234", "<5", "not available")


def bar_chart(title: str, bars: Sequence[Bar], chart_id: str) -> Markup:
    """Horizontal bars scaled to the largest value; missing values get no bar."""
    row, label_w, bar_x, bar_w = 30, 190, 200, 300
    height = row * max(len(bars), 1) + 10
    top = max((b.value for b in bars if b.value is not None and b.value > 0), default=0)
    parts = [f'<figure class="chart" id="{escape(chart_id)}"><figcaption>{escape(title)}'
             f'</figcaption><svg viewBox="0 0 600 {height}" role="img" '
             f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">']
    for i, bar in enumerate(bars):
        y = 5 + i * row
        label = bar.label if len(bar.label) <= 17 else bar.label[:16].rstrip() + "…"
        parts.append(f'<text class="chart-label" x="{label_w}" y="{y + 19}" '
                     f'text-anchor="end"><title>{escape(bar.label)}</title>'
                     f'{escape(label)}</text>')
        length = 0.0
        if bar.value is not None and bar.value > 0 and top > 0:
            length = max(bar.value / top * bar_w, 2)
            parts.append(f'<rect class="chart-bar" x="{bar_x}" y="{y + 4}" '
                         f'width="{length:.1f}" height="{row - 10}"/>')
        parts.append(f'<text class="chart-value" x="{bar_x + length + 6:.1f}" '
                     f'y="{y + 19}">{escape(bar.text)}</text>')
    if not bars:
        parts.append(f'<text class="chart-label" x="10" y="25">{escape(_("No data"))}</text>')
    parts.append("</svg></figure>")
    return Markup("".join(parts))


#: Codes of the indicators themselves (no form lists them): land owners, water sources,
#: compared quantities.
INDICATOR_CODES = {
    "households": _l("Households"), "population": _l("Population"),
    "structures": _l("Structures"), "unknown": _l("Unknown"), "Unknown": _l("Unknown"),
    "private_owner": _l("Private owner"), "municipality": _l("Municipality"),
    "crown_land": _l("Crown land"), "customary_land": _l("Customary land"),
    "church_land": _l("Church land"), "railway": _l("Railway"),
    "airport_authority": _l("Airport authority"), "port_trust": _l("Port trust"),
    "defense": _l("Defence"), "other_government": _l("Other government"),
    "other": _l("Other"), "shared_taps": _l("Shared taps"),
    "individual_taps": _l("Individual taps"), "boreholes": _l("Boreholes"),
    "hand_pumps": _l("Hand pumps"), "protected_wells": _l("Protected wells"),
    "unprotected_wells": _l("Unprotected wells"), "springs": _l("Springs"),
    "kiosks_tanks": _l("Kiosks and tanks"), "vendors_trucks": _l("Vendors and trucks"),
}


def code_label(code: object) -> str:
    """A choice code as its label in the SDI forms, in the reader's language (the form's
    own translation); a code no form lists as words: "age_0_4" -> "Age 0 4"."""
    if code is None or code == "":
        return _("not available")
    if has_request_context():
        if "hesabu_choice_labels" not in g:
            g.hesabu_choice_labels = choice_labels(language())
        found = g.hesabu_choice_labels.get(str(code)) or INDICATOR_CODES.get(str(code))
        if found:
            return str(found)
    text = str(code).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def number_text(value: object, digits: int = 0, suppressed: bool = False,
                threshold: int = 5, unit: str = "") -> str:
    """A figure for people: thousands separated, "<5" when suppressed, "not available"
    when missing."""
    if suppressed:
        return f"<{threshold}"
    if value is None:
        return _("not available")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return code_label(value)
    shown = f"{value:,.{digits}f}" if digits or value != int(value) else f"{int(value):,}"
    if digits == 0 and value != int(value):
        shown = f"{value:,.1f}"
    return f"{shown}{unit}"
