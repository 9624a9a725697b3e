"""The settlements list, settlement and city profile pages and the downloads page, as
each role sees them in a browser session."""

from __future__ import annotations

import re

from kyc_data import CHAISA, MASHIMONI, NAMES, page
from personas import People


def test_settlements_list_filters_and_draws_an_offline_map(people: People) -> None:
    html = page(people.admin, "/settlements")
    assert 'id="settlement-map"' in html and "<svg" in html
    assert html.count('class="map-boundary"') == 2  # both settlements have a boundary
    assert 'data-total="2"' in html
    assert "https://" not in html.split("<main")[1]  # nothing fetched from the internet
    html = page(people.admin, "/settlements?eviction_threat=yes")
    assert 'data-total="1"' in html and f'data-settlement-id="{MASHIMONI}"' in html
    assert f'data-settlement-id="{CHAISA}"' not in html
    html = page(people.admin, "/settlements?city=lusaka")
    assert f'data-settlement-id="{CHAISA}"' in html and 'data-total="1"' in html
    html = page(people.admin, f"/settlements?federation_id={people.federation_b}")
    assert f'data-settlement-id="{CHAISA}"' in html and 'data-total="1"' in html
    response = people.admin.client.get("/settlements?legal_status=mystery")
    assert response.status_code == 400 and b'id="filter-problems"' in response.data
    # A leader of federation B sees only Chaisa; an enumerator sees no profiles.
    html = page(people.leader_b, "/settlements")
    assert 'data-total="1"' in html and "Mashimoni" not in html
    assert people.enumerator_a.client.get("/settlements").status_code == 403


def test_settlement_page_has_cards_comparison_and_charts(people: People) -> None:
    html = page(people.leader_a, f"/settlements/{MASHIMONI}")
    assert re.search(r'data-indicator="people_per_working_toilet_seat"><span class="value">'
                     r"67\.4</span>", html)
    assert re.search(r'data-indicator="density_per_km2"><span class="value">156,067\.1', html)
    assert 'id="comparison"' in html and "3,100" in html and "-99.8%" in html
    for chart in ("chart-ownership", "chart-enum-tenure", "chart-enum-sex", "chart-enum-age"):
        assert f'id="{chart}"' in html
    assert "Under eviction threat (high)" in html
    assert people.leader_b.client.get(f"/settlements/{MASHIMONI}").status_code == 404


def test_official_pages_suppress_and_name_nobody(people: People) -> None:
    for path in (f"/settlements/{MASHIMONI}", "/cities/Nairobi", "/settlements", "/downloads"):
        html = page(people.official_a, path)
        assert not [name for name in NAMES if name in html], path
    html = page(people.official_a, f"/settlements/{MASHIMONI}")
    assert 'id="suppression-note"' in html and "&lt;5" in html
    html = page(people.official_a, "/downloads")
    assert 'id="download-records"' not in html and 'id="official-note"' in html
    html = page(people.leader_a, "/downloads")
    assert "/api/exports/records/sdi_household_enumeration.csv" in html


def test_city_page_and_city_list(people: People) -> None:
    response = people.official_a.client.get("/cities")
    assert response.status_code == 302 and response.headers["Location"].endswith(
        "/cities/Nairobi")
    html = page(people.admin, "/cities")
    assert 'id="city-list"' in html and "Lusaka" in html and "Nairobi" in html
    html = page(people.admin, "/cities/nairobi")
    assert 'id="city-heading">Nairobi<' in html
    assert 'id="chart-status"' in html and 'id="chart-priorities"' in html
    assert "78.9%" in html  # 142 of 180 known settlements profiled (city profile record)
    assert people.admin.client.get("/cities/atlantis").status_code == 404


def chart_values(html: str, chart: str) -> dict[str, str]:
    """{bar label: the text beside the bar} of one bar chart of a page."""
    svg = html.split(f'id="{chart}"', 1)[1].split("</figure>", 1)[0]
    labels = re.findall(r'class="chart-label"[^>]*data-label="([^"]*)"', svg)
    values = re.findall(r'class="chart-value"[^>]*>([^<]*)<', svg)
    return dict(zip(labels, values, strict=True))


def test_hidden_to_protect_does_not_read_as_a_small_count(people: People) -> None:
    # Mashimoni: 1 owner (small) and 5 tenants of 6 households; the tenants are hidden
    # only so that 6 - 5 does not give the owner back: 5 is not "<5".
    html = page(people.official_a, f"/settlements/{MASHIMONI}")
    # (bars are labelled with the form's own choice labels)
    assert chart_values(html, "chart-enum-tenure") == {"Owner": "&lt;5",
                                                       "Tenant (pays rent)": "–"}
    assert 'id="protected-note"' in html and "It may be large." in html
    enumerated = re.search(r"Households with electricity</th><td[^>]*>[^<]*</td>"
                           r"<td[^>]*>([^<]*)<", html)
    assert enumerated and enumerated.group(1) == "–"  # a percentage, not a count
    html = page(people.official_a, "/downloads")
    assert "read “&lt;5”" not in html and "suppressed_protected when it is hidden" in html


def test_countries_money_and_percentage_points_read_as_words(people: People) -> None:
    html = page(people.admin, f"/settlements/{MASHIMONI}")
    assert 'id="settlement-country">Kenya<' in html and "KE" not in html.split(
        'id="settlement-country">')[1][:10]
    assert "KES 600" in html  # water cost per month, reported and enumerated
    assert re.search(r"Households with electricity</th>.*?percentage points</td>", html)
    html = page(people.admin, "/cities/nairobi")
    assert 'id="city-country">Kenya' in html and "KE Kenya" not in html
    # In French every figure follows French conventions, not a mix of two.
    response = people.admin.client.get(f"/settlements/{MASHIMONI}",
                                       headers={"Accept-Language": "fr"})
    html = response.get_data(as_text=True)
    assert re.search(r'data-indicator="density_per_km2"><span class="value">156\s067,1<',
                     html)
    assert "156,067" not in html and re.search(r"-99,8\s%", html)
