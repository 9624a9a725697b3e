"""The web in the leader's language, in a real browser: the picker on every page,
the choice kept with the person, menus, titles, download headings and the form's own
labels in Swahili and French."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_harness import Site, log_in
from playwright.sync_api import Page
from sqlalchemy import select

from server.extensions import db
from server.models import User
from server.services.accounts import set_language
from server.services.demo import DEMO_PASSWORDS

LEADER = "leader.nairobi"


def menu(page: Page) -> set[str]:
    return set(page.locator("nav.menu a").all_inner_texts())


def choose(page: Page, language: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=language).click()


@pytest.fixture
def leader_back_in_english(site: Site) -> Iterator[None]:
    """The demo leader is shared by the other browser tests: their language is reset."""
    yield
    with site.app.app_context():
        user = db.session.execute(select(User).where(User.username == LEADER)).scalar_one()
        set_language(user.id, None)
        db.session.remove()


def test_a_leader_switches_the_web_to_swahili_then_french(
        laptop: Page, site: Site, shots: Path, leader_back_in_english: None) -> None:
    log_in(laptop, site, LEADER, DEMO_PASSWORDS["leader"])
    laptop.goto(f"{site.url}/downloads")
    assert laptop.locator("h1").inner_text() == "Downloads"
    choose(laptop, "Kiswahili")
    # Back on the same page, now in Swahili: menu, title, headings of the downloads.
    assert laptop.url.endswith("/downloads")
    assert laptop.locator("html").get_attribute("lang") == "sw"
    assert {"Dashibodi", "Makazi", "Rekodi", "Vipakuliwa"} <= menu(laptop)
    assert laptop.title() == "Vipakuliwa · Hesabu"
    assert laptop.locator("#dl-settlements").inner_text() == "Wasifu wa makazi"
    assert laptop.locator("#dl-records").inner_text() == "Rekodi za shirikisho lako"
    assert laptop.get_by_role("button", name="Toka").is_visible()  # "Log out"
    laptop.screenshot(path=str(shots / "downloads-sw.png"), full_page=True)
    # A household record: the form's own Swahili labels and the page's words.
    laptop.goto(f"{site.url}/records/?form=sdi_household_enumeration")
    assert laptop.locator("h1").inner_text() == "Rekodi"
    with laptop.expect_navigation():
        laptop.locator("table tbody a").first.click()
    assert laptop.get_by_text("Jina la mkuu wa kaya").first.is_visible()
    assert laptop.get_by_role("button", name="Hifadhi ukaguzi").is_visible()
    # French, chosen on the record page; the choice is kept with the person: a new
    # browser session after logging out and in again reads French.
    choose(laptop, "Français")
    assert laptop.get_by_text("Nom du chef de ménage").first.is_visible()
    assert laptop.get_by_role("button", name="Enregistrer la vérification").is_visible()
    laptop.context.clear_cookies()
    log_in(laptop, site, LEADER, DEMO_PASSWORDS["leader"])
    assert laptop.locator("html").get_attribute("lang") == "fr"
    assert {"Tableau de bord", "Quartiers", "Fiches", "Téléchargements"} <= menu(laptop)
    laptop.goto(f"{site.url}/downloads")
    assert laptop.title() == "Téléchargements · Hesabu"
    assert laptop.locator("#dl-settlements").inner_text() == "Profils de quartier"
    laptop.goto(f"{site.url}/settlements")
    assert laptop.locator("h1").inner_text() == "Quartiers"
    assert laptop.locator("#settlement-table th").first.inner_text() == "Quartier"
    laptop.screenshot(path=str(shots / "settlements-fr.png"), full_page=True)
