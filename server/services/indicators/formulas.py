"""The KYC indicators as pure functions of one record's answers (no database, no Flask).

Every formula is written out in docs/indicators.md. A value that cannot be computed
(missing answer, zero or missing denominator) is `None`, shown as "not available":
never an exception, never infinity. A figure whose part exceeds its whole (more
households with electricity than households) is impossible: it is `None` too, and the
reason, for people, is under `not_available` (see `check_parts`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from forms.answers import get as answer_at
from server.services.indicators.profile_questions import (
    ProfileQuestions,
    WaterSource,
    profile_questions,
)

#: One acre in square metres (international acre).
ACRE_M2 = 4046.8564224
M2_PER_HECTARE = 10_000
M2_PER_KM2 = 1_000_000

#: Household enumeration choice lists whose counts are reported.
TENURE = ("owner", "tenant", "rent_free", "other")
WATER_SOURCE = ("own_tap", "shared_tap", "borehole", "well", "kiosk", "vendor", "other")
TOILET = ("own_flush", "own_pit", "shared", "communal_block", "pay_toilet", "bucket_bag", "open")
ELECTRICITY = ("grid_metered", "grid_shared", "solar", "none")
#: Age bands of household members, as (name, lowest age, highest age).
AGE_BANDS = (("age_0_4", 0, 4), ("age_5_17", 5, 17), ("age_18_59", 18, 59),
             ("age_60_plus", 60, 200))


#: Figures resting on a part of a whole: (indicator, part, whole, the part in words, the
#: whole in words). When the part is larger than the whole the indicator is not
#: available, with the reason under `not_available[indicator]`.
SETTLEMENT_PARTS = (
    ("electricity_households_pct", "households_connected", "households",
     "households with electricity", "households"),
    ("people_per_working_toilet_seat", "working_toilet_seats", "toilet_seats",
     "working toilet seats", "toilet seats"),
    ("people_per_working_tap", "working_taps", "taps", "working taps", "taps"),
)


def number(value: Any) -> float | None:
    """A finite number from an answer, or None (text that is not a number, bools, NaN)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        result = float(value)
    elif isinstance(value, str):
        try:
            result = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return result if math.isfinite(result) else None


def ratio(numerator: float | None, denominator: float | None, scale: float = 1.0
          ) -> float | None:
    """numerator / denominator * scale; None when either is missing or the denominator <= 0."""
    if numerator is None or denominator is None or denominator <= 0:
        return None
    return numerator / denominator * scale


def exceeds(part: float | None, whole: float | None) -> bool:
    """Whether a part is larger than its whole (both known): an impossible pair."""
    return part is not None and whole is not None and part > whole


def figure(value: float) -> str:
    """A count for a sentence: 1,900 (decimals only when there are some)."""
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}".rstrip("0")


def more_than(lead: str, part_words: str, part: float, whole_words: str,
              whole: float) -> str:
    """'the profile reports more households with electricity (130) than households (100)'
    (`lead` is "the profile reports")."""
    return f"{lead} more {part_words} ({figure(part)}) than {whole_words} ({figure(whole)})"


def check_parts(indicators: dict[str, Any]) -> dict[str, Any]:
    """Make the figures of `SETTLEMENT_PARTS` whose part exceeds the whole not available,
    with the reason in `indicators["not_available"]`. Changes and returns `indicators`.

    Idempotent, and it reads only indicators (not answers), so it also corrects a
    settlement's stored facts computed before this check existed.
    """
    reasons = dict(indicators.get("not_available") or {})
    for name, part_key, whole_key, part_words, whole_words in SETTLEMENT_PARTS:
        part, whole = number(indicators.get(part_key)), number(indicators.get(whole_key))
        if part is not None and whole is not None and part > whole:
            indicators[name] = None
            reasons[name] = more_than("the profile reports", part_words, part, whole_words, whole)
    indicators["not_available"] = reasons
    return indicators


def total(values: Iterable[float | None]) -> float | None:
    """The sum of the known values; None when none is known."""
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def choices(value: Any) -> list[str]:
    """A select_multiple answer as a list (a space-separated string is accepted too)."""
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    if isinstance(value, str):
        return value.split()
    return []


def geopoint(value: Any) -> tuple[float, float] | None:
    """(lon, lat) from an ODK geopoint "lat lon [alt acc]"; None if malformed."""
    parts = value.split() if isinstance(value, str) else []
    if len(parts) < 2:
        return None
    lat, lon = number(parts[0]), number(parts[1])
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lon, lat


def geoshape(value: Any) -> list[tuple[float, float]] | None:
    """A closed ring of (lon, lat) from an ODK geoshape "lat lon a c;lat lon a c;..."."""
    if not isinstance(value, str):
        return None
    ring = [geopoint(part) for part in value.split(";") if part.strip()]
    if len(ring) < 3 or any(p is None for p in ring):
        return None
    points = [p for p in ring if p is not None]
    if points[0] != points[-1]:
        points.append(points[0])
    return points if len(points) >= 4 else None


def _working(answers: Mapping[str, Any], source: WaterSource) -> float | None:
    """Working units of a source; a source counted as 0 has 0 working (the form skips it)."""
    count = number(answer_at(answers, source.count))
    if count == 0:
        return 0.0
    return number(answer_at(answers, source.working))


def _section(answers: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    section = answers.get(name)
    return section if isinstance(section, Mapping) else {}


def settlement_profile(answers: Mapping[str, Any],
                       questions: ProfileQuestions | None = None) -> dict[str, Any]:
    """The profile-reported KYC indicators of one settlement profile record.

    `questions` says where the form answers each input (profile_questions.py); the SDI
    settlement profile's mapping by default. Free text (history, comments) is left out:
    it may name people.
    """
    q = questions or profile_questions()
    num = {name: number(answer_at(answers, path)) for name, path in q.number.items()}
    txt = {name: text(answer_at(answers, path)) for name, path in q.text.items()}

    population = num["population"]
    if population is None:
        population = num["population_estimate"]
    households = num["households"]
    area_m2 = num["area_m2"]
    if area_m2 is None:
        acres = num["area_acres"]
        area_m2 = acres * ACRE_M2 if acres is not None else None
    area_m2 = area_m2 if area_m2 is not None and area_m2 > 0 else None
    area_ha = ratio(area_m2, M2_PER_HECTARE)
    area_km2 = ratio(area_m2, M2_PER_KM2)

    seats = total(number(answer_at(answers, b.seats)) for b in q.toilet_blocks)
    working_seats = total(number(answer_at(answers, b.working)) for b in q.toilet_blocks)
    taps = total(number(answer_at(answers, s.count)) for s in q.water_sources if s.tap)
    working_taps = total(_working(answers, s) for s in q.water_sources if s.tap)
    connected = num["households_connected"]
    electricity = txt["electricity_available"]
    if electricity == "no" and connected is None:
        connected = 0.0  # no electricity at all: nobody is connected

    ownership = {owner: number(answer_at(answers, path))
                 for owner, path in q.land_ownership.items()}
    priorities = []
    for rank, asked in enumerate(q.priorities, start=1):
        priority = text(answer_at(answers, asked.priority))
        if priority:
            priorities.append({"rank": rank, "priority": priority,
                               "term": text(answer_at(answers, asked.term))})
    water_sources = {}
    for source in q.water_sources:
        count = number(answer_at(answers, source.count))
        if count:
            water_sources[source.name] = {"count": count,
                                          "working": number(answer_at(answers, source.working))}

    return check_parts({
        "name": txt["name"],
        "name_municipality": txt["name_municipality"],
        "city": txt["city"],
        "country": txt["country"],
        "federation": txt["federation"],
        "profile_date": txt["profile_date"],
        "last_updated": txt["last_updated"],
        "year_established": num["year_established"],
        "population": population,
        "households": households,
        "household_size": num["household_size"] or ratio(population, households),
        "structures": num["structures"],
        "structures_permanent": num["structures_permanent"],
        "structures_temporary": num["structures_temporary"],
        "renting": txt["renting"],
        "area_m2": area_m2,
        "area_ha": area_ha,
        "area_km2": area_km2,
        "density_per_ha": ratio(population, area_ha),
        "density_per_km2": ratio(population, area_km2),
        "toilet_seats": seats,
        "working_toilet_seats": working_seats,
        "people_per_working_toilet_seat": ratio(population, working_seats),
        "open_defecation_pct": num["open_defecation_pct"],
        "taps": taps,
        "working_taps": working_taps,
        "people_per_working_tap": ratio(population, working_taps),
        "water_sources": water_sources,
        "water_cost_month": num["water_cost_month"],
        "water_collection_minutes": num["water_collection_minutes"],
        "land_ownership_pct": ownership,
        "legal_status": txt["legal_status"],
        "eviction_threats": num["eviction_threats"],
        "eviction_threat_current": txt["eviction_threat_current"],
        "eviction_threat_seriousness": txt["eviction_threat_seriousness"],
        "evictions_carried_out": num["evictions_carried_out"],
        "electricity_available": electricity,
        "households_connected": connected,
        "electricity_households_pct": ratio(connected, households, 100),
        "electricity_hours_per_day": num["electricity_hours_per_day"],
        "electricity_cost_month": num["electricity_cost_month"],
        "garbage_collected": txt["garbage_collected"],
        "garbage_collections_per_week": num["garbage_collections_per_week"],
        "garbage_cost": num["garbage_cost"],
        "clinic_minutes": num["clinic_minutes"],
        "hiv_clinic_minutes": num["hiv_clinic_minutes"],
        "hospital_minutes": num["hospital_minutes"],
        "ambulance_minutes": num["ambulance_minutes"],
        "fire_engine_minutes": num["fire_engine_minutes"],
        "savings_groups": num["savings_groups"],
        "savings_members": num["savings_members"],
        "city_meetings": txt["city_meetings"],
        "city_relationship": txt["city_relationship"],
        "priorities": priorities,
        "not_available": {},  # indicator -> why it is not available (check_parts)
    })


def household_facts(answers: Mapping[str, Any]) -> dict[str, Any]:
    """The flat facts of one household enumeration record (no names, no phone)."""
    consented = answers.get("consent") == "yes"
    hh = _section(answers, "household") if consented else {}
    members = hh.get("members")
    members = [m for m in members if isinstance(m, Mapping)] if isinstance(members, list) else []
    facts: dict[str, Any] = {
        "structure_id": text(answers.get("structure_id")),
        "consented": consented,
        "size": None,
        "males": 0, "females": 0, "sex_other": 0, "age_unknown": 0,
        **{band: 0 for band, _, _ in AGE_BANDS},
        "tenure": text(hh.get("tenure")),
        "water_source": text(hh.get("water_source")),
        "toilet": text(hh.get("toilet")),
        "electricity": text(hh.get("electricity")),
        "savings_member": text(hh.get("savings_member")),
        "monthly_rent": number(hh.get("monthly_rent")),
        "water_cost_month": number(hh.get("water_cost_month")),
    }
    if not consented:
        return facts
    for member in members:
        sex = member.get("member_sex")
        key = {"male": "males", "female": "females"}.get(sex, "sex_other")
        facts[key] += 1
        age = number(member.get("member_age"))
        for band, low, high in AGE_BANDS:
            if age is not None and low <= age <= high:
                facts[band] += 1
                break
        else:
            facts["age_unknown"] += 1
    size = number(hh.get("household_size")) or number(hh.get("members_count"))
    facts["size"] = int(size) if size is not None else (len(members) or None)
    return facts


def structure_facts(answers: Mapping[str, Any]) -> dict[str, Any]:
    point = geopoint(answers.get("gps"))
    return {
        "settlement_id": text(answers.get("settlement_id")),
        "structure_use": text(answers.get("structure_use")),
        "households": number(answers.get("households")),
        "lon": point[0] if point else None,
        "lat": point[1] if point else None,
    }
