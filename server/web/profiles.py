"""Settlement and city profile pages: indicator cards, reported vs enumerated, charts."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from werkzeug.wrappers import Response

from server.auth import current_user, roles_required
from server.i18n import country_name
from server.services.indicators.privacy import hidden_as
from server.services.indicators.profiles import (
    COMPARISONS,
    PERCENT_QUANTITIES,
    city_profile,
    list_cities,
    settlement_profile,
)
from server.services.indicators.viewer import PROFILE_ROLES, viewer_for
from server.web.profile_charts import (
    Bar,
    Place,
    bar_chart,
    code_label,
    money,
    number_text,
    percent_text,
    points_text,
    settlement_map,
)

bp = Blueprint("profiles", __name__)

#: Units of cards and rows that are not a plain suffix: a percentage and an amount of
#: money, written by Babel in the reader's language (money in the country's currency).
PERCENT, MONEY = "%", "money"
#: Cards of a settlement profile: (key, label, unit, decimals).
SETTLEMENT_CARDS = (
    ("population", _l("People"), "", 0),
    ("households", _l("Households"), "", 0),
    ("structures", _l("Structures"), "", 0),
    ("area_ha", _l("Area"), " ha", 1),
    ("density_per_ha", _l("People per hectare"), "", 0),
    ("density_per_km2", _l("People per km²"), "", 0),
    ("people_per_working_toilet_seat", _l("People per working toilet seat"), "", 0),
    ("people_per_working_tap", _l("People per working tap"), "", 0),
    ("electricity_households_pct", _l("Households with electricity"), PERCENT, 0),
    ("water_cost_month", _l("Water cost per month"), MONEY, 0),
    ("garbage_collections_per_week", _l("Garbage collections per week"), "", 0),
    ("clinic_minutes", _l("Minutes to a clinic"), "", 0),
    ("hospital_minutes", _l("Minutes to a hospital"), "", 0),
    ("savings_groups", _l("Savings groups"), "", 0),
)
CITY_CARDS = (
    ("settlements_profiled", _l("Settlements profiled"), "", 0),
    ("population", _l("People in profiled settlements"), "", 0),
    ("households", _l("Households"), "", 0),
    ("settlements_eviction_threat_pct", _l("Settlements under eviction threat"), PERCENT, 0),
    ("people_per_working_toilet_seat", _l("People per working toilet seat"), "", 0),
    ("people_per_working_tap", _l("People per working tap"), "", 0),
    ("density_per_ha", _l("People per hectare"), "", 0),
    ("electricity_households_pct", _l("Households with electricity"), PERCENT, 0),
    ("savings_groups", _l("Savings groups"), "", 0),
)
COMPARISON_LABELS = {"household_size": _l("Household size (people)"),
                     "electricity_households_pct": _l("Households with electricity"),
                     "water_cost_month": _l("Water cost per month")}
#: How each compared quantity is written (others are plain numbers).
COMPARISON_UNITS = {**dict.fromkeys(PERCENT_QUANTITIES, PERCENT), "water_cost_month": MONEY}
ENUMERATION_CHARTS = (("sex", _l("Household members by sex")),
                      ("age", _l("Household members by age")),
                      ("tenure", _l("Households by tenure")),
                      ("water_source", _l("Main water source")),
                      ("toilet", _l("Toilet used")), ("electricity", _l("Electricity")))


def notes_of(values: dict[str, Any]) -> dict[str, str]:
    """Why a figure is not available, or which settlements it leaves out, as sentences
    (`not_available` and `left_out` of the indicator services)."""
    found = {**(values.get("left_out") or {}), **(values.get("not_available") or {})}
    return {key: text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")
            for key, text in found.items() if text}


def figure_text(value: Any, unit: str = "", digits: int = 0, country: object = None,
                hidden: str | None = None, threshold: int = 5) -> str:
    """A figure with its unit: a percentage or money through Babel, else a number."""
    if unit == PERCENT:
        return percent_text(value, hidden=hidden, threshold=threshold)
    if unit == MONEY:
        return money(value, country, hidden=hidden, threshold=threshold)
    return number_text(value, digits, hidden=hidden, threshold=threshold, unit=unit)


def cards(values: dict[str, Any], spec: tuple[tuple[str, Any, str, int], ...],
          country: object = None) -> list[dict[str, str]]:
    notes = notes_of(values)
    return [{"key": key, "label": str(label),
             "text": figure_text(values.get(key), unit, digits, country),
             "note": notes.get(key, "")}
            for key, label, unit, digits in spec]


def enumeration_charts(enum: dict[str, Any], threshold: int, prefix: str) -> list[Any]:
    hidden = set(enum.get("suppressed") or ())
    charts = []
    for group, title in ENUMERATION_CHARTS:
        cells = enum.get(group) or {}
        bars = [Bar(code_label(name), value,
                    number_text(value, hidden=hidden_as(enum, f"{group}.{name}"),
                                threshold=threshold))
                for name, value in cells.items() if value != 0 or f"{group}.{name}" in hidden]
        charts.append(bar_chart(str(title), bars, f"{prefix}-{group}"))
    return charts


def enumeration_rows(enum: dict[str, Any], threshold: int, country: object = None
                     ) -> list[tuple[str, str]]:
    rows = []
    for key, label, unit in (
            ("structures", _("Structures numbered"), ""),
            ("households", _("Households"), ""),
            ("households_consented", _("Households that took part"), ""),
            ("population", _("People"), ""),
            ("household_size_mean", _("Mean household size"), ""),
            ("electricity_households_pct", _l("Households with electricity"), PERCENT),
            ("savings_members_pct", _l("Households in a savings group"), PERCENT),
            ("monthly_rent_mean", _("Mean monthly rent"), MONEY),
            ("water_cost_month_mean", _("Mean water cost per month"), MONEY)):
        rows.append((str(label), figure_text(enum.get(key), unit, 0, country,
                                        hidden_as(enum, key), threshold)))
    return rows


def place_of(row: dict[str, Any]) -> Place:
    return Place(row["settlement_id"], row.get("name") or _("(no name)"),
                 url_for("profiles.settlement", settlement_id=row["settlement_id"]),
                 row.get("lon"), row.get("lat"), row.get("boundary"),
                 "threat" if row.get("eviction_threat_current") == "yes" else "")


@bp.get("/settlements/<settlement_id>")
@roles_required(*PROFILE_ROLES)
def settlement(settlement_id: str) -> str:
    """One settlement's profile."""
    viewer = viewer_for(current_user())
    found = settlement_profile(viewer, settlement_id)
    if found is None:
        abort(404)
    ind = found["profile"]
    ownership = [Bar(code_label(k.replace("_percentage", "")), v, percent_text(v))
                 for k, v in (ind.get("land_ownership_pct") or {}).items() if v]
    enum = found["enumeration"]
    return render_template(
        "profiles/settlement.html", s=found, ind=ind, viewer=viewer,
        cards=cards(ind, SETTLEMENT_CARDS, found["country"]),
        country=country_name(found["country"]),
        status=code_label(ind.get("legal_status")),
        threat=ind.get("eviction_threat_current"),
        seriousness=code_label(ind.get("eviction_threat_seriousness")),
        ownership_chart=bar_chart(_("Land ownership (share of the settlement's land)"),
                                  ownership,
                                  "chart-ownership"),
        priorities=[(p["rank"], code_label(p["priority"]), code_label(p.get("term")))
                    for p in ind.get("priorities") or []],
        comparison=comparison_rows(found["comparison"], enum, viewer.threshold,
                                   found["country"]),
        enum_rows=enumeration_rows(enum, viewer.threshold, found["country"]),
        enum_charts=enumeration_charts(enum, viewer.threshold, "chart-enum"),
        settlement_map=_map([found]), map_query={"settlement_id": settlement_id},
        water_sources=[(code_label(name), number_text(v.get("count")),
                        number_text(v.get("working")))
                       for name, v in (ind.get("water_sources") or {}).items()],
    )


def comparison_rows(rows: list[dict[str, Any]], enum: dict[str, Any], threshold: int,
                    country: object = None) -> list[tuple[str, str, str, str]]:
    """(label, reported, enumerated, difference) for the side-by-side table: the
    difference of two percentages in percentage points, of other figures in %."""
    out = []
    for c in rows:
        unit = COMPARISON_UNITS.get(c["quantity"], "")
        hidden = hidden_as(enum, _ENUMERATED[c["quantity"]]) \
            if c["enumerated"] is None else None
        if c.get("difference_points") is not None:
            difference = points_text(c["difference_points"])
        elif c["difference_pct"] is not None:
            difference = percent_text(c["difference_pct"], signed=True)
        else:
            difference = number_text(None)
        out.append((str(COMPARISON_LABELS.get(c["quantity"], code_label(c["quantity"]))),
                    figure_text(c["reported"], unit, 0, country),
                    figure_text(c["enumerated"], unit, 0, country, hidden, threshold),
                    difference))
    return out


#: The enumeration summary's name of each compared quantity.
_ENUMERATED = {name: enumerated_key for name, _, enumerated_key in COMPARISONS}


def _map(rows: list[dict[str, Any]]) -> Any:
    return settlement_map([place_of(r) for r in rows])


@bp.get("/cities", defaults={"name": None})
@bp.get("/cities/<name>")
@roles_required(*PROFILE_ROLES)
def city(name: str | None) -> str | Response:
    """A city profile; without a name, the list of cities (or the only one)."""
    viewer = viewer_for(current_user())
    if name is None:
        cities = list_cities(viewer)
        if len(cities) == 1:
            return redirect(url_for("profiles.city", name=cities[0]["city"]))
        return render_template("profiles/cities.html", cities=cities)
    found = city_profile(viewer, name)
    if found is None:
        abort(404)
    ours = found["from_settlement_profiles"]
    reported = found["reported"] or {}
    reported_notes = notes_of(reported)
    status = [Bar(code_label(k), v, number_text(v)) for k, v in ours["legal_status"].items()]
    priorities = [Bar(code_label(p["priority"]), p["points"],
                      ngettext("%(num)d point", "%(num)d points", p["points"]))
                  for p in ours["top_priorities"]]
    return render_template(
        "profiles/city.html", c=found, viewer=viewer, reported=reported,
        cards=cards(ours, CITY_CARDS),
        country=country_name(found["country"]),
        reported_rows=[(label, figure_text(reported.get(key), unit),
                        reported_notes.get(key, ""))
                       for key, label, unit in (
                           ("settlements_known", _("Settlements known"), ""),
                           ("settlements_profiled", _("Settlements profiled"), ""),
                           ("settlements_profiled_pct",
                            _("Share of known settlements profiled"), PERCENT),
                           ("settlements_declared", _("Declared (legal)"), ""),
                           ("settlements_resettled", _("Resettled"), ""),
                           ("settlements_eviction_threat", _("Under eviction threat"), ""),
                           ("informal_population", _("Informal population"), ""),
                           ("informal_population_pct", _("Share of the city's people"),
                            PERCENT),
                           ("savings_groups", _("Savings groups"), ""))],
        reported_codes=[(label, code_label(reported.get(key))) for key, label in (
            ("city_forum", _("City forum")),
            ("city_relationship", _("Relationship with the city")),
            ("agreement_signed", _("Agreement signed")))],
        reported_priorities=[(p["rank"], code_label(p["priority"]), code_label(p.get("term")))
                             for p in reported.get("priorities") or []],
        status_chart=bar_chart(_("Settlements by legal status"), status, "chart-status"),
        priority_chart=bar_chart(_("Top priorities (5 points for a first priority ... 1 for "
                                   "a fifth)"), priorities, "chart-priorities"),
        enum_rows=enumeration_rows(found["enumeration"], viewer.threshold, found["country"]),
        enum_charts=enumeration_charts(found["enumeration"], viewer.threshold, "chart-city"),
        settlement_map=_map(found["settlements"]), map_query={"city": name},
        settlements=found["settlements"], fmt=number_text, code_label=code_label,
        pct_profiled=ours.get("settlements_profiled_pct"), pct_text=percent_text,
        pct_profiled_note=notes_of(ours).get("settlements_profiled_pct", ""),
    )
