"""Settlement and city profiles: the profile-reported KYC indicators beside the
enumeration-derived ones, scoped to what the viewer may see, suppressed for officials.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from server.extensions import db
from server.models import Federation, Record, Settlement
from server.models.indicators import SettlementFacts
from server.services.indicators import enumeration, formulas, privacy
from server.services.indicators.facts import CITY_FORM, refresh_facts
from server.services.indicators.formulas import ratio


@dataclass(frozen=True)
class Viewer:
    """What the caller may see: `federation_ids` None means every federation;
    `aggregates_only` (city officials) means suppressed small counts and no free text."""

    federation_ids: frozenset[str] | None = None
    aggregates_only: bool = False
    threshold: int = privacy.DEFAULT_THRESHOLD


@dataclass(frozen=True)
class Filters:
    city: str | None = None
    federation_id: str | None = None
    eviction_threat: str | None = None
    legal_status: str | None = None
    search: str | None = None
    settlement_ids: frozenset[str] | None = field(default=None)

    @classmethod
    def from_args(cls, args: dict[str, Any]) -> Filters:
        """From validated query arguments (server.schemas.profiles.SettlementFilterSchema)."""
        return cls(city=args.get("city"), federation_id=args.get("federation_id"),
                   eviction_threat=args.get("eviction_threat"),
                   legal_status=args.get("legal_status"), search=args.get("q"))


#: Quantities shown side by side: (name, profile indicator, enumeration summary key).
COMPARISONS = (
    ("households", "households", "households"),
    ("population", "population", "population"),
    ("household_size", "household_size", "household_size_mean"),
    ("structures", "structures", "structures"),
    ("electricity_households_pct", "electricity_households_pct",
     "electricity_households_pct"),
    ("water_cost_month", "water_cost_month", "water_cost_month_mean"),
)
#: Summary columns of the settlements list and profile downloads, in order.
SUMMARY_INDICATORS = (
    "population", "households", "structures", "area_ha", "density_per_ha", "density_per_km2",
    "people_per_working_toilet_seat", "people_per_working_tap", "electricity_households_pct",
    "water_cost_month", "garbage_collections_per_week", "clinic_minutes", "hospital_minutes",
    "savings_groups", "legal_status", "eviction_threat_current",
)
#: Free-text answers never shown to officials (they may name people).
_FREE_TEXT = ("name_municipality",)


def _federation_column() -> Any:
    return func.coalesce(Settlement.federation_id, Federation.id)


def _scoped(query: Any, viewer: Viewer, filters: Filters) -> Any:
    query = (query.outerjoin(Settlement, Settlement.id == SettlementFacts.settlement_id)
             .outerjoin(Federation, Federation.name == SettlementFacts.federation))
    if viewer.federation_ids is not None:
        query = query.where(_federation_column().in_(sorted(viewer.federation_ids)))
    if filters.city:
        query = query.where(func.lower(SettlementFacts.city) == filters.city.strip().lower())
    if filters.federation_id:
        query = query.where(_federation_column() == filters.federation_id)
    if filters.eviction_threat:
        query = query.where(SettlementFacts.eviction_threat == filters.eviction_threat)
    if filters.legal_status:
        query = query.where(SettlementFacts.legal_status == filters.legal_status)
    if filters.search:
        like = f"%{filters.search.strip().lower()}%"
        query = query.where(or_(func.lower(SettlementFacts.name).like(like),
                                func.lower(SettlementFacts.city).like(like)))
    if filters.settlement_ids is not None:
        query = query.where(SettlementFacts.settlement_id.in_(sorted(filters.settlement_ids)))
    return query


def _base_query(viewer: Viewer, filters: Filters) -> Any:
    query = select(*SettlementFacts.__table__.c, _federation_column().label("federation_id"))
    return _scoped(query, viewer, filters).order_by(
        SettlementFacts.city, SettlementFacts.name, SettlementFacts.settlement_id)


def settlement_ids_query(viewer: Viewer, filters: Filters = Filters()) -> Any | None:
    """A subquery of the ids of the settlements `viewer` may see (None: no limit)."""
    if viewer.federation_ids is None and filters == Filters():
        return None
    return _scoped(select(SettlementFacts.settlement_id), viewer, filters)


def _ids_for(found: list[Any], viewer: Viewer, filters: Filters) -> Any:
    """The settlements to aggregate: a short list as ids, a long one as the same query
    (one GROUP BY in the database instead of many IN lists)."""
    if len(found) <= 400:
        return [facts.settlement_id for facts, _ in found]
    return _scoped(select(SettlementFacts.settlement_id), viewer, filters)


def _fetch(session: Session, query: Any) -> list[tuple[Any, str | None]]:
    """(settlement facts row, federation id) pairs as plain rows: they stay readable
    after the transaction ends (ORM objects would expire and reload one by one)."""
    return [(row, row.federation_id) for row in session.connection().execute(query)]


def _indicators(facts: Any) -> dict[str, Any]:
    """A settlement's stored indicators, with impossible shares made not available
    (facts stored before that check existed are corrected here, on reading)."""
    return formulas.check_parts(dict(facts.indicators or {}))


def _summary(facts: Any, federation_id: str | None) -> dict[str, Any]:
    ind = _indicators(facts)
    return {
        "settlement_id": facts.settlement_id,
        "name": facts.name,
        "city": facts.city,
        "country": facts.country,
        "federation": facts.federation,
        "federation_id": federation_id,
        "profile_date": ind.get("profile_date"),
        "lon": facts.lon,
        "lat": facts.lat,
        "boundary": facts.boundary,
        **{name: ind.get(name) for name in SUMMARY_INDICATORS},
    }


def list_settlements(viewer: Viewer, filters: Filters = Filters(),
        session: Session | None = None) -> list[dict[str, Any]]:
    """One summary per visible settlement profile (no enumeration figures)."""
    session = session or db.session
    refresh_facts(session)
    rows = [_summary(facts, fid) for facts, fid in _fetch(session, _base_query(viewer, filters))]
    session.rollback()
    return rows


def settlement_profiles(viewer: Viewer, filters: Filters = Filters(),
        session: Session | None = None) -> list[dict[str, Any]]:
    """Full profiles of the visible settlements matching `filters`."""
    session = session or db.session
    refresh_facts(session)
    found = _fetch(session, _base_query(viewer, filters))
    enum = enumeration.enumeration_by_settlement(session, _ids_for(found, viewer, filters))
    session.rollback()
    return [_profile(facts, fid, enum.get(facts.settlement_id), viewer) for facts, fid in found]


def settlement_profile(viewer: Viewer, settlement_id: str,
        session: Session | None = None) -> dict[str, Any] | None:
    """The profile of one settlement, or None if it does not exist or is not visible."""
    session = session or db.session
    found = settlement_profiles(viewer, Filters(settlement_ids=frozenset({settlement_id})),
                                session=session)
    return found[0] if found else None


def _profile(facts: Any, federation_id: str | None,
             enum: dict[str, Any] | None, viewer: Viewer) -> dict[str, Any]:
    indicators = _indicators(facts)
    if viewer.aggregates_only:
        for name in _FREE_TEXT:
            indicators.pop(name, None)
    summary = _public_enumeration(enum or enumeration.summarise(None, 0), viewer)
    return {
        "settlement_id": facts.settlement_id,
        "name": facts.name,
        "city": facts.city,
        "country": facts.country,
        "federation": facts.federation,
        "federation_id": federation_id,
        "lon": facts.lon,
        "lat": facts.lat,
        "boundary": facts.boundary,
        "profile": indicators,
        "enumeration": summary,
        "comparison": compare(indicators, summary),
    }


def _public_enumeration(enum: dict[str, Any], viewer: Viewer) -> dict[str, Any]:
    out = {k: v for k, v in enum.items() if k != "_raw"}
    if viewer.aggregates_only:
        return privacy.suppress_enumeration(out, viewer.threshold)
    out["suppressed"] = []
    out["suppression"] = {}
    return out


#: Compared quantities that are themselves percentages: their difference is in
#: percentage points (60 % against 45 % is 15 points, not "33 %").
PERCENT_QUANTITIES = frozenset({"electricity_households_pct"})


def compare(profile: dict[str, Any], enum: dict[str, Any]) -> list[dict[str, Any]]:
    """Profile vs enumeration for the same quantity: `difference_pct` is
    (enumerated - reported) / reported x 100 for counts, sizes and amounts;
    `difference_points` is enumerated - reported for percentages (percentage points),
    whose `difference_pct` is None."""
    rows = []
    for name, reported_key, enumerated_key in COMPARISONS:
        reported, enumerated = profile.get(reported_key), enum.get(enumerated_key)
        relative = points = None
        if reported is not None and enumerated is not None:
            if name in PERCENT_QUANTITIES:
                points = round(enumerated - reported, 1)
            else:
                relative = ratio(enumerated - reported, reported, 100)
        rows.append({"quantity": name, "reported": reported, "enumerated": enumerated,
                     "difference_pct": None if relative is None else round(relative, 1),
                     "difference_points": points})
    return rows


# -- cities ------------------------------------------------------------------------------
def list_cities(viewer: Viewer,
        session: Session | None = None) -> list[dict[str, Any]]:
    """Cities with at least one visible settlement profile: name, country, settlements."""
    session = session or db.session
    counts: Counter[tuple[str, str]] = Counter()
    names: dict[str, str] = {}
    for row in list_settlements(viewer, session=session):
        if row["city"]:
            key = row["city"].strip().lower()
            names.setdefault(key, row["city"].strip())
            counts[(key, row["country"] or "")] += 1
    return [{"city": names[key], "country": country, "settlements": n}
            for (key, country), n in sorted(counts.items())]


def _city_reports(session: Session, city: str) -> list[dict[str, Any]]:
    """Answers of the sdi_city_profile records of `city`, newest profile date first."""
    found = []
    for record_id, answers in session.execute(
            select(Record.record_id, Record.answers)
            .where(Record.form_id == CITY_FORM, Record.deleted.is_(False))):
        section = answers.get("city") if isinstance(answers, dict) else None
        name = section.get("city_name") if isinstance(section, dict) else None
        if isinstance(name, str) and name.strip().lower() == city.strip().lower():
            found.append((str(section.get("profile_date") or ""), record_id, answers))
    found.sort(reverse=True)
    return [dict(answers, record_id=record_id) for _, record_id, answers in found]


def _share(reasons: dict[str, str], name: str, part: float | None, whole: float | None,
           lead: str, part_words: str, whole_words: str) -> float | None:
    """part / whole x 100; not available, with the reason in `reasons[name]`, when the
    part is larger than the whole (a share above 100 % is impossible)."""
    if part is not None and whole is not None and part > whole:
        reasons[name] = formulas.more_than(lead, part_words, part, whole_words, whole)
        return None
    return ratio(part, whole, 100)


def _reported_city(answers: dict[str, Any] | None, viewer: Viewer) -> dict[str, Any] | None:
    if answers is None:
        return None
    city, settlements = answers.get("city") or {}, answers.get("settlements") or {}
    engagement, priorities = answers.get("engagement") or {}, answers.get("priorities") or {}
    known = formulas.number(settlements.get("settlements_known"))
    profiled = formulas.number(settlements.get("settlements_profiled"))
    threatened = formulas.number(settlements.get("settlements_eviction_threat"))
    informal = formulas.number(settlements.get("informal_population"))
    population = formulas.number(settlements.get("city_population"))
    reasons: dict[str, str] = {}  # share -> why it is not available
    said = "the city profile reports"
    reported = {
        "record_id": answers.get("record_id"),
        "profile_date": formulas.text(city.get("profile_date")),
        "country": formulas.text(city.get("country")),
        "federation": formulas.text(city.get("federation")),
        "settlements_known": known,
        "settlements_profiled": profiled,
        "settlements_profiled_pct": _share(reasons, "settlements_profiled_pct", profiled,
                                           known, said, "settlements profiled",
                                           "settlements known"),
        "settlements_declared": formulas.number(settlements.get("settlements_declared")),
        "settlements_resettled": formulas.number(settlements.get("settlements_resettled")),
        "settlements_eviction_threat": threatened,
        "settlements_eviction_threat_pct": _share(
            reasons, "settlements_eviction_threat_pct", threatened, profiled, said,
            "settlements under eviction threat", "settlements profiled"),
        "city_population": population,
        "informal_population": informal,
        "informal_population_pct": _share(reasons, "informal_population_pct", informal,
                                          population, said, "people in informal settlements",
                                          "people in the city"),
        "city_forum": formulas.text(engagement.get("city_forum")),
        "city_meeting_frequency": formulas.text(engagement.get("city_meeting_frequency")),
        "city_relationship": formulas.text(engagement.get("city_relationship")),
        "agreement_signed": formulas.text(engagement.get("agreement_signed")),
        "savings_groups": formulas.number(engagement.get("savings_groups")),
        "priorities": [
            {"rank": n, "priority": priorities.get(f"city_priority{n}"),
             "term": priorities.get(f"city_priority{n}_term")}
            for n in range(1, 4) if formulas.text(priorities.get(f"city_priority{n}"))],
        "not_available": reasons,
    }
    if not viewer.aggregates_only:
        reported["history"] = formulas.text(city.get("history"))
        reported["city_forum_name"] = formulas.text(engagement.get("city_forum_name"))
    return reported


def _sum(values: Iterable[Any]) -> float | None:
    return formulas.total(formulas.number(v) for v in values)


#: How many settlements a "left out" sentence names before "and N more".
_NAMED_LEFT_OUT = 5


def _left_out_text(names_and_reasons: list[tuple[str, str]]) -> str:
    """'1 settlement left out: Kibera (the profile reports more ... than ...).'"""
    n = len(names_and_reasons)
    named = "; ".join(f"{name} ({reason})" for name, reason in names_and_reasons[:_NAMED_LEFT_OUT])
    more = f"; and {n - _NAMED_LEFT_OUT} more" if n > _NAMED_LEFT_OUT else ""
    return f"{n} settlement{'s' if n != 1 else ''} left out: {named}{more}."


def aggregate_profiles(profiles: list[dict[str, Any]]) -> dict[str, Any]:
    """City figures from its settlement profiles (profile-reported side).

    A settlement whose part exceeds its whole (formulas.SETTLEMENT_PARTS: more households
    with electricity than households ...) is left out of that city ratio, as a settlement
    that does not report both parts is, but not silently: `left_out[indicator]` names it
    with the reason, and the pages show that sentence under the figure.
    """
    inds = [p["profile"] for p in profiles]
    left_out: dict[str, list[tuple[str, str]]] = {}
    for p in profiles:
        reasons = p["profile"].get("not_available") or {}
        for name, *_ in formulas.SETTLEMENT_PARTS:
            if reasons.get(name):
                left_out.setdefault(name, []).append((p.get("name") or "(no name)",
                                                      reasons[name]))

    def possible(i: dict[str, Any], name: str) -> bool:
        return not (i.get("not_available") or {}).get(name)

    n = len(inds)
    status = Counter(i.get("legal_status") or "unknown" for i in inds)
    threatened = sum(1 for i in inds if i.get("eviction_threat_current") == "yes")
    # Ratios are computed over the settlements that report both parts, so a settlement
    # without a toilet count does not make the city look better served.
    pop_seats = [(i["population"], i["working_toilet_seats"]) for i in inds
                 if i.get("population") is not None and i.get("working_toilet_seats") is not None
                 and possible(i, "people_per_working_toilet_seat")]
    pop_taps = [(i["population"], i["working_taps"]) for i in inds
                if i.get("population") is not None and i.get("working_taps") is not None
                and possible(i, "people_per_working_tap")]
    pop_area = [(i["population"], i["area_m2"]) for i in inds
                if i.get("population") is not None and i.get("area_m2") is not None]
    hh_conn = [(i["households"], i["households_connected"]) for i in inds
               if i.get("households") is not None and i.get("households_connected") is not None
               and possible(i, "electricity_households_pct")]
    priority_points: Counter[str] = Counter()
    priority_mentions: Counter[str] = Counter()
    for i in inds:
        for p in i.get("priorities") or []:
            priority_points[p["priority"]] += 6 - p["rank"]  # rank 1 = 5 points ... 5 = 1
            priority_mentions[p["priority"]] += 1
    area_m2 = sum(a for _, a in pop_area)
    return {
        "settlements_profiled": n,
        "population": _sum(i.get("population") for i in inds),
        "households": _sum(i.get("households") for i in inds),
        "structures": _sum(i.get("structures") for i in inds),
        "legal_status": dict(sorted(status.items())),
        "settlements_eviction_threat": threatened,
        "settlements_eviction_threat_pct": ratio(threatened, n, 100),
        "savings_groups": _sum(i.get("savings_groups") for i in inds),
        "savings_members": _sum(i.get("savings_members") for i in inds),
        "people_per_working_toilet_seat": ratio(sum(p for p, _ in pop_seats),
                                                sum(s for _, s in pop_seats)),
        "people_per_working_tap": ratio(sum(p for p, _ in pop_taps), sum(t for _, t in pop_taps)),
        "density_per_ha": ratio(sum(p for p, _ in pop_area), area_m2, formulas.M2_PER_HECTARE),
        "density_per_km2": ratio(sum(p for p, _ in pop_area), area_m2, formulas.M2_PER_KM2),
        "electricity_households_pct": ratio(sum(c for _, c in hh_conn),
                                            sum(h for h, _ in hh_conn), 100),
        "top_priorities": [{"priority": name, "points": points,
                            "settlements": priority_mentions[name]}
                           for name, points in sorted(priority_points.items(),
                                                      key=lambda kv: (-kv[1], kv[0]))[:5]],
        "left_out": {name: _left_out_text(found) for name, found in left_out.items()},
        "not_available": {},
    }


def city_profile(viewer: Viewer, city: str,
        session: Session | None = None) -> dict[str, Any] | None:
    """The KYC city profile of `city` (case-insensitive), or None when the viewer sees
    no settlement profile and no city profile record of it."""
    session = session or db.session
    refresh_facts(session)
    filters = Filters(city=city)
    found = _fetch(session, _base_query(viewer, filters))
    enum = enumeration.enumeration_by_settlement(session, _ids_for(found, viewer, filters))
    reports = _city_reports(session, city)
    session.rollback()
    if viewer.federation_ids is not None:
        names = {f for f in (facts.federation for facts, _ in found) if f}
        visible_names = _federation_names(session, viewer.federation_ids)
        reports = [r for r in reports
                   if (r.get("city") or {}).get("federation") in (names | visible_names)]
    if not found and not reports:
        return None
    profiles = [_profile(facts, fid, enum.get(facts.settlement_id), viewer)
                for facts, fid in found]
    raw = enumeration.add_rows(e["_raw"] for e in enum.values())
    whole = _public_enumeration(
        enumeration.summarise(raw, sum(e["structures"] for e in enum.values())), viewer)
    if viewer.aggregates_only:
        whole = privacy.protect_across([p["enumeration"] for p in profiles], whole)
    from_profiles = aggregate_profiles(profiles)
    reported = _reported_city(reports[0] if reports else None, viewer)
    if reported and reported.get("settlements_known"):
        from_profiles["settlements_profiled_pct"] = _share(
            from_profiles["not_available"], "settlements_profiled_pct",
            from_profiles["settlements_profiled"], reported["settlements_known"],
            "there are", "settlement profiles", "settlements known in the city profile")
    return {
        "city": found[0][0].city if found else (reports[0]["city"]["city_name"]),
        "country": found[0][0].country if found else reported and reported["country"],
        "reported": reported,
        "from_settlement_profiles": from_profiles,
        "enumeration": whole,
        "settlements": [{k: p[k] for k in ("settlement_id", "name", "lon", "lat", "boundary")}
                        | {name: p["profile"].get(name) for name in SUMMARY_INDICATORS}
                        for p in profiles],
    }


def _federation_names(session: Session, ids: frozenset[str]) -> set[str]:
    if not ids:
        return set()
    names = set(session.execute(select(Federation.name).where(Federation.id.in_(sorted(ids))))
                .scalars())
    session.rollback()
    return names
