"""Inline SVG drawn on the server: a map of settlement points and boundaries, and
horizontal bar charts. No script, no tiles, no fonts to fetch: they work offline and
print. Everything users typed is escaped.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from babel.numbers import format_decimal, format_percent
from flask import g, has_request_context
from flask_babel import gettext as _
from markupsafe import Markup, escape

from server.i18n import language, money_text
from server.services.choice_labels import choice_labels
from server.services.indicators import privacy
from server.services.indicators.words import INDICATOR_WORDS

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
    text: str  # what is written beside the bar ("1,234", "<5", "–", "not available")


#: Characters of a bar label per line: labels wrap onto more lines, never cut.
_LABEL_CHARS = 20


def _label_lines(label: str) -> list[str]:
    """A label in lines of at most _LABEL_CHARS characters, broken between words (a
    longer word is broken where it must): every character is kept."""
    return textwrap.wrap(label, _LABEL_CHARS, break_on_hyphens=False) or [""]


def bar_chart(title: str, bars: Sequence[Bar], chart_id: str) -> Markup:
    """Horizontal bars scaled to the largest value; missing values get no bar. A long
    label wraps onto several lines (the row grows), so no label is cut."""
    line, label_w, bar_x, bar_w = 22, 230, 240, 260
    layout = [(bar, _label_lines(bar.label)) for bar in bars]
    heights = [max(30, line * len(lines) + 8) for _, lines in layout]
    height = sum(heights) + 10
    top = max((b.value for b in bars if b.value is not None and b.value > 0), default=0)
    parts = [f'<figure class="chart" id="{escape(chart_id)}"><figcaption>{escape(title)}'
             f'</figcaption><svg viewBox="0 0 600 {height}" role="img" '
             f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">']
    y = 5
    for (bar, lines), row in zip(layout, heights, strict=True):
        first = y + row / 2 - line * (len(lines) - 1) / 2 + 6
        spans = "".join(f'<tspan x="{label_w}" y="{first + i * line:.1f}">{escape(text)}'
                        f"</tspan>" for i, text in enumerate(lines))
        parts.append(f'<text class="chart-label" text-anchor="end" '
                     f'data-label="{escape(bar.label)}">{spans}</text>')
        length = 0.0
        if bar.value is not None and bar.value > 0 and top > 0:
            length = max(bar.value / top * bar_w, 2)
            parts.append(f'<rect class="chart-bar" x="{bar_x}" y="{y + row / 2 - 10:.1f}" '
                         f'width="{length:.1f}" height="20"/>')
        parts.append(f'<text class="chart-value" x="{bar_x + length + 6:.1f}" '
                     f'y="{y + row / 2 + 6:.1f}">{escape(bar.text)}</text>')
        y += row
    if not bars:
        parts.append(f'<text class="chart-label" x="10" y="25">{escape(_("No data"))}</text>')
    parts.append("</svg></figure>")
    return Markup("".join(parts))


def code_label(code: object) -> str:
    """A code in words in the reader's language: an indicator key (INDICATOR_WORDS), else
    a choice by its label in the SDI forms (the form's own translation), else the code's
    own words ("age_0_4" -> "Age 0 4")."""
    if code is None or code == "":
        return _("not available")
    if has_request_context():
        if "hesabu_choice_labels" not in g:
            g.hesabu_choice_labels = choice_labels(language())
        found = INDICATOR_WORDS.get(str(code)) or g.hesabu_choice_labels.get(str(code))
        if found:
            return str(found)
    text = str(code).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def number_text(value: object, digits: int = 0, hidden: str | None = None,
                threshold: int = 5, unit: str = "") -> str:
    """A figure for people: thousands separated, "not available" when missing; for a
    value hidden from officials (`hidden`, privacy.SMALL or PROTECTED), "<5" when it is
    itself a small count and HIDDEN_MARK when it is hidden to protect one (its value may
    be large: it must not read as a small count)."""
    if hidden == privacy.SMALL:
        return f"<{threshold}"
    if hidden is not None:
        return HIDDEN_MARK
    if value is None:
        return str(_("not available"))
    if isinstance(value, bool) or not isinstance(value, int | float):
        return code_label(value)
    # Babel writes the separators of the reader's language ("2,201.5"; "2 201,5" in
    # French), as percent_text and money do: one page never mixes two conventions.
    decimals = digits or (0 if value == int(value) else 1)
    shown = format_decimal(value, format="#,##0" + ("." + "0" * decimals if decimals else ""),
                           locale=language())
    return f"{shown}{unit}"


#: What a value hidden to protect a small count reads on pages (an en dash).
HIDDEN_MARK = "\u2013"


def percent_text(value: float | None, hidden: str | None = None, threshold: int = 5,
                 signed: bool = False) -> str:
    """A percentage (45.2 for 45.2 %) in the reader's language, one decimal at most:
    "45.2%" in English, "45,2 %" in French; "+3.5%" when `signed`."""
    if hidden is not None or value is None:
        return number_text(value, hidden=hidden, threshold=threshold)
    share = Decimal(str(round(abs(value), 1))) / 100
    text = format_percent(share, locale=language(), decimal_quantization=False)
    return (("+" if value > 0 else "-" if value < 0 else "") if signed else
            ("-" if value < 0 else "")) + text


def points_text(value: float | None) -> str:
    """A difference between two percentages, in percentage points: "+15.0 percentage
    points" (45 % against 60 % is 15 points, not 33 %)."""
    if value is None:
        return str(_("not available"))
    number = format_decimal(round(value, 1), format="+#,##0.0;-#,##0.0", locale=language())
    return str(_("%(number)s percentage points", number=number))


def money(value: float | None, country: object, hidden: str | None = None,
          threshold: int = 5) -> str:
    """An amount with the currency of the settlement's country ("KES 1,500")."""
    if hidden is not None or value is None:
        return number_text(value, hidden=hidden, threshold=threshold)
    return money_text(value, country) or str(_("not available"))
