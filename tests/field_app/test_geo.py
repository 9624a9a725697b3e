"""GPS accuracy against the form's thresholds; traces and shapes measured to scale."""

from __future__ import annotations

import math

import pytest

from field_app.core import geo
from forms.spec import Node


def gps(parameters: dict[str, str] | None = None) -> Node:
    return Node(kind="question", type="geopoint", name="gps", path=("gps",),
                parameters=parameters or {})


def test_odk_defaults_apply_when_the_form_says_nothing() -> None:
    assert geo.accuracy_limits(gps()) == geo.Limits(5.0, 100.0)


def test_the_forms_thresholds_decide_good_fair_and_poor() -> None:
    limits = geo.accuracy_limits(gps({"capture-accuracy": "5", "warning-accuracy": "20"}))
    assert geo.judge(4.0, limits) == geo.GOOD  # taken on its own
    assert geo.judge(5.0, limits) == geo.GOOD
    assert geo.judge(12.0, limits) == geo.FAIR  # may be used
    assert geo.judge(48.0, limits) == geo.POOR  # the first fix indoors: warned
    assert geo.judge(0.0, limits) == geo.POOR  # unknown accuracy is not good


def test_malformed_thresholds_fall_back_and_stay_ordered() -> None:
    limits = geo.accuracy_limits(gps({"capture-accuracy": "ten", "warning-accuracy": "-3"}))
    assert limits == geo.Limits(5.0, 100.0)
    assert geo.accuracy_limits(gps({"capture-accuracy": "30", "warning-accuracy": "10"})
                               ) == geo.Limits(30.0, 30.0)


def square(side_m: float, lat: float = -1.3133, lon: float = 36.7876) -> str:
    dlat = side_m / (math.radians(1) * geo.EARTH_RADIUS_M)
    dlon = dlat / math.cos(math.radians(lat))
    corners = [(lat, lon), (lat, lon + dlon), (lat + dlat, lon + dlon), (lat + dlat, lon),
               (lat, lon)]
    return ";".join(f"{a} {b} 0 0" for a, b in corners)


def test_a_shape_has_its_area_and_perimeter_in_metres() -> None:
    outline = geo.measure(square(20), closed=True)
    assert len(outline.points) == 4  # the ring's repeated first point is not drawn twice
    assert outline.area_m2 == pytest.approx(400, rel=0.005)
    assert outline.length_m == pytest.approx(80, rel=0.005)
    assert outline.width_m == pytest.approx(20, rel=0.005)
    assert geo.describe_area(outline.area_m2) == "400 m²"
    assert geo.describe_area(25_000) == "2.50 ha"


def test_a_trace_has_a_length_and_no_area() -> None:
    outline = geo.measure("-1.3133 36.7876 0 0;-1.3133 36.7886 0 0")
    assert outline.area_m2 == 0
    assert outline.length_m == pytest.approx(111.3, rel=0.01)  # 0.001 deg of longitude
    assert geo.describe_length(1500) == "1.50 km"


def test_drawing_keeps_the_proportions_and_fits_the_box() -> None:
    outline = geo.measure(square(20), closed=True)
    points, scale = geo.fit(outline, 300, 200, margin=10)
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    assert max(xs) - min(xs) == pytest.approx(max(ys) - min(ys), rel=0.01)  # a square
    assert min(ys) >= 10 - 1e-6 and max(ys) <= 190 + 1e-6
    assert scale == pytest.approx(180 / 20, rel=0.01)
    assert geo.scale_bar(20) == 5 and geo.scale_bar(900) == 200 and geo.scale_bar(1) == 0.5


def test_bad_parts_of_an_answer_are_skipped_and_nothing_is_empty() -> None:
    assert geo.points_of("-1.3 36.7 0 0;junk;;-1.4 36.8") == [(-1.3, 36.7), (-1.4, 36.8)]
    empty = geo.measure(None, closed=True)
    assert empty.points == () and empty.area_m2 == 0
