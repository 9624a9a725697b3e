"""The records table in a real browser (issue 16): a leader picks question columns,
sorts on one, filters on another, ticks the page and reviews it at once."""

from __future__ import annotations

from pathlib import Path

from browser_harness import Site, log_in
from playwright.sync_api import Page

from server.services.demo import DEMO_PASSWORDS

MEMBERS = "q:household/members_count"
TENURE = "q:household/tenure"


def column(page: Page, key: str) -> list[str]:
    return page.locator(f"#records-table tbody td[data-column='{key}']").all_inner_texts()


def test_a_leader_sorts_filters_and_reviews_a_page_at_once(laptop: Page, site: Site,
                                                          shots: Path) -> None:
    log_in(laptop, site, "leader.nairobi", DEMO_PASSWORDS["leader"])
    laptop.goto(f"{site.url}/records/?form=sdi_household_enumeration")
    headings = laptop.locator("#records-table thead th[data-column]")
    assert headings.first.inner_text() == "Structure number painted on the wall"
    for name in ("Submitted", "Enumerator", "Device", "Review", "Conflicts"):
        assert laptop.locator("#records-table thead th", has_text=name).count() == 1
    laptop.locator(".column-chooser summary").click()
    laptop.get_by_label("How many people live in this household?").check()
    laptop.get_by_label("Does the household own or rent this home?").check()
    with laptop.expect_navigation():
        laptop.get_by_role("button", name="Show").click()
    with laptop.expect_navigation():  # most people first
        laptop.locator(f"th[data-column='{MEMBERS}'] a").click()
    assert laptop.locator(f"th[data-column='{MEMBERS}'] a").get_attribute(
        "aria-sort") == "descending"
    sizes = [int(n) for n in column(laptop, MEMBERS) if n.strip().isdigit()]
    assert len(sizes) >= 10 and sizes == sorted(sizes, reverse=True)
    laptop.select_option("select[name='f.household/tenure']", "tenant")
    with laptop.expect_navigation():
        laptop.get_by_role("button", name="Filter", exact=True).click()
    tenures = column(laptop, TENURE)
    assert tenures and set(tenures) == {"Tenant (pays rent)"}
    sizes = [int(n) for n in column(laptop, MEMBERS) if n.strip().isdigit()]
    assert sizes == sorted(sizes, reverse=True)  # the sort is kept under the filter
    total = int(laptop.locator("[data-total]").inner_text())
    assert 0 < total < 1000
    laptop.locator("#tick-all").check()
    ticked = laptop.locator("#records-table input[name=record_id]:checked").count()
    assert ticked == min(total, 50)
    laptop.check("#bulk-review input[name=state][value=has_issues]")
    laptop.fill("#bulk-comment", "Rent missing: ask again at the next visit.")
    laptop.screenshot(path=str(shots / "records-table.png"), full_page=True,
                      clip={"x": 0, "y": 0, "width": 1280, "height": 1600})
    with laptop.expect_navigation():
        laptop.get_by_role("button", name="Review the ticked records").click()
    assert f"{ticked} records marked has issues." in laptop.locator(".flash").inner_text()
    states = laptop.locator("#records-table tbody td .badge").all_inner_texts()
    assert states.count("Has issues") == ticked
    # The filters, the sort and the columns are still those chosen.
    assert set(column(laptop, TENURE)) == {"Tenant (pays rent)"}
    assert laptop.locator(f"th[data-column='{MEMBERS}'] a").get_attribute(
        "aria-sort") == "descending"
