"""GPS accuracy against the form's thresholds, and traces and shapes measured and drawn.

Accuracy follows ODK's XLSForm parameters on a geopoint question:
`capture-accuracy` (metres; a fix this good is taken on its own, default 5) and
`warning-accuracy` (metres; a fix worse than this is poor: the enumerator is warned and
must confirm to keep it, default 100).

    limits = accuracy_limits(node)                 # Limits(capture=5.0, warning=100.0)
    judge(12.0, limits)                            # FAIR
    outline = measure("-1.3 36.7 0 0;-1.3 36.8 0 0;-1.4 36.8 0 0")
    outline.area_m2, outline.length_m, outline.xy  # xy: metres east/north of the centre

Distances use a local flat projection around the shape's centre: exact to well under
1% for anything a person walks around (a structure, a settlement of a few km).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from forms.spec import Node

#: ODK Collect's defaults when the form sets no parameter.
DEFAULT_CAPTURE_M = 5.0
DEFAULT_WARNING_M = 100.0

#: A fix at or better than `capture` is taken automatically; up to `warning` it may be
#: used; worse than `warning` it is poor.
GOOD, FAIR, POOR = "good", "fair", "poor"

EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True)
class Limits:
    capture: float = DEFAULT_CAPTURE_M
    warning: float = DEFAULT_WARNING_M


def _metres(text: str | None, default: float) -> float:
    try:
        value = float(str(text).strip())
    except (TypeError, ValueError):
        return default
    return value if value > 0 and math.isfinite(value) else default


def accuracy_limits(node: Node) -> Limits:
    """The question's thresholds (a malformed parameter falls back to the default)."""
    params = node.parameters or {}
    capture = _metres(params.get("capture-accuracy"), DEFAULT_CAPTURE_M)
    warning = _metres(params.get("warning-accuracy"), DEFAULT_WARNING_M)
    return Limits(capture, max(warning, capture))


def judge(accuracy: float, limits: Limits) -> str:
    """GOOD, FAIR or POOR for a fix's accuracy in metres (0 or less: unknown, POOR)."""
    if accuracy <= 0 or not math.isfinite(accuracy):
        return POOR
    if accuracy <= limits.capture:
        return GOOD
    return FAIR if accuracy <= limits.warning else POOR


@dataclass(frozen=True)
class Outline:
    """A geotrace or geoshape as drawn and measured."""

    points: tuple[tuple[float, float], ...]  # (lat, lon), a shape's ring left open
    closed: bool
    #: Metres east and north of the centre of the points' bounding box, per point.
    xy: tuple[tuple[float, float], ...]
    length_m: float  # a trace's length, a shape's perimeter
    area_m2: float  # 0 for a trace or fewer than 3 points
    width_m: float  # the bounding box, for the scale bar
    height_m: float


def points_of(value: str | None) -> list[tuple[float, float]]:
    """(lat, lon) of each point of a geotrace/geoshape answer; bad parts are skipped."""
    out = []
    for part in (value or "").split(";"):
        numbers = part.split()
        if len(numbers) < 2:
            continue
        try:
            out.append((float(numbers[0]), float(numbers[1])))
        except ValueError:
            continue
    return out


def measure(value: str | None, closed: bool = False) -> Outline:
    """Project, measure and describe a trace (`closed` False) or shape (True)."""
    points = points_of(value)
    if closed and len(points) > 1 and points[0] == points[-1]:
        points = points[:-1]
    if not points:
        return Outline((), closed, (), 0.0, 0.0, 0.0, 0.0)
    lats = [p[0] for p in points]
    lons = [p[1] for p in points]
    lat0 = (min(lats) + max(lats)) / 2
    lon0 = (min(lons) + max(lons)) / 2
    k = math.radians(1) * EARTH_RADIUS_M
    cos0 = math.cos(math.radians(lat0))
    xy = tuple(((lon - lon0) * k * cos0, (lat - lat0) * k) for lat, lon in points)
    ring = [*xy, xy[0]] if closed and len(xy) > 2 else list(xy)
    length = sum(math.dist(a, b) for a, b in itertools.pairwise(ring))
    area = 0.0
    if closed and len(xy) > 2:
        area = abs(sum(a[0] * b[1] - b[0] * a[1] for a, b in itertools.pairwise(ring))) / 2
    xs, ys = [p[0] for p in xy], [p[1] for p in xy]
    return Outline(tuple(points), closed, xy, length, area, max(xs) - min(xs),
                   max(ys) - min(ys))


def fit(outline: Outline, width: float, height: float, margin: float = 0.0
        ) -> tuple[list[tuple[float, float]], float]:
    """The outline's points in a box of `width` x `height` (same scale both ways, centred,
    y up) and the scale in box units per metre."""
    span = max(outline.width_m, outline.height_m, 1.0)
    scale = min(width - 2 * margin, height - 2 * margin) / span
    return [(width / 2 + x * scale, height / 2 + y * scale) for x, y in outline.xy], scale


def scale_bar(metres_across: float) -> float:
    """A round length (1, 2 or 5 x 10^n metres) about a quarter of `metres_across`."""
    target = max(metres_across / 4, 0.5)
    power = 10 ** math.floor(math.log10(target))
    for step in (5, 2, 1):
        if step * power <= target:
            return step * power
    return power


def describe_length(metres: float) -> str:
    return f"{metres / 1000:.2f} km" if metres >= 1000 else f"{metres:.0f} m"


def describe_area(m2: float) -> str:
    """Square metres, or hectares from one hectare up."""
    return f"{m2 / 10_000:.2f} ha" if m2 >= 10_000 else f"{m2:.0f} m²"
