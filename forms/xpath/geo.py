"""area() and distance() over ODK geo answers, on a sphere like JavaRosa.

Points are "lat lon [alt [accuracy]]"; traces and shapes join points with ';'.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable

#: Earth radius JavaRosa uses for area() and distance(), in metres.
EARTH_RADIUS = 6378100.0

Point = tuple[float, float]


def parse_points(texts: Iterable[str]) -> list[Point] | None:
    """All points in the given geo strings, in order; None if any point is malformed."""
    points: list[Point] = []
    for text in texts:
        for chunk in text.split(";"):
            parts = chunk.split()
            if not parts:
                continue
            if len(parts) < 2:
                return None
            try:
                lat, lon = float(parts[0]), float(parts[1])
            except ValueError:
                return None
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                return None
            points.append((lat, lon))
    return points


def distance(points: list[Point]) -> float:
    """Length in metres of the line through `points` (haversine on the sphere)."""
    total = 0.0
    for (lat1, lon1), (lat2, lon2) in itertools.pairwise(points):
        p1, p2 = math.radians(lat1), math.radians(lat2)
        dp, dl = p2 - p1, math.radians(lon2 - lon1)
        h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
        total += 2 * EARTH_RADIUS * math.asin(min(1.0, math.sqrt(h)))
    return total


def area(points: list[Point]) -> float:
    """Area in square metres of the polygon through `points` (closed or not).

    Spherical excess by the trapezoid rule of Chamberlain & Duquette, "Some algorithms for
    polygons on a sphere" (JPL 2007), exact enough for settlement-sized shapes.
    """
    if len(points) > 1 and points[0] == points[-1]:
        points = points[:-1]
    if len(points) < 3:
        return 0.0
    total = 0.0
    n = len(points)
    for i in range(n):
        lat1, lon1 = points[i]
        lat2, lon2 = points[(i + 1) % n]
        total += math.radians(lon2 - lon1) * (
            2 + math.sin(math.radians(lat1)) + math.sin(math.radians(lat2))
        )
    return abs(total * EARTH_RADIUS * EARTH_RADIUS / 2.0)
