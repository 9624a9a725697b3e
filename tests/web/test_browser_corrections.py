"""A leader corrects a household in the real browser (issue 16, integrity): through the
question's own input, checked by the form as the tablet checks it, with the title
recomputed and the edit in the record's history."""

from __future__ import annotations

from browser_harness import Site, log_in
from playwright.sync_api import Page

from server.services.demo import DEMO_PASSWORDS


def _open_a_household(page: Page, site: Site) -> str:
    log_in(page, site, "leader.nairobi", DEMO_PASSWORDS["leader"])
    page.goto(f"{site.url}/records/?form=sdi_household_enumeration")
    links = page.locator("table tbody a[href*='/records/']")
    assert links.count() >= 6
    href = links.nth(5).get_attribute("href")  # not the first: other tests review that one
    assert href
    page.goto(f"{site.url}{href}" if href.startswith("/") else href)
    return page.url.split("#")[0].split("?")[0]


def _correct(page: Page, field: str) -> None:
    with page.expect_navigation():
        page.locator(f"a.fix[href*='correct={field}']").first.click()
    assert page.locator("form[data-correction]").is_visible()


def _errors(page: Page) -> str:
    return " ".join(page.locator(".flash-error").all_inner_texts())


def _save(page: Page) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name="Save correction").click()


def test_a_correction_goes_through_the_form_and_shows_in_the_history(laptop: Page,
                                                                     site: Site) -> None:
    record_url = _open_a_household(laptop, site)
    title = laptop.locator("[data-record-title]").inner_text()

    # A required answer cannot be cleared: refused with the form's words, nothing saved.
    _correct(laptop, "household/head_name")
    old_name = laptop.locator("form[data-correction] #value").input_value()
    assert old_name and old_name in title
    laptop.fill("form[data-correction] #value", "")
    _save(laptop)
    assert "an answer is required" in _errors(laptop)
    assert laptop.locator("[data-record-title]").inner_text() == title

    # A constraint the tablet enforces is enforced here too.
    _correct(laptop, "household/members_count")
    assert laptop.locator("form[data-correction] input#value[type=number]").count() == 1
    laptop.fill("form[data-correction] #value", "0")
    _save(laptop)
    said = _errors(laptop)
    assert "How many people live in this household?: From 1 to 40 people." in said

    # A good correction is saved, the title (a calculation) follows, the history says it.
    _correct(laptop, "household/head_name")
    laptop.fill("form[data-correction] #value", "Neema Browser Correction")
    _save(laptop)
    assert "Saved" in laptop.locator(".flash").first.inner_text()
    assert "Neema Browser Correction" in laptop.locator("[data-record-title]").inner_text()
    history = laptop.locator("#edit-history li[data-edit=edited]").last
    assert old_name in history.locator("del").first.inner_text()
    assert "Neema Browser Correction" in history.locator("ins").first.inner_text()

    # A choice is corrected by its label. Becoming a tenant makes the rent needed: the
    # page keeps the choice and asks for the rent with it; both are saved together.
    _correct(laptop, "household/tenure")
    select = laptop.locator("form[data-correction] select#value")
    if select.input_value() == "tenant":
        select.select_option(value="owner")
        _save(laptop)
        _correct(laptop, "household/tenure")
    labels = dict(zip(select.locator("option").evaluate_all("os => os.map(o => o.value)"),
                      select.locator("option").all_inner_texts(), strict=True))
    assert labels["tenant"] == "Tenant (pays rent)"  # people read labels
    select.select_option(label="Tenant (pays rent)")
    _save(laptop)
    assert "Rent per month" in _errors(laptop)
    assert select.input_value() == "tenant"  # what was chosen is kept
    also = laptop.locator("form[data-correction] [data-also]")
    assert also.is_visible()
    laptop.fill("form[data-correction] input[name='value:household/monthly_rent']", "1500")
    _save(laptop)
    assert _errors(laptop) == ""
    laptop.goto(record_url)
    answers = laptop.locator("section[aria-label=Answers]").inner_text()
    assert "Tenant (pays rent)" in answers and "1500" in answers.replace(",", "")
