"""The SDI example records (forms/examples) as ops pushed through the real push path,
plus a few more households so counts pass the small-count threshold.

Settlements: Mashimoni (Nairobi, Muungano) and Chaisa (Lusaka, Zambia federation).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from flask import Flask

from field_app.core.session import with_instance_ids
from forms import load_form
from server.services.forms import publish_form
from server.services.push import push_ops
from sync.fields import flatten
from sync.hlc import HybridClock, wall_clock_ms
from sync.ids import new_uuid7
from sync.ops import EDIT, Op, make_op

ROOT = Path(__file__).resolve().parents[2]
RECORDS = ROOT / "forms" / "examples"
DEFINITIONS = ROOT / "forms" / "definitions"
FORMS = ("sdi_settlement_profile", "sdi_structure_numbering", "sdi_household_enumeration",
         "sdi_city_profile")

MASHIMONI = "01961f3a-8c1e-7b2a-9d4e-3f5a6b7c8d90"
CHAISA = "01964b70-2d55-7c01-8f3e-a1b2c3d4e5f6"
MSH_0142 = "01963a11-5e2f-7d44-b6a8-0c9d8e7f6a5b"
CHS_2210 = "01964c02-9a1b-7e3c-8d5f-112233445566"
MSH_0007 = "01963a11-0007-7d44-b6a8-0c9d8e7f6a5b"
NAIROBI_CITY = "01965000-0000-7000-8000-000000000001"
LUSAKA_CITY = "01965000-0000-7000-8000-000000000002"
#: Extra Mashimoni households: (name, phone, tenure, electricity, members [(age, sex)]).
EXTRA = [
    ("Wanjiru Kamau", "+254700000001", "tenant", "grid_shared", [(33, "female"), (7, "male")]),
    ("Peter Mwangi", "+254700000002", "owner", "none", [(50, "male"), (45, "female"),
                                                        (16, "female")]),
    ("Aisha Hassan", "+254700000003", "tenant", "grid_metered", [(28, "female"), (3, "male")]),
    ("Otieno Okoth", "+254700000004", "tenant", "grid_shared", [(61, "male")]),
    ("Grace Njeri", "+254700000005", "tenant", "solar", [(24, "female"), (1, "female"),
                                                         (26, "male")]),
]
NAMES = ["Joseph Otieno", "Mary Akinyi", "Esther Mwale", "+254712345678"] + \
    [e[0] for e in EXTRA] + [e[1] for e in EXTRA]


@cache
def form_specs() -> dict[str, Any]:
    return {form_id: load_form(DEFINITIONS / f"{form_id}.xlsx") for form_id in FORMS}


def read(form_id: str, name: str) -> dict[str, Any]:
    return json.loads((RECORDS / form_id / f"{name}.json").read_text(encoding="utf-8"))


def household(structure_id: str, number: int, name: str, phone: str, tenure: str,
              electricity: str, members: list[tuple[int, str]]) -> dict[str, Any]:
    answers = copy.deepcopy(read("sdi_household_enumeration", "msh_0142_tenant_family"))
    answers["structure_id"] = structure_id
    answers["household_in_structure"] = number
    hh = answers["household"]
    hh.update(head_name=name, phone=phone, tenure=tenure, electricity=electricity,
              members_count=len(members), household_size=len(members),
              savings_member="no")
    hh["members"] = [{"member_name": f"{name} {i}" if i else name, "member_age": age,
                      "member_sex": sex, "relationship": "head" if i == 0 else "child"}
                     for i, (age, sex) in enumerate(members)]
    return answers


def dataset() -> list[tuple[str, str, dict[str, Any]]]:
    """(form_id, record_id, answers) of every test record."""
    msh_0007 = read("sdi_structure_numbering", "msh_0007_church")
    records = [
        ("sdi_settlement_profile", MASHIMONI, read("sdi_settlement_profile",
                                                   "mashimoni_nairobi")),
        ("sdi_settlement_profile", CHAISA, read("sdi_settlement_profile", "chaisa_lusaka")),
        ("sdi_structure_numbering", MSH_0142, read("sdi_structure_numbering",
                                                   "msh_0142_residential")),
        ("sdi_structure_numbering", CHS_2210, read("sdi_structure_numbering",
                                                   "chs_2210_shop_house")),
        ("sdi_structure_numbering", MSH_0007, msh_0007),
        ("sdi_household_enumeration", new_uuid7(),
         read("sdi_household_enumeration", "msh_0142_tenant_family")),
        ("sdi_household_enumeration", new_uuid7(),
         read("sdi_household_enumeration", "msh_0142_second_household_refused")),
        ("sdi_household_enumeration", new_uuid7(),
         read("sdi_household_enumeration", "chs_2210_grandmother_owner")),
        ("sdi_city_profile", NAIROBI_CITY, read("sdi_city_profile", "nairobi")),
        ("sdi_city_profile", LUSAKA_CITY, read("sdi_city_profile", "lusaka")),
    ]
    for i, extra in enumerate(EXTRA, start=3):
        records.append(("sdi_household_enumeration", new_uuid7(),
                        household(MSH_0142, i, *extra)))
    return records


def make_ops(records: list[tuple[str, str, dict[str, Any]]], device_id: str = "tab-kyc"
             ) -> list[Op]:
    clock = HybridClock(device_id)
    versions = {form_id: spec.version for form_id, spec in form_specs().items()}
    return [make_op(EDIT, clock=clock, device_id=device_id, record_id=record_id,
                    form_id=form_id, form_version=versions[form_id],
                    fields=flatten(with_instance_ids(answers)), heads={})
            for form_id, record_id, answers in records]


def publish_sdi_forms(app: Flask) -> None:
    with app.app_context():
        for spec in form_specs().values():
            publish_form(spec)


def push(app: Flask, ops: list[Op]) -> None:
    """Apply ops through the server's push service, as a device's push does."""
    with app.app_context():
        result = push_ops("tab-kyc", ops, now_ms=wall_clock_ms(),
                          max_drift_ms=10**12)
        assert not result.rejected, result.rejected


def load_kyc(app: Flask, federation_a: str, federation_b: str) -> None:
    """Mashimoni in federation A and Chaisa in B, the SDI forms, and every test record
    pushed through the push service."""
    from server.extensions import db
    from server.models import Settlement

    with app.app_context():
        db.session.add_all([
            Settlement(id=MASHIMONI, federation_id=federation_a, name="Mashimoni",
                       city="Nairobi"),
            Settlement(id=CHAISA, federation_id=federation_b, name="Chaisa", city="Lusaka")])
        db.session.commit()
    publish_sdi_forms(app)
    push(app, make_ops(dataset()))


def kyc_world(db_url: str, instance: Path) -> Iterator[tuple[Flask, Any]]:
    """An app with the personas and every test record, shared by a module's read-only
    tests (building it per test would cost most of their time); emptied afterwards."""
    from personas import make_personas
    from server_harness import wipe

    from server.app import create_app
    from server.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "INSTANCE_PATH": str(instance)})
    people = make_personas(app)
    load_kyc(app, people.federation_a, people.federation_b)
    try:
        yield app, people
    finally:
        with app.app_context():
            db.session.remove()
            wipe()
            db.engine.dispose()


def page(persona: Any, path: str) -> str:
    """A web page as `persona` sees it (asserting it answered 200)."""
    response = persona.client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)
