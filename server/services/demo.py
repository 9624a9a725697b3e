"""`hesabu server demo-data`: a demo dataset made through the real paths.

Two federations (Nairobi and Lusaka) with their city profiles, users of every role,
six settlements with profiles, boundaries and points, a few hundred structures and about a thousand
households with their members, drawn from plausible distributions with a fixed seed.
Records are written as ops by the enumerators' enrolled tablets and applied by
`push_ops`, exactly as a sync would; then two tablets edit the same answers offline
(open conflicts), a leader resolves one and reviews a few records.

Loading twice adds nothing: each step looks for what it made before.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select

from forms import load_form, recompute
from forms.spec import FormSpec
from server.auth.roles import Role
from server.extensions import db
from server.models import (
    Assignment,
    Conflict,
    Device,
    DeviceAccount,
    Federation,
    Record,
    Settlement,
    User,
)
from server.models.types import utcnow
from server.services.accounts import create_federation, create_user, hash_password
from server.services.devices import create_enrolment_code, enrol_device, revoke_device
from server.services.forms import publish_form
from server.services.push import push_ops
from server.services.resolution import current_heads, resolve_conflict
from server.services.review import set_review
from sync.fields import flatten
from sync.hlc import HybridClock, wall_clock_ms
from sync.ops import EDIT, Op, make_op

ROOT = Path(__file__).resolve().parents[2]
DEFINITIONS = ROOT / "forms" / "definitions"
DATA = ROOT / "forms" / "examples"
TEMPLATES = DATA / "sdi_settlement_profile"
FORMS = ("sdi_settlement_profile", "sdi_structure_numbering", "sdi_household_enumeration",
         "sdi_city_profile")

#: Demo logins, printed by the command and listed in docs/web.md. Demo only!
DEMO_PASSWORDS = {"admin": "admin-demo-2026", "leader": "leader-demo-2026",
                  "enumerator": "enumerator-demo-2026", "official": "official-demo-2026"}


@dataclass(frozen=True)
class SettlementPlan:
    key: str
    name: str
    municipal_name: str
    city: str
    template: str
    lat: float
    lon: float
    structures: int
    established: int
    status: str


@dataclass(frozen=True)
class FederationPlan:
    name: str
    country: str
    city: str
    settlements: tuple[SettlementPlan, ...]
    #: (username, display name, role, settlement keys assigned)
    people: tuple[tuple[str, str, str, tuple[str, ...]], ...]
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]


NAIROBI = FederationPlan(
    "Muungano wa Wanavijiji", "Kenya", "Nairobi",
    (SettlementPlan("mashimoni", "Mashimoni", "Kibera - Mashimoni", "Nairobi",
                    "mashimoni_nairobi.json", -1.31325, 36.78925, 62, 1962,
                    "undeclared_illegal_unprotected"),
     SettlementPlan("kambi_moto", "Kambi Moto", "Huruma - Kambi Moto", "Nairobi",
                    "mashimoni_nairobi.json", -1.25970, 36.86940, 48, 1970,
                    "declared_legal_protected"),
     SettlementPlan("mukuru_njenga", "Mukuru Kwa Njenga", "Mukuru Kwa Njenga", "Nairobi",
                    "mashimoni_nairobi.json", -1.31480, 36.89650, 66, 1985,
                    "undeclared_illegal_unprotected")),
    (("leader.nairobi", "Neema Achieng", "leader", ()),
     ("amina", "Amina Wanjiru", "enumerator", ("mashimoni", "kambi_moto")),
     ("baraka", "Baraka Otieno", "enumerator", ("mashimoni", "mukuru_njenga")),
     ("official.nairobi", "Peter Kamau (Nairobi City County)", "official", ())),
    ("Amina", "Baraka", "Wanjiku", "Otieno", "Achieng", "Kamau", "Mwangi", "Njeri",
     "Akinyi", "Omondi", "Wairimu", "Kiprono", "Fatuma", "Hassan", "Mary", "John", "Grace",
     "Joseph", "Esther", "Samuel"),
    ("Wanjiru", "Otieno", "Kamau", "Odhiambo", "Mwangi", "Njoroge", "Ouma", "Achieng",
     "Kariuki", "Wafula", "Mutua", "Onyango", "Hassan", "Muthoni", "Kiplagat"),
)
LUSAKA = FederationPlan(
    "Zambia Homeless and Poor People's Federation", "Zambia", "Lusaka",
    (SettlementPlan("chaisa", "Chaisa", "Chaisa Compound", "Lusaka", "chaisa_lusaka.json",
                    -15.39725, 28.26925, 58, 1968, "declared_legal_protected"),
     SettlementPlan("george", "George", "George Compound", "Lusaka", "chaisa_lusaka.json",
                    -15.39300, 28.24300, 54, 1965, "declared_legal_protected"),
     SettlementPlan("kanyama", "Kanyama", "Kanyama Compound", "Lusaka", "chaisa_lusaka.json",
                    -15.43300, 28.25100, 52, 1972, "undeclared_illegal_unprotected")),
    (("leader.lusaka", "Chileshe Banda", "leader", ()),
     ("chanda", "Chanda Mwale", "enumerator", ("chaisa", "george", "kanyama")),
     ("official.lusaka", "Mutale Phiri (Lusaka City Council)", "official", ())),
    ("Esther", "Chanda", "Mutale", "Chileshe", "Bwalya", "Mwila", "Natasha", "Musonda",
     "Kabwe", "Mulenga", "Precious", "Joseph", "Memory", "Given", "Charity", "Emmanuel"),
    ("Mwale", "Banda", "Phiri", "Tembo", "Mulenga", "Zulu", "Bwalya", "Chanda", "Lungu",
     "Sakala", "Mumba", "Ngoma", "Daka"),
)
PLANS = (NAIROBI, LUSAKA)
ADMIN = ("admin", "Hesabu administrator")


def stable_id(*parts: str) -> str:
    """A UUIDv7-shaped id derived from `parts` (the same every time the demo loads)."""
    digest = uuid.uuid5(uuid.NAMESPACE_URL, "hesabu-demo:" + "/".join(parts)).hex
    ms = 1_764_000_000_000 + int(digest[:8], 16) % 10_000_000
    raw = f"{ms:012x}7{digest[13:16]}{(8 | int(digest[16], 16) % 4):x}{digest[17:32]}"
    return str(uuid.UUID(raw))


@dataclass
class DemoSummary:
    created: bool
    users: list[tuple[str, str, str, str]] = field(default_factory=list)  # name, role, pw, fed
    settlements: int = 0
    structures: int = 0
    households: int = 0
    conflicts: int = 0
    reviews: int = 0


# -- answers ----------------------------------------------------------------------

def _square(lat: float, lon: float, half_deg: float) -> str:
    corners = [(lat + half_deg, lon - half_deg), (lat + half_deg, lon + half_deg),
               (lat - half_deg, lon + half_deg), (lat - half_deg, lon - half_deg)]
    corners.append(corners[0])
    return ";".join(f"{a:.5f} {b:.5f} 0 0" for a, b in corners)


def profile_answers(plan: SettlementPlan, federation: FederationPlan, rng: random.Random,
                    households: int, population: int) -> dict[str, Any]:
    answers = json.loads((TEMPLATES / plan.template).read_text(encoding="utf-8"))
    answers["verification"]["A0_Boundary"] = _square(plan.lat, plan.lon, 0.0018)
    answers["section_A"]["A2_Federation"] = federation.name
    b = answers["section_B"]
    b["B1_GPS"] = f"{plan.lat:.5f} {plan.lon:.5f} 1500 5"
    area = round(rng.uniform(60_000, 400_000), -2)
    b["B2a_Area_sqmt"] = area
    b["B2b_Area_acres"] = round(area / 4046.86, 2)
    b["B7_Settlement_Name_Community"] = plan.name
    b["B8_Settlement_Name_Municipality"] = plan.municipal_name
    b["B10b_Year_Established"] = plan.established
    b["B14_Status"] = plan.status
    c = answers["section_C"]
    scale = households / max(c["C9_Households"], 1)
    for key in ("C1_Structures_Residential", "C2_Structures_Residential_Business",
                "C3_Structures_Business", "C4_Structures_Community", "C6_Structures_Permanent",
                "C7_Structures_Temporary", "C8_Structures_Multistorey"):
        c[key] = max(0, round(c[key] * scale * rng.uniform(0.9, 1.1)))
    c["C5_Structures_Total"] = sum(c[k] for k in (
        "C1_Structures_Residential", "C2_Structures_Residential_Business",
        "C3_Structures_Business", "C4_Structures_Community"))
    # The community's own estimate, which need not match the enumeration exactly.
    c["C9_Households"] = round(households * rng.uniform(0.92, 1.12))
    c["C12_Total_Population"] = round(population * rng.uniform(0.9, 1.15))
    # Taps, toilet seats and electricity connections shrink with the settlement, so
    # people per seat or tap and the share connected stay what the template says.
    for section, suffixes in (("section_F", ("_Count", "_Working")),
                              ("section_G", ("_Seats", "_Working"))):
        values = answers.get(section, {})
        for key, value in values.items():
            if key.endswith(suffixes) and isinstance(value, int) and value > 0:
                values[key] = max(1, round(value * scale))
    j = answers.get("section_J", {})
    if isinstance(j.get("J3_Households_Connected"), int):
        j["J3_Households_Connected"] = min(round(j["J3_Households_Connected"] * scale),
                                           c["C9_Households"])
    return answers


def structure_answers(plan: SettlementPlan, settlement_id: str, number: int,
                      rng: random.Random, households: int) -> dict[str, Any]:
    use = rng.choices(["residential", "mixed", "business", "community"], [70, 18, 8, 4])[0]
    lat = plan.lat + rng.uniform(-0.0016, 0.0016)
    lon = plan.lon + rng.uniform(-0.0016, 0.0016)
    answers: dict[str, Any] = {
        "settlement_id": settlement_id, "settlement_name": plan.name,
        "structure_number": f"{plan.name[:3].upper()}-{number:04d}",
        "gps": f"{lat:.6f} {lon:.6f} 1500 {rng.uniform(3, 9):.1f}",
        "structure_use": use, "storeys": rng.choices([1, 2, 3], [85, 12, 3])[0],
        "wall_material": rng.choices(
            ["iron_sheet", "brick_block", "mud", "wood", "plastic_cardboard"],
            [40, 25, 20, 10, 5])[0],
        "roof_material": rng.choices(["iron_sheet", "plastic_cardboard", "tiles", "thatch"],
                                     [85, 7, 5, 3])[0],
    }
    if use != "business":
        answers["households"] = households
    return answers


def _member(rng: random.Random, name: str, age: int, sex: str, relationship: str,
            index: int, household_key: str) -> dict[str, Any]:
    member: dict[str, Any] = {"__id": stable_id(household_key, str(index))[-12:].replace(
        "-", "")[:8], "member_name": name, "member_age": age, "member_sex": sex,
        "relationship": relationship}
    if age >= 5:
        member["schooling"] = rng.choices(["none", "primary", "secondary", "tertiary"],
                                          [15, 45, 33, 7] if age < 30 else [30, 45, 20, 5])[0]
    if age >= 15:
        member["occupation"] = (
            rng.choices(["student", "casual", "unemployed"], [60, 25, 15])[0] if age < 20
            else rng.choices(["casual", "self_employed", "employed", "unemployed", "home",
                              "retired"], [32, 28, 14, 14, 9, 3] if age < 60
                             else [10, 20, 3, 10, 17, 40])[0])
    return member


def household_answers(fed: FederationPlan, structure: dict[str, Any], structure_id: str,
                      index: int, rng: random.Random, key: str) -> dict[str, Any]:
    last = rng.choice(fed.last_names)
    size = min(1 + _poisson(rng, 3.0), 11)
    head_sex = rng.choices(["female", "male"], [45, 55])[0]
    head_age = rng.randint(19, 72)
    head = f"{rng.choice(fed.first_names)} {last}"
    members = [_member(rng, head, head_age, head_sex, "head", 0, key)]
    for i in range(1, size):
        if i == 1 and head_age < 65 and rng.random() < 0.6:
            age, rel = max(18, head_age + rng.randint(-8, 6)), "spouse"
            sex = "male" if head_sex == "female" else "female"
        else:
            rel = rng.choices(["child", "grandchild", "sibling", "other_relative",
                               "non_relative"], [70, 10, 8, 8, 4])[0]
            top = max(1, min(head_age - 15, 25)) if rel == "child" else 40
            age = rng.randint(0, top) if rel != "grandchild" else rng.randint(0, 10)
            sex = rng.choice(["female", "male"])
        members.append(_member(rng, f"{rng.choice(fed.first_names)} {last}", age, sex, rel,
                               i, key))
    tenure = rng.choices(["tenant", "owner", "rent_free"], [62, 30, 8])[0]
    evicted = rng.random() < 0.18
    household: dict[str, Any] = {
        "head_name": head,
        "phone": f"07{rng.randint(10_000_000, 99_999_999)}" if rng.random() < 0.7 else None,
        "members_count": size, "members": members, "tenure": tenure,
        "years_in_settlement": rng.randint(0, min(40, head_age - 15)),
        "water_source": rng.choices(["shared_tap", "kiosk", "own_tap", "vendor", "borehole"],
                                    [40, 30, 10, 12, 8])[0],
        "water_cost_month": rng.choice([0, 150, 300, 450, 600, 900]),
        "toilet": rng.choices(["shared", "communal_block", "pay_toilet", "own_pit",
                               "own_flush", "open"], [38, 20, 18, 14, 5, 5])[0],
        "electricity": rng.choices(["grid_shared", "grid_metered", "none", "solar"],
                                   [40, 20, 30, 10])[0],
        "income_band": rng.choices(["under_half_min_wage", "half_to_one_min_wage",
                                    "one_to_two_min_wage", "over_two_min_wage", "refused"],
                                   [30, 35, 22, 6, 7])[0],
        "disasters": rng.choice([["none"], ["none"], ["fires"], ["floods"], ["fires", "floods"]]),
        "evicted_before": "yes" if evicted else "no",
        "savings_member": "yes" if rng.random() < 0.35 else "no",
    }
    if household["phone"] is None:
        del household["phone"]
    if tenure == "tenant":
        household["monthly_rent"] = rng.choice([800, 1000, 1500, 2000, 2500, 3000])
    if evicted:
        household["evictions_count"] = rng.randint(1, 3)
    return {"structure_id": structure_id, "structure_number": structure["structure_number"],
            "household_in_structure": index, "consent": "yes", "household": household}


def _poisson(rng: random.Random, mean: float) -> int:
    # Knuth's method: fine for small means.
    limit, k, p = pow(2.718281828459045, -mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


# -- loading -----------------------------------------------------------------------

def _specs() -> dict[str, FormSpec]:
    specs = {}
    for form_id in FORMS:
        spec = load_form(DEFINITIONS / f"{form_id}.xlsx")
        publish_form(spec)
        specs[form_id] = spec
    return specs


class _Tablet:
    """An enrolled demo tablet writing ops with its own clock."""

    def __init__(self, device_id: str, name: str) -> None:
        self.id = device_id
        if db.session.get(Device, device_id) is None:
            code, _ = create_enrolment_code(1)
            enrol_device(code, device_id, name)
        db.session.rollback()
        self.clock = HybridClock(device_id)
        self.pending: list[Op] = []

    def write(self, spec: FormSpec, record_id: str, answers: dict[str, Any]) -> None:
        full = recompute(spec, answers)
        self.pending.append(make_op(
            EDIT, clock=self.clock, device_id=self.id, record_id=record_id, form_id=spec.id,
            form_version=spec.version, fields=flatten(full), heads={}))
        if len(self.pending) >= 250:
            self.flush()

    def edit(self, record_id: str, fields: dict[str, Any]) -> None:
        record = db.session.get(Record, record_id)
        assert record is not None
        form_id, version = record.form_id, record.form_version
        heads = current_heads(record_id, [*fields, "__deleted__"])
        db.session.rollback()
        self.pending.append(make_op(EDIT, clock=self.clock, device_id=self.id,
                                    record_id=record_id, form_id=form_id,
                                    form_version=version, fields=fields, heads=heads))

    def flush(self) -> None:
        if not self.pending:
            return
        result = push_ops(self.id, self.pending, now_ms=wall_clock_ms(),
                          max_drift_ms=int(current_app.config["HESABU_MAX_CLOCK_DRIFT_MS"]))
        if result.rejected:
            raise RuntimeError(f"demo op rejected: {result.rejected[0].message}")
        self.pending = []


def _plan_records(fed: FederationPlan, plan: SettlementPlan, rng: random.Random
                  ) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(form_id, record_id, answers) of one settlement: structures, households, profile."""
    settlement_id = stable_id(plan.key)
    households = population = 0
    for number in range(1, plan.structures + 1):
        structure_id = stable_id(plan.key, "structure", str(number))
        count = rng.choices([1, 2, 3, 4, 5, 6], [20, 20, 20, 18, 12, 10])[0]
        structure = structure_answers(plan, settlement_id, number, rng, count)
        yield "sdi_structure_numbering", structure_id, structure
        if structure["structure_use"] == "business":
            continue
        for index in range(1, count + 1):
            key = f"{plan.key}/{number}/{index}"
            household = household_answers(fed, structure, structure_id, index, rng, key)
            households += 1
            population += household["household"]["members_count"]
            yield "sdi_household_enumeration", stable_id(key), household
    yield ("sdi_settlement_profile", settlement_id,
           profile_answers(plan, fed, rng, households, population))


def _accounts(summary: DemoSummary) -> dict[str, Any]:
    """Federations, users, settlements and assignments; returns username -> user."""
    hashes = {role: hash_password(pw) for role, pw in DEMO_PASSWORDS.items()}
    users: dict[str, Any] = {}

    def user(username: str, display: str, role: str, federation_id: str | None) -> None:
        found = db.session.execute(select(User).where(User.username == username)
                                   ).scalar_one_or_none()
        if found is None:
            found = create_user(username, "", Role(role), federation_id, display,
                                password_hash=hashes[role])
        users[username] = found
        summary.users.append((username, role, DEMO_PASSWORDS[role],
                              "" if federation_id is None else fed_name))

    fed_name = ""
    user(ADMIN[0], ADMIN[1], "admin", None)
    for fed in PLANS:
        federation = db.session.execute(select(Federation).where(
            Federation.name == fed.name)).scalar_one_or_none()
        if federation is None:
            federation = create_federation(fed.name, fed.country, fed.city)
        fed_name = fed.name
        for plan in fed.settlements:
            sid = stable_id(plan.key)
            if db.session.get(Settlement, sid) is None:
                db.session.add(Settlement(id=sid, federation_id=federation.id, name=plan.name,
                                          city=plan.city))
                db.session.commit()
        for username, display, role, assigned in fed.people:
            user(username, display, role, federation.id)
            for key in assigned:
                uid, sid = users[username].id, stable_id(key)
                if db.session.get(Assignment, (uid, sid)) is None:
                    db.session.add(Assignment(user_id=uid, settlement_id=sid))
                    db.session.commit()
    return users


def _link_device(device_id: str, user: Any) -> None:
    if db.session.get(DeviceAccount, device_id) is None:
        db.session.add(DeviceAccount(device_id=device_id, user_id=user.id,
                                     federation_id=user.federation_id))
        db.session.commit()


def _idle_tablets(users: dict[str, Any]) -> None:
    """A spare tablet that has not synced for days, and a lost one the leader revoked,
    so the dashboard shows every state."""
    spare = _Tablet("tab-nairobi-spare", "Nairobi spare tablet")
    _link_device(spare.id, users["baraka"])
    device = db.session.get(Device, spare.id)
    assert device is not None
    device.last_seen = utcnow() - timedelta(days=5)
    db.session.commit()
    lost = _Tablet("tab-lusaka-lost", "Lusaka tablet (lost)")
    _link_device(lost.id, users["chanda"])
    revoke_device(lost.id)


def load_demo(seed: int = 2026) -> DemoSummary:
    """Load the demo dataset (inside an app context); a second call adds nothing."""
    specs = _specs()
    marker = stable_id(NAIROBI.settlements[0].key)
    summary = DemoSummary(created=db.session.get(Record, marker) is None)
    db.session.rollback()
    users = _accounts(summary)
    rng = random.Random(seed)
    tablets: dict[str, _Tablet] = {}
    for fed in PLANS:
        enumerators = [p for p in fed.people if p[2] == "enumerator"]
        for username, display, _, _ in enumerators:
            tablets[username] = _Tablet(f"tab-{username}", f"{display}'s tablet")
            _link_device(tablets[username].id, users[username])
        for plan in fed.settlements:
            writer = next(tablets[u] for u, _, _, keys in enumerators if plan.key in keys)
            for form_id, record_id, answers in _plan_records(fed, plan, rng):
                summary.settlements += form_id == "sdi_settlement_profile"
                summary.structures += form_id == "sdi_structure_numbering"
                summary.households += form_id == "sdi_household_enumeration"
                if summary.created:
                    writer.write(specs[form_id], record_id, answers)
        city = DATA / "sdi_city_profile" / f"{fed.city.lower()}.json"
        if summary.created:
            writer = tablets[enumerators[0][0]]
            writer.write(specs["sdi_city_profile"], stable_id("city", fed.city),
                         json.loads(city.read_text(encoding="utf-8")))
        for tablet in tablets.values():
            tablet.flush()
    if summary.created:
        _conflicts_and_reviews(tablets, summary)
        _idle_tablets(users)
    return summary


def _households(settlement_key: str, count: int) -> list[str]:
    """The ids of the first `count` households of a demo settlement."""
    found: list[str] = []
    number = 1
    while len(found) < count and number < 1000:
        record_id = stable_id(f"{settlement_key}/{number}/1")
        if db.session.get(Record, record_id) is not None:
            found.append(record_id)
        number += 1
    db.session.rollback()
    return found


def _conflicts_and_reviews(tablets: dict[str, _Tablet], summary: DemoSummary) -> None:
    """Amina and Baraka both correct households of Mashimoni while offline: the
    answers they both changed become conflicts. The leader resolves one and reviews."""
    amina, baraka = tablets["amina"], tablets["baraka"]
    first, second, third, *approved = _households("mashimoni", 8)
    amina.edit(first, {"household/years_in_settlement": 12})
    amina.edit(second, {"household/head_name": "Wanjiku Achieng"})
    amina.edit(third, {"household/water_source": "kiosk"})
    baraka.edit(first, {"household/years_in_settlement": 14})
    baraka.edit(second, {"household/head_name": "Wanjiku Akinyi"})
    baraka.edit(third, {"household/water_source": "shared_tap"})
    amina.flush()
    baraka.flush()
    opened = list(db.session.execute(select(Conflict).where(
        Conflict.record_id == third, Conflict.resolved_at_seq.is_(None))).scalars())
    db.session.rollback()
    for conflict in opened:
        resolve_conflict(conflict.id, "shared_tap", user="leader.nairobi")
    summary.conflicts = 2
    leader = "leader.nairobi"
    for record_id in approved[:4]:
        set_review(record_id, "approved", "", reviewer=leader)
    set_review(approved[4], "has_issues",
               "Two children have no ages; please visit the household again.", reviewer=leader)
    set_review(_households("kambi_moto", 1)[0], "rejected",
               "This household was counted twice (see the next structure).", reviewer=leader)
    set_review(_households("chaisa", 1)[0], "approved", "", reviewer="leader.lusaka")
    summary.reviews = 7
