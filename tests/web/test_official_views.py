"""An official's city page in the real browser: chart labels are whole and inside their
chart, a figure hidden to protect a small count reads "–" (not "<5") with its note.
Regenerates docs/screenshots/city-profile*.png when HESABU_SCREENSHOTS is set."""

from __future__ import annotations

from pathlib import Path

from browser_harness import Site, log_in
from playwright.sync_api import Page

from server.services.demo import DEMO_PASSWORDS

#: The words a bar label shows (its <tspan> lines), and whether its box lies inside the
#: chart's box (a label cut at the left edge of the drawing is as bad as one cut short).
LABELS_JS = """chart => {
  const svg = chart.querySelector('svg').getBoundingClientRect();
  return Array.from(chart.querySelectorAll('text.chart-label')).map(label => {
    const box = label.getBoundingClientRect();
    const words = Array.from(label.childNodes).filter(n => n.nodeName !== 'title')
      .map(n => n.textContent.trim()).join(' ');
    return [words, box.left >= svg.left - 0.5 && box.right <= svg.right + 0.5];
  });
}"""


def test_an_official_reads_whole_labels_and_hidden_figures(laptop: Page, site: Site,
                                                          shots: Path) -> None:
    log_in(laptop, site, "official.nairobi", DEMO_PASSWORDS["official"])
    laptop.goto(f"{site.url}/cities/Nairobi")
    status = laptop.locator("#chart-status").evaluate(LABELS_JS)
    # (the settlement profile form's own labels of the legal status choices)
    assert sorted(status) == [["Declared, legal, protected", True],
                              ["Undeclared, illegal, unprotected", True]]
    for chart in ("#chart-priorities", "#chart-city-toilet", "#chart-city-water_source"):
        labels = laptop.locator(chart).evaluate(LABELS_JS)
        assert labels and all(inside and "…" not in words for words, inside in labels), labels
    assert laptop.locator("#city-country").inner_text().startswith("Kenya")
    # The demo city hides open defecation and own flush toilets only because one of its
    # settlements hides them: the city's counts are large, so they read "–", not "<5".
    toilet = laptop.locator("#chart-city-toilet text.chart-value").all_text_contents()
    assert "–" in toilet and "<5" not in toilet
    assert laptop.locator("#protected-note").is_visible()
    laptop.screenshot(path=str(shots / "city-profile.png"),
                      clip={"x": 0, "y": 0, "width": 1280, "height": 1500}, full_page=True)
    laptop.locator("#enumeration").screenshot(path=str(shots / "city-profile-hidden.png"))
