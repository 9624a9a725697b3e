"""Enumeration-derived quantities per settlement: one GROUP BY over the facts tables.

households -> structures (structure_facts.settlement_id) -> settlement. Only households
that consented count towards population, members and services; every household counts
towards `households`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, case, delete, func, insert, select
from sqlalchemy.orm import Session

from server.models.indicators import HouseholdFacts, SettlementEnumeration, StructureFacts
from server.services.indicators import formulas
from server.services.indicators.formulas import ratio

#: Category groups: (summary key, facts column, choices).
GROUPS = (
    ("tenure", HouseholdFacts.tenure, formulas.TENURE),
    ("water_source", HouseholdFacts.water_source, formulas.WATER_SOURCE),
    ("toilet", HouseholdFacts.toilet, formulas.TOILET),
    ("electricity", HouseholdFacts.electricity, formulas.ELECTRICITY),
)
SEX = (("male", HouseholdFacts.males), ("female", HouseholdFacts.females),
       ("other", HouseholdFacts.sex_other))
AGES = (("0-4", HouseholdFacts.age_0_4), ("5-17", HouseholdFacts.age_5_17),
        ("18-59", HouseholdFacts.age_18_59), ("60+", HouseholdFacts.age_60_plus),
        ("unknown", HouseholdFacts.age_unknown))
WITH_ELECTRICITY = ("grid_metered", "grid_shared", "solar")
_CHUNK = 400


def _count_if(condition: Any) -> Any:
    return func.sum(case((condition, 1), else_=0))


def _columns() -> list[Any]:
    h = HouseholdFacts
    columns = [
        func.count().label("households"),
        _count_if(h.consented.is_(True)).label("households_consented"),
        func.sum(h.size).label("population"),
        func.sum(h.males + h.females + h.sex_other).label("members"),
        *[func.sum(col).label(f"sex__{name}") for name, col in SEX],
        *[func.sum(col).label(f"age__{name}") for name, col in AGES],
        _count_if(h.electricity.in_(WITH_ELECTRICITY)).label("households_with_electricity"),
        _count_if(h.savings_member == "yes").label("savings_members"),
        func.count(h.monthly_rent).label("rent_answers"),
        func.sum(h.monthly_rent).label("rent_sum"),
        func.count(h.water_cost_month).label("water_cost_answers"),
        func.sum(h.water_cost_month).label("water_cost_sum"),
    ]
    for group, column, values in GROUPS:
        columns += [_count_if(column == value).label(f"{group}__{value}") for value in values]
    return columns


def _chunks(settlement_ids: Iterable[str] | Select[Any] | None) -> list[Any]:
    if settlement_ids is None or isinstance(settlement_ids, Select):
        return [settlement_ids]
    ids = sorted(set(settlement_ids))
    return [ids[i:i + _CHUNK] for i in range(0, len(ids), _CHUNK)]


def aggregate_live(session: Session, settlement_ids: Iterable[str] | Select[Any] | None = None
                   ) -> dict[str, tuple[dict[str, Any], int]]:
    """{settlement id: (summed household facts, structures)} computed now from the facts
    tables: one GROUP BY per chunk of ids (or one for a subquery, or all)."""
    raw: dict[str, dict[str, Any]] = {}
    structures: dict[str, int] = {}
    for chunk in _chunks(settlement_ids):
        query = (select(StructureFacts.settlement_id, *_columns())
                 .join(StructureFacts, StructureFacts.structure_id == HouseholdFacts.structure_id)
                 .group_by(StructureFacts.settlement_id))
        count_query = (select(StructureFacts.settlement_id, func.count())
                       .group_by(StructureFacts.settlement_id))
        if chunk is not None:
            query = query.where(StructureFacts.settlement_id.in_(chunk))
            count_query = count_query.where(StructureFacts.settlement_id.in_(chunk))
        for row in session.connection().execute(query).mappings():
            raw[row["settlement_id"]] = {k: v for k, v in row.items() if k != "settlement_id"}
        for sid, n in session.connection().execute(count_query):
            structures[sid] = n
    return {sid: (raw.get(sid) or empty_row(), structures.get(sid, 0))
            for sid in set(raw) | set(structures) if sid is not None}


def store(session: Session, settlement_ids: Iterable[str] | None) -> None:
    """Recompute the stored totals of these settlements (None: of all) from the facts."""
    table = SettlementEnumeration.__table__
    if settlement_ids is None:
        session.execute(delete(table))
        chunks: list[Any] = [None]
    else:
        chunks = _chunks(settlement_ids)
        for chunk in chunks:
            session.execute(delete(table).where(table.c.settlement_id.in_(chunk)))
    for chunk in chunks:
        rows = [{"settlement_id": sid, "structures": n,
                 "totals": {k: _plain(v) for k, v in totals.items()}}
                for sid, (totals, n) in aggregate_live(session, chunk).items()]
        if rows:
            session.execute(insert(table), rows)


def _plain(value: Any) -> float | int:
    """Sums come back as int, float or Decimal (PostgreSQL): JSON wants int or float."""
    if value is None:
        return 0
    return int(value) if float(value).is_integer() else float(value)


def enumeration_by_settlement(session: Session, settlement_ids: Iterable[str] | Select[Any]
                              | None = None) -> dict[str, dict[str, Any]]:
    """{settlement id: summary} for the given settlements (a list of ids, a subquery
    selecting them, or None for all), from the totals stored at the last facts refresh:
    a city of a million households is a few thousand small rows, not a GROUP BY."""
    table = SettlementEnumeration.__table__
    result = {}
    for chunk in _chunks(settlement_ids):
        query = select(table.c.settlement_id, table.c.structures, table.c.totals)
        if chunk is not None:
            query = query.where(table.c.settlement_id.in_(chunk))
        for sid, structures, totals in session.connection().execute(query):
            result[sid] = summarise(totals, structures)
    return result


def empty_row() -> dict[str, Any]:
    return {c.name: 0 for c in _columns()}


def summarise(row: dict[str, Any] | None, structures: int) -> dict[str, Any]:
    """The summary dict of one aggregated row (also used to add settlements up)."""
    row = {k: (v or 0) for k, v in (row or empty_row()).items()}
    consented = int(row["households_consented"])
    summary: dict[str, Any] = {
        "structures": structures,
        "households": int(row["households"]),
        "households_consented": consented,
        "population": int(row["population"]),
        "members": int(row["members"]),
        "household_size_mean": _round(ratio(row["population"], consented)),
        "sex": {name: int(row[f"sex__{name}"]) for name, _ in SEX},
        "age": {name: int(row[f"age__{name}"]) for name, _ in AGES},
        "households_with_electricity": int(row["households_with_electricity"]),
        "electricity_households_pct": _round(
            ratio(row["households_with_electricity"], consented, 100)),
        "savings_members": int(row["savings_members"]),
        "savings_members_pct": _round(ratio(row["savings_members"], consented, 100)),
        "rent_answers": int(row["rent_answers"]),
        "monthly_rent_mean": _round(ratio(row["rent_sum"], row["rent_answers"])),
        "water_cost_answers": int(row["water_cost_answers"]),
        "water_cost_month_mean": _round(ratio(row["water_cost_sum"],
                                              row["water_cost_answers"])),
    }
    for group, _, values in GROUPS:
        cells = {value: int(row[f"{group}__{value}"]) for value in values}
        cells["unanswered"] = consented - sum(cells.values())
        summary[group] = cells
    summary["_raw"] = row
    return summary


def add_rows(rows: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Sum the raw aggregate rows of several settlements (for a city)."""
    total = empty_row()
    for row in rows:
        for key in total:
            total[key] += row.get(key) or 0
    return total


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)
