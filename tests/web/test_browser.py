"""Each role in a real browser: log in, walk the pages, do the main jobs, on a laptop
and on a phone, with no console errors and nothing fetched from outside."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
from browser_harness import LAPTOP, PHONE, Site, log_in
from playwright.sync_api import Page

from server.services.demo import DEMO_PASSWORDS

#: A demo user per role and the pages their menu must offer.
ROLES = {
    "admin": ("admin", {"Dashboard", "Records", "Conflicts", "Forms", "Downloads"}),
    "leader": ("leader.nairobi", {"Dashboard", "Records", "Conflicts", "Forms",
                                  "Downloads"}),
    "enumerator": ("amina", {"Records"}),  # and nothing else

    "official": ("official.nairobi", {"Downloads"}),
}
NOT_FOR = {"enumerator": {"Dashboard", "Conflicts", "Forms", "Settlements", "Downloads"},
           "official": {"Dashboard", "Records", "Conflicts", "Forms"}}


def menu(page: Page) -> dict[str, str]:
    # text_content, not inner_text: the links under the closed "More" have no rendered text.
    links = page.locator("nav.menu a")
    return {(links.nth(i).text_content() or "").strip(): links.nth(i).get_attribute("href")
            or "" for i in range(links.count())}


def fits(page: Page) -> bool:
    """No sideways scrolling of the whole page (wide tables scroll in their own box)."""
    return bool(page.evaluate(
        "document.documentElement.scrollWidth <= window.innerWidth + 1"))


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("device", ["laptop", "phone"])
def test_each_role_walks_its_pages(role: str, device: str, site: Site, shots: Path,
                                   request: pytest.FixtureRequest) -> None:
    page: Page = request.getfixturevalue(device)
    username, expected = ROLES[role]
    log_in(page, site, username, DEMO_PASSWORDS[role])
    links = menu(page)
    assert expected <= set(links), f"{role} menu: {sorted(links)}"
    assert not (NOT_FOR.get(role, set()) & set(links)), f"{role} menu: {sorted(links)}"
    for label, href in links.items():
        response = page.goto(site.url + href)
        assert response is not None and response.status == 200, f"{label}: {href}"
        assert page.locator("h1").count() >= 1, label
        if device == "phone":
            assert fits(page), f"{label} is wider than a phone screen"
        name = f"{role}-{label.lower().replace(' ', '-')}-{device}.png"
        page.screenshot(path=str(shots / name), full_page=device == "laptop")
    for forbidden in NOT_FOR.get(role, ()):
        path = {"Dashboard": "/dashboard/", "Records": "/records/",
                "Conflicts": "/conflicts/", "Forms": "/forms/", "Settlements": "/settlements",
                "Downloads": "/downloads"}[forbidden]
        response = page.goto(site.url + path)
        assert response is not None and response.status == 403, f"{role} opened {path}"


def test_leader_resolves_a_conflict_by_keeping_a_value(laptop: Page, site: Site,
                                                       shots: Path) -> None:
    log_in(laptop, site, "leader.nairobi", DEMO_PASSWORDS["leader"])
    laptop.goto(f"{site.url}/conflicts/")
    cards = laptop.locator("section.conflict")
    before = cards.count()
    assert before >= 1
    first = cards.first
    kept = first.locator(".version .value").first.inner_text()
    laptop.screenshot(path=str(shots / "conflicts-before.png"), full_page=True)
    with laptop.expect_navigation():
        first.get_by_role("button", name="Keep this").first.click()
    assert "Resolved" in laptop.locator(".flash").inner_text()
    assert kept in laptop.locator(".flash").inner_text()
    assert laptop.locator("section.conflict").count() == before - 1


def test_leader_approves_a_record_and_types_a_comment(laptop: Page, site: Site,
                                                      shots: Path) -> None:
    log_in(laptop, site, "leader.nairobi", DEMO_PASSWORDS["leader"])
    laptop.goto(f"{site.url}/records/")
    laptop.select_option("select[name=form]", "sdi_household_enumeration")
    laptop.select_option("select[name=state]", "")
    with laptop.expect_navigation():
        laptop.get_by_role("button", name="Show").click()
    with laptop.expect_navigation():
        laptop.locator("table tbody a").first.click()
    assert laptop.locator("[data-review-state]").inner_text() == "Not reviewed"
    assert laptop.locator("section.group table").count() >= 1  # members: a repeat as a table
    laptop.check("input[name=state][value=approved]")
    laptop.fill("textarea[name=comment]", "Checked with the family, thank you.")
    with laptop.expect_navigation():
        laptop.get_by_role("button", name="Save review").click()
    assert laptop.locator("[data-review-state]").inner_text() == "Approved"
    assert "Checked with the family" in laptop.locator("[aria-label='Review history']"
                                                       ).inner_text()
    laptop.screenshot(path=str(shots / "record-approved.png"), full_page=True)
    with laptop.expect_navigation():
        laptop.locator("a[data-parent]").click()  # the household's structure
    assert "Structure number painted on the wall" in laptop.inner_text("main")


def broken_form(folder: Path) -> Path:
    book = openpyxl.Workbook()
    survey = book.active
    survey.title = "survey"
    for row in (["type", "name", "label"], ["text", "point_name", "Water point"],
                ["integr", "taps", "Working taps"]):
        survey.append(row)
    settings = book.create_sheet("settings")
    settings.append(["form_id", "version"])
    settings.append(["water_points", "1"])
    path = folder / "water_points.xlsx"
    out = io.BytesIO()
    book.save(out)
    path.write_bytes(out.getvalue())
    return path


def test_admin_uploads_a_form_with_an_error_and_sees_its_row(laptop: Page, site: Site,
                                                             shots: Path,
                                                             tmp_path: Path) -> None:
    log_in(laptop, site, "admin", DEMO_PASSWORDS["admin"])
    laptop.goto(f"{site.url}/forms/")
    laptop.set_input_files("input[type=file]", str(broken_form(tmp_path)))
    with laptop.expect_navigation():
        laptop.get_by_role("button", name="Check the form").click()
    problems = laptop.locator("[data-problem]")
    assert problems.count() >= 1
    assert "row 3" in problems.first.inner_text()
    assert laptop.get_by_role("button", name="Publish version 1").count() == 0
    laptop.screenshot(path=str(shots / "forms-upload-error.png"), full_page=True)


def test_official_downloads_settlement_profiles(laptop: Page, site: Site,
                                                tmp_path: Path) -> None:
    log_in(laptop, site, "official.nairobi", DEMO_PASSWORDS["official"])
    laptop.goto(f"{site.url}/downloads")
    with laptop.expect_download() as info:
        laptop.locator("#download-settlements a", has_text="CSV").first.click()
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    text = target.read_text(encoding="utf-8-sig")
    assert "Mashimoni" in text and "Chaisa" not in text  # Nairobi's settlements only
    assert "Wanjiru" not in text  # aggregates: no names


def test_api_docs_page_works_offline(laptop: Page, site: Site) -> None:
    response = laptop.goto(f"{site.url}/api/docs")
    assert response is not None and response.status == 200
    assert laptop.locator("details").count() >= 8
    assert LAPTOP["width"] > PHONE["width"]


def test_a_household_record_reads_on_a_phone(phone: Page, site: Site, shots: Path) -> None:
    log_in(phone, site, "leader.nairobi", DEMO_PASSWORDS["leader"])
    phone.goto(f"{site.url}/records/?form=sdi_household_enumeration")
    with phone.expect_navigation():
        phone.locator("table tbody a").first.click()
    assert phone.locator("section.group table").count() >= 1
    assert fits(phone), "a record page is wider than a phone screen"
    assert phone.get_by_role("button", name="Save review").is_visible()
    phone.screenshot(path=str(shots / "record-phone.png"))


def test_the_leaders_menu_fits_one_line_at_1280_px(laptop: Page, site: Site,
                                                    shots: Path) -> None:
    """Found by hand (issue 16): the leader's fifteen menu items took three lines."""
    missing: list[str] = []
    laptop.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    log_in(laptop, site, "leader.nairobi", DEMO_PASSWORDS["leader"])
    assert laptop.viewport_size == LAPTOP
    tops = laptop.evaluate("""() => Array.from(document.querySelectorAll(
        '.topbar > *, nav.menu > ul > li')).map(e => Math.round(e.getBoundingClientRect().top))""")
    assert max(tops) - min(tops) <= 12, f"the top bar wraps: {tops}"
    assert fits(laptop)
    # The rest is one click away, the API documentation with it.
    more = laptop.locator("nav.menu details summary")
    more.click()
    for label in ("Users", "Devices", "Audit log", "API tokens", "API documentation"):
        assert laptop.locator("nav.menu details a", has_text=label).is_visible(), label
    laptop.screenshot(path=str(shots / "leader-menu.png"))
    with laptop.expect_navigation():
        laptop.locator("nav.menu details a", has_text="API documentation").click()
    assert laptop.url.endswith("/api/docs")
    assert missing == [], missing  # no /favicon.ico 404 on the way
