"""The indicators' own keys in words, in the reader's language (lazy gettext texts).

The profile pages (compared quantities, land owners, water source blocks) and the
readable headings of the profile downloads (`?headers=labels`) name the keys of the
indicator summaries with these. Choice codes of the SDI forms are not here: their labels
come from the forms' own translations (services/choice_labels.py).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

_PRIORITIES = {f"priority_{rank}": _l("Priority %(rank)d", rank=rank) for rank in range(1, 6)}
_TERMS = {f"priority_{rank}_term": _l("Priority %(rank)d: term", rank=rank)
          for rank in range(1, 6)}

#: key -> its words (a lazy text: str() it in a request to read it in its language).
INDICATOR_WORDS = {
    "unknown": _l("Unknown"), "Unknown": _l("Unknown"), "age": _l("Age"),
    "agreement_signed": _l("Agreement signed"), "airport_authority": _l("Airport authority"),
    "ambulance_minutes": _l("Minutes for an ambulance"), "area_ha": _l("Area (ha)"),
    "area_km2": _l("Area (km²)"), "area_m2": _l("Area (m²)"), "boreholes": _l("Boreholes"),
    "church_land": _l("Church land"), "city_forum": _l("City forum"),
    "city_meeting_frequency": _l("Meetings with the city: how often"),
    "city_meetings": _l("Meetings with the city"), "city_population": _l("City population"),
    "city_relationship": _l("Relationship with the city"),
    "clinic_minutes": _l("Minutes to a clinic"), "count": _l("Counted"),
    "crown_land": _l("Crown land"), "customary_land": _l("Customary land"),
    "defense": _l("Defence"), "density_per_ha": _l("People per hectare"),
    "density_per_km2": _l("People per km²"),
    "electricity_available": _l("Electricity available"),
    "electricity_cost_month": _l("Electricity cost per month"),
    "electricity_hours_per_day": _l("Hours of electricity per day"),
    "electricity_households_pct": _l("Households with electricity (%)"),
    "eviction_threat_current": _l("Eviction threat now"),
    "eviction_threat_seriousness": _l("Seriousness of the eviction threat"),
    "eviction_threats": _l("Eviction threats"),
    "evictions_carried_out": _l("Evictions carried out"),
    "fire_engine_minutes": _l("Minutes for a fire engine"),
    "garbage_collected": _l("Garbage collected"),
    "garbage_collections_per_week": _l("Garbage collections per week"),
    "garbage_cost": _l("Cost of garbage collection"), "hand_pumps": _l("Hand pumps"),
    "hiv_clinic_minutes": _l("Minutes to an HIV clinic"),
    "hospital_minutes": _l("Minutes to a hospital"), "household_size": _l("Household size"),
    "household_size_mean": _l("Mean household size"), "households": _l("Households"),
    "households_connected": _l("Households connected to electricity"),
    "households_consented": _l("Households that took part"),
    "households_with_electricity": _l("Households with electricity"),
    "individual_taps": _l("Individual taps"), "informal_population": _l("Informal population"),
    "informal_population_pct": _l("Share of the city's people (%)"),
    "kiosks_tanks": _l("Kiosks and tanks"), "land_ownership_pct": _l("Land ownership (%)"),
    "last_updated": _l("Last updated"), "legal_status": _l("Legal status"),
    "members": _l("Household members"), "monthly_rent_mean": _l("Mean monthly rent"),
    "municipality": _l("Municipality"), "name_municipality": _l("Name of the municipality"),
    "open_defecation_pct": _l("Open defecation (%)"), "other": _l("Other"),
    "other_government": _l("Other government"),
    "other_government_percentage": _l("Other government"), "other_percentage": _l("Other"),
    "people_per_working_tap": _l("People per working tap"),
    "people_per_working_toilet_seat": _l("People per working toilet seat"),
    "population": _l("Population"), "port_trust": _l("Port trust"),
    "priorities": _l("Priorities"), "private_owner": _l("Private owner"),
    "profile_date": _l("Date of the profile"), "protected_wells": _l("Protected wells"),
    "railway": _l("Railway"),
    "rent_answers": _l("Households that answered the rent question"),
    "renting": _l("Households renting"), "savings_groups": _l("Savings groups"),
    "savings_members": _l("Savings group members"),
    "savings_members_pct": _l("Households in a savings group (%)"),
    "settlements_declared": _l("Settlements declared (legal)"),
    "settlements_eviction_threat": _l("Settlements under eviction threat"),
    "settlements_eviction_threat_pct": _l("Settlements under eviction threat (%)"),
    "settlements_known": _l("Settlements known"),
    "settlements_profiled": _l("Settlements profiled"),
    "settlements_profiled_pct": _l("Share of known settlements profiled (%)"),
    "settlements_resettled": _l("Settlements resettled"), "sex": _l("Sex"),
    "shared_taps": _l("Shared taps"), "springs": _l("Springs"),
    "structures": _l("Structures"), "structures_permanent": _l("Permanent structures"),
    "structures_temporary": _l("Temporary structures"), "taps": _l("Taps"),
    "tenure": _l("Tenure"), "toilet": _l("Toilet"), "toilet_seats": _l("Toilet seats"),
    "top_priorities": _l("Top priorities"), "unanswered": _l("Not answered"),
    "unprotected_wells": _l("Unprotected wells"), "vendors_trucks": _l("Vendors and trucks"),
    "water_collection_minutes": _l("Minutes to fetch water"),
    "water_cost_answers": _l("Households that answered the water cost question"),
    "water_cost_month": _l("Water cost per month"),
    "water_cost_month_mean": _l("Mean water cost per month"),
    "water_source": _l("Water source"), "water_sources": _l("Water sources"),
    "working": _l("Working"), "working_taps": _l("Working taps"),
    "working_toilet_seats": _l("Working toilet seats"),
    "year_established": _l("Year established"),
    **_PRIORITIES, **_TERMS,
}
