"""The Leaflet map in a real browser: leaders see boundaries and structure points,
officials boundaries only; without a tile URL nothing is fetched and a scale bar still
draws; with one, tiles come only from that URL (served here by page.route: the test
never reaches the network)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_harness import LAPTOP, Site, Watch, log_in, open_context, serve, watch_page
from PIL import Image
from playwright.sync_api import Browser, Page

from server.app import create_app
from server.services.demo import DEMO_PASSWORDS

TILES = "https://tiles.example.test/osm/{z}/{x}/{y}.png"
TILE_PREFIX = "https://tiles.example.test/osm/"
ATTRIBUTION = "Map data © Test Tiles"


def drawn(page: Page) -> dict[str, int]:
    """Wait for the map, then count what it drew."""
    state = page.wait_for_selector(".map-wrap[data-map-ready]", state="attached")
    assert state is not None and state.get_attribute("data-map-ready") == "1", page.url
    return {name: page.locator(f".leaflet-holder path.{css}").count()
            for name, css in (("boundaries", "map-boundary"),
                              ("settlements", "map-settlement-point"),
                              ("structures", "map-structure"))}


def test_a_leader_sees_boundaries_structures_and_a_scale_without_tiles(
        laptop: Page, site: Site, shots: Path) -> None:
    log_in(laptop, site, "leader.nairobi", DEMO_PASSWORDS["leader"])
    laptop.goto(f"{site.url}/settlements")
    found = drawn(laptop)
    assert found["boundaries"] >= 2 and found["settlements"] >= 2, found
    assert found["structures"] >= 50, found
    assert laptop.locator(".leaflet-control-scale-line").first.is_visible()
    assert laptop.locator(".leaflet-holder.no-tiles").count() == 1
    assert laptop.locator("img.leaflet-tile").count() == 0  # no tile URL: no tiles
    assert not laptop.locator("svg.settlement-map").is_visible()  # Leaflet replaced it
    laptop.screenshot(path=str(shots / "settlements.png"), full_page=True)
    # One settlement's page: its own boundary and structures only.
    with laptop.expect_navigation():
        laptop.locator("#settlement-table tbody a").first.click()
    one = drawn(laptop)
    assert one["boundaries"] == 1 and one["settlements"] == 1, one
    assert 0 < one["structures"] < found["structures"], (one, found)
    # A structure's popup links to its record.
    laptop.locator(".leaflet-holder path.map-structure").first.dispatch_event("click")
    href = laptop.locator(".leaflet-popup a").first.get_attribute("href") or ""
    assert href.startswith("/records/")


def test_an_official_sees_boundaries_only(laptop: Page, site: Site, shots: Path) -> None:
    log_in(laptop, site, "official.nairobi", DEMO_PASSWORDS["official"])
    for path in ("/settlements", "/cities"):
        laptop.goto(site.url + path)
        found = drawn(laptop)
        assert found["boundaries"] >= 1 and found["settlements"] >= 1, (path, found)
        assert found["structures"] == 0, (path, found)
    laptop.screenshot(path=str(shots / "city-profile.png"), full_page=True)
    # The data itself, over HTTP with the official's session: no structure at all.
    answer = laptop.request.get(f"{site.url}/map/features")
    assert answer.status == 200
    kinds = {f["properties"]["kind"] for f in answer.json()["features"]}
    assert kinds == {"boundary", "settlement"}
    assert "/records/" not in answer.text()


def test_thousands_of_structures_draw_on_a_canvas(laptop: Page, site: Site) -> None:
    """A city's map with more structures than SVG handles well (the answer is made up
    here, 3,500 points around Nairobi, served in place of /map/features)."""
    features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [
        36.78 + (i % 70) * 0.0002, -1.31 - (i // 70) * 0.0002]},
        "properties": {"kind": "structure", "id": f"s{i}", "use": "residential",
                       "href": "/records/x"}} for i in range(3500)]
    body = json.dumps({"type": "FeatureCollection", "features": features})
    laptop.route("**/map/features*", lambda route: route.fulfill(
        status=200, content_type="application/geo+json", body=body))
    log_in(laptop, site, "leader.nairobi", DEMO_PASSWORDS["leader"])
    laptop.goto(f"{site.url}/settlements")
    found = drawn(laptop)
    assert found["structures"] == 0  # not 3,500 SVG elements ...
    assert laptop.locator(".leaflet-holder canvas").count() == 1  # ... one canvas
    assert laptop.locator(".map-wrap").get_attribute("data-map-structures") == "3500"


@pytest.fixture(scope="module")
def tiled_site(site: Site, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A second server on the demo database with an operator's tile URL."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": site.app.config["SQLALCHEMY_DATABASE_URI"],
                      "INSTANCE_PATH": str(tmp_path_factory.mktemp("tiled")),
                      "HESABU_MAP_TILES": TILES, "HESABU_MAP_ATTRIBUTION": ATTRIBUTION})
    with serve(app) as tiled:
        yield tiled


def a_tile() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (256, 256), (200, 230, 200)).save(out, format="PNG")
    return out.getvalue()


def test_tiles_come_only_from_the_configured_url(browser: Browser, tiled_site: Site,
                                                 watch: Watch) -> None:
    context = open_context(browser, LAPTOP, watch)
    page = watch_page(context.new_page(), watch)
    tile = a_tile()
    asked: list[str] = []
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url)
            if not r.url.startswith(tiled_site.url) else None)

    def serve_tile(route: Any) -> None:
        asked.append(route.request.url)
        route.fulfill(status=200, content_type="image/png", body=tile)

    # Only this URL is answered; any other outside request is blocked and fails the test.
    page.route(f"{TILE_PREFIX}**", serve_tile)
    log_in(page, tiled_site, "leader.nairobi", DEMO_PASSWORDS["leader"])
    page.goto(f"{tiled_site.url}/settlements")
    drawn(page)
    page.wait_for_selector("img.leaflet-tile-loaded")
    assert asked, "no tile was requested"
    assert outside and all(url.startswith(TILE_PREFIX) for url in outside), outside
    assert ATTRIBUTION in page.locator(".leaflet-control-attribution").inner_text()
    assert page.locator(".leaflet-control-scale-line").first.is_visible()
    context.close()
    watch.assert_clean()
