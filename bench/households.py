"""Realistic household enumeration answers for benchmarks, shaped by the SDI form.

Choice names come from the form itself (forms/definitions/sdi_household_enumeration.xlsx),
so the answers stay valid as the form evolves. Sizes follow what enumerations report:
2-7 members, a head, children and working-age adults, a rent for tenants.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from forms.loader import load_form
from forms.recompute import recompute
from forms.spec import FormSpec
from sync.ids import new_instance_id

FORM_PATH = Path(__file__).resolve().parent.parent / "forms" / "definitions" / \
    "sdi_household_enumeration.xlsx"

FIRST = ["Amina", "Juma", "Wanjiru", "Otieno", "Achieng", "Mwangi", "Fatuma", "Baraka",
         "Nyambura", "Kamau", "Zawadi", "Omondi", "Halima", "Kiprono", "Neema", "Musa",
         "Thandiwe", "Sipho", "Nomvula", "Bongani", "Chipo", "Tendai", "Aisha", "Ibrahim"]
LAST = ["Wanjiku", "Odhiambo", "Mohamed", "Njoroge", "Atieno", "Kariuki", "Hassan",
        "Mutua", "Dlamini", "Nkosi", "Moyo", "Banda", "Phiri", "Mensah", "Okafor", "Ali"]
ASPIRATIONS = ["Water closer to the house", "A toilet we do not share", "Secure tenure",
               "Drainage before the rains", "Electricity we can afford", "", "", ""]


def load_household_form() -> FormSpec:
    return load_form(FORM_PATH)


def _choices(spec: FormSpec, question: str) -> list[str]:
    node = spec.find(question)
    return [c.name for c in spec.choice_list(node.list_name or "")]


def make_household(spec: FormSpec, rng: random.Random, structure_number: str) -> dict[str, Any]:
    """One consenting household's answers as the app saves them: groups, repeat ids and
    the form's calculations (household size, children under five...)."""
    pick = {q: _choices(spec, q) for q in (
        "member_sex", "relationship", "schooling", "occupation", "tenure", "water_source",
        "toilet", "electricity", "income_band", "disasters", "consent")}
    size = rng.choice([1, 2, 2, 3, 3, 4, 4, 4, 5, 5, 6, 7])
    surname = rng.choice(LAST)
    members = []
    for i in range(size):
        age = rng.randint(18, 70) if i == 0 else rng.choice([rng.randint(0, 17),
                                                             rng.randint(18, 60)])
        member: dict[str, Any] = {
            "__id": new_instance_id(),
            "member_name": f"{rng.choice(FIRST)} {surname}",
            "member_age": age,
            "member_sex": rng.choice(pick["member_sex"]),
            "relationship": "head" if i == 0 and "head" in pick["relationship"]
            else rng.choice(pick["relationship"]),
        }
        if age >= 5:
            member["schooling"] = rng.choice(pick["schooling"])
        if age >= 15:
            member["occupation"] = rng.choice(pick["occupation"])
        members.append(member)
    tenure = rng.choice(pick["tenure"])
    household: dict[str, Any] = {
        "head_name": members[0]["member_name"],
        "phone": f"+2547{rng.randint(10_000_000, 99_999_999)}",
        "members_count": size,
        "members": members,
        "tenure": tenure,
        "years_in_settlement": rng.randint(0, 40),
        "water_source": rng.choice(pick["water_source"]),
        "water_cost_month": rng.choice([0, 150, 300, 450, 600, 900]),
        "toilet": rng.choice(pick["toilet"]),
        "electricity": rng.choice(pick["electricity"]),
        "income_band": rng.choice(pick["income_band"]),
        "disasters": sorted(rng.sample([d for d in pick["disasters"] if d != "none"], 2))
        if rng.random() < 0.4 else ["none"],
        "evicted_before": "no",
        "savings_member": rng.choice(["yes", "no"]),
        "aspirations": rng.choice(ASPIRATIONS),
    }
    if tenure == "tenant":
        household["monthly_rent"] = rng.choice([800, 1000, 1200, 1500, 2000, 2500, 3000])
    return recompute(spec, {
        "structure_number": structure_number,
        "household_in_structure": rng.randint(1, 3),
        "consent": "yes",
        "household": household,
    })
