"""A real OpenRosa client: Enketo (enketo-core + enketo-transformer from npm, pinned) in
headless Chromium fills Hesabu's SDI forms, downloaded from `/formList`, and submits them
to `/submission`: a structure with its GPS point and photo, then a household with its
members, on the central server (PostgreSQL) and on an office hub (SQLite) that relays
them to its central server. The records, members, photo and settlement indicators are
then checked on the server."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from collect import Collect
from enketo_client import ANDROID_CHROME, CHROMIUM, BrowserThread, enketo_bundle, serve_page
from openrosa_site import ROOT, Site, make_site, new_app, sdi_form
from pg_databases import fresh_database_url
from playwright.sync_api import Browser, Page
from server_harness import LiveServer, wipe
from sqlalchemy import select

from forms.submission import write_instance
from server.extensions import db
from server.models import Attachment, Record, RecordScope
from server.models.attachments import COMPLETE
from server.services.devices import create_enrolment_code
from server.services.hub import allow_relay, link_hub, sync_once
from server.services.indicators.profiles import Viewer, settlement_profile

ST, HH = "/sdi_structure_numbering", "/sdi_household_enumeration"
PHOTO = b"\xff\xd8\xff\xe0" + hashlib.sha256(b"wall").digest() * 300 + b"\xff\xd9"
MEMBERS = [("Wanjiru Kamau", 36, "female", "head", "secondary", "self_employed"),
           ("Peter Kamau", 12, "male", "child", "primary", None),
           ("Lucy Kamau", 3, "female", "child", None, None)]


@pytest.fixture(scope="module")
def chromium() -> Iterator[BrowserThread]:
    if not CHROMIUM.exists():
        pytest.fail("headless Chromium is missing: run `make browser`")
    bundle = enketo_bundle()  # before the clock of the first test: npm runs once a machine
    runner = BrowserThread()
    runner.browser.enketo_bundle = bundle
    yield runner
    runner.close()


class Enketo:
    """One tablet's Enketo page, on the server URL with the person's key."""

    def __init__(self, browser: Browser, key_url: str) -> None:
        self.context = browser.new_context(user_agent=ANDROID_CHROME, has_touch=True,
                                           is_mobile=True,
                                           viewport={"width": 800, "height": 1280})
        self.page: Page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("console", lambda m: self.errors.append(m.text)
                     if m.type == "error" else None)
        serve_page(self.page, browser.enketo_bundle)  # type: ignore[attr-defined]
        origin, _, key = key_url.partition("/key/")
        self.base = f"/key/{key}"
        self.page.goto(f"{origin}/__enketo__/index.html")

    def open(self, form_id: str) -> None:
        assert self.page.evaluate("([b, f]) => openForm(b, f)", [self.base, form_id]) == []

    def _input(self, selector: str, within: Any = None) -> Any:
        return (within or self.page).locator(selector)

    def text(self, path: str, value: Any, within: Any = None) -> None:
        box = self._input(f'[name="{path}"], [data-name="{path}"]', within).first
        box.fill(str(value))
        box.dispatch_event("change")  # Enketo updates its model on change

    def pick(self, path: str, value: str, within: Any = None) -> None:
        self._input(f'[data-name="{path}"][value="{value}"], [name="{path}"][value="{value}"]',
                    within).first.check()

    def geopoint(self, path: str, *values: str) -> None:
        question = self.page.locator(".question").filter(
            has=self.page.locator(f'[name="{path}"]'))
        for part, value in zip(("lat", "long", "alt", "acc"), values, strict=True):
            box = question.locator(f'input[name="{part}"]')
            box.fill(value)
            box.dispatch_event("change")

    def photo(self, path: str, name: str, data: bytes) -> None:
        self.page.set_input_files(f'input[type=file][name="{path}"]',
                                  files=[{"name": name, "mimeType": "image/jpeg",
                                          "buffer": data}])
        self.page.wait_for_function(
            f"""document.querySelector('input[type=file][name="{path}"]').files.length""")

    def repeat(self, index: int) -> Any:
        return self.page.locator(".or-repeat").nth(index)

    def submit(self) -> dict[str, Any]:
        answer = self.page.evaluate("(b) => submitForm(b)", self.base)
        assert answer["valid"], answer
        assert answer["status"] == 201, answer
        return answer

    def close(self) -> None:
        blocked = self.page.blocked  # type: ignore[attr-defined]
        self.context.close()
        assert blocked == [], f"requests outside 127.0.0.1: {blocked}"
        assert self.errors == [], self.errors


def fill_structure(enketo: Enketo, settlement_id: str) -> None:
    enketo.open("sdi_structure_numbering")
    # The form asks for the settlement record (a tablet fills it from the profile).
    enketo.text(f"{ST}/settlement_id", settlement_id)
    enketo.text(f"{ST}/settlement_name", "Mashimoni")
    enketo.text(f"{ST}/structure_number", "MSH-0142")
    enketo.geopoint(f"{ST}/gps", "-1.31342", "36.78911", "1701", "3.8")
    enketo.pick(f"{ST}/structure_use", "residential")
    enketo.text(f"{ST}/storeys", 1)
    enketo.pick(f"{ST}/wall_material", "iron_sheet")
    enketo.pick(f"{ST}/roof_material", "iron_sheet")
    enketo.text(f"{ST}/households", 1)
    enketo.photo(f"{ST}/photo", "front.jpg", PHOTO)


def fill_household(enketo: Enketo) -> None:
    enketo.open("sdi_household_enumeration")
    enketo.text(f"{HH}/structure_number", "MSH-0142")  # no record id: the number links it
    enketo.text(f"{HH}/household_in_structure", 1)
    enketo.pick(f"{HH}/consent", "yes")
    enketo.text(f"{HH}/household/head_name", "Wanjiru Kamau")
    enketo.text(f"{HH}/household/members_count", len(MEMBERS))  # Enketo adds the repeats
    member = f"{HH}/household/members"
    for index, (name, age, sex, relation, school, work) in enumerate(MEMBERS):
        box = enketo.repeat(index)
        enketo.text(f"{member}/member_name", name, box)
        enketo.text(f"{member}/member_age", age, box)
        enketo.pick(f"{member}/member_sex", sex, box)
        enketo.pick(f"{member}/relationship", relation, box)
        if school:
            enketo.pick(f"{member}/schooling", school, box)
        if work:
            enketo.pick(f"{member}/occupation", work, box)
    for name, value in (("tenure", "tenant"), ("water_source", "shared_tap"),
                        ("toilet", "communal_block"), ("electricity", "grid_shared"),
                        ("income_band", "half_to_one_min_wage"), ("disasters", "floods"),
                        ("evicted_before", "no"), ("savings_member", "yes")):
        enketo.pick(f"{HH}/household/{name}", value)
    enketo.text(f"{HH}/household/monthly_rent", 1500)
    enketo.text(f"{HH}/household/years_in_settlement", 8)


def seed_profile(site: Site) -> str:
    """Mashimoni's settlement profile, sent by amina's Collect; its record id is the
    settlement's id."""
    answers = json.loads((ROOT / "forms" / "examples" / "sdi_settlement_profile"
                          / "mashimoni_nairobi.json").read_text())
    xml = write_instance(sdi_form("sdi_settlement_profile"), answers, "uuid:profile-msh")
    collect = Collect(site.url, site.amina.username, site.amina.password)
    assert [r.status for r in collect.submit(xml)] == [201]
    with site.ctx():
        settlement = db.session.execute(select(Record.record_id).where(
            Record.form_id == "sdi_settlement_profile")).scalar_one()
        db.session.rollback()
    return settlement


def enketo_fills_and_submits(chromium: BrowserThread, site: Site) -> tuple[str, str]:
    """Structure then household through Enketo; (settlement id, photo's file name)."""
    settlement = seed_profile(site)
    return settlement, chromium.call(_in_the_browser, chromium.browser, site, settlement)


def _in_the_browser(browser: Browser, site: Site, settlement: str) -> str:
    enketo = Enketo(browser, site.amina.token_url)
    fill_structure(enketo, settlement)
    sent = enketo.submit()
    assert "SDI structure numbering: received" in sent["text"]
    photo_name = sent["xml"].split("<photo")[1].split(">")[1].split("<")[0]
    fill_household(enketo)
    assert "SDI household enumeration: received" in enketo.submit()["text"]
    enketo.close()
    return photo_name


def check_records(app: Any, settlement: str, photo_name: str, indicators: bool) -> None:
    with app.app_context():
        records = {r.form_id: r for r in db.session.execute(select(Record)).scalars()}
        structure = records["sdi_structure_numbering"].answers
        assert structure["gps"] == "-1.31342 36.78911 1701 3.8"
        assert structure["photo"] == photo_name and photo_name.endswith(".jpg")
        household = records["sdi_household_enumeration"].answers["household"]
        assert [(m["member_name"], m["member_age"], m["relationship"])
                for m in household["members"]] == [(n, a, r) for n, a, _, r, _, _ in MEMBERS]
        assert household["household_size"] == 3 and household["children_under_5"] == 1
        sha = hashlib.sha256(PHOTO).hexdigest()
        photo = db.session.get(Attachment, sha)
        assert photo is not None and photo.status == COMPLETE and photo.size == len(PHOTO)
        if indicators:
            scopes = set(db.session.execute(select(RecordScope.settlement_id)).scalars())
            assert scopes == {settlement}
            profile = settlement_profile(Viewer(), settlement)
            assert profile is not None
            enumeration = profile["enumeration"]
            assert (enumeration["structures"], enumeration["households"],
                    enumeration["population"]) == (1, 1, 3)
        db.session.rollback()


@pytest.fixture
def pg_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from fresh_database_url("postgresql", tmp_path_factory.mktemp("pg"))


def closing(app: Any) -> None:
    with app.app_context():
        db.session.remove()
        wipe()
        db.engine.dispose()


def test_enketo_fills_sdi_forms_for_the_central_server(chromium: BrowserThread, pg_url: str,
                                                       tmp_path: Path) -> None:
    app = new_app(pg_url, tmp_path / "central")
    with LiveServer(app) as server:
        site = make_site(app, f"http://127.0.0.1:{server.port}")
        settlement, photo_name = enketo_fills_and_submits(chromium, site)
        check_records(app, settlement, photo_name, indicators=True)
    closing(app)


def test_enketo_fills_sdi_forms_at_an_office_hub_which_relays_them(
        chromium: BrowserThread, pg_url: str, tmp_path: Path) -> None:
    central = new_app(pg_url, tmp_path / "central", HESABU_RELAY_ONLY_FROM_HUBS=True)
    hub = new_app(f"sqlite:///{tmp_path / 'hub.db'}", tmp_path / "hub", HESABU_NODE_ID="hub")
    with LiveServer(central) as upstream, LiveServer(hub) as office:
        with central.app_context():
            for form_id in ("sdi_settlement_profile", "sdi_structure_numbering",
                            "sdi_household_enumeration"):
                from server.services.forms import publish_form

                publish_form(sdi_form(form_id))
            code, _ = create_enrolment_code(1)
            allow_relay("hub-kibera")
        with hub.app_context():
            link_hub(f"http://127.0.0.1:{upstream.port}", code, "hub-kibera", "Kibera office")
            assert sync_once().error is None  # the hub receives the forms
        site = make_site(hub, f"http://127.0.0.1:{office.port}", publish=False)
        settlement, photo_name = enketo_fills_and_submits(chromium, site)
        check_records(hub, settlement, photo_name, indicators=True)
        with hub.app_context():
            result = sync_once()
            assert result.error is None and result.files == 1
        check_records(central, settlement, photo_name, indicators=False)
    closing(hub)
    closing(central)
