"""Corrections on the server go through the form engine exactly as a tablet's answers do
(issue 16): the API, the web page and conflict resolution refuse what the form refuses,
name the question and the rule in the leader's language, recompute calculations (the
record's title, household size, children under five) and leave an edit history."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from personas import People, make_personas
from server_harness import Device
from server_harness import push_ok as push
from sqlalchemy import select

from forms import load_form
from forms.recompute import recompute
from server.extensions import db
from server.models import Conflict, Record
from server.models import Op as OpRow
from server.services.forms import publish_form
from server.services.resolution import resolve_conflict
from sync.fields import flatten

ROOT = Path(__file__).resolve().parents[2]
HOUSEHOLD = "sdi_household_enumeration"
STRUCTURE = "sdi_structure_numbering"


def example(form_id: str, name: str) -> dict[str, Any]:
    return json.loads((ROOT / "forms" / "examples" / form_id / name).read_text())


@pytest.fixture
def people(app: Flask) -> People:
    with app.app_context():
        for form_id in (HOUSEHOLD, STRUCTURE):
            publish_form(load_form(ROOT / "forms" / "definitions" / f"{form_id}.xlsx"))
    return make_personas(app)


def new_record(app: Flask, device: Device, form_id: str, answers: dict[str, Any]) -> str:
    """A record as a tablet sends it: recomputed, repeat entries with ids."""
    from field_app.core.session import with_instance_ids

    form = load_form(ROOT / "forms" / "definitions" / f"{form_id}.xlsx")
    answers = with_instance_ids(recompute(form, answers))
    op = device.op(fields=flatten(answers), form_id=form_id, form_version=form.version)
    push(app, device, [op])
    return op.record_id


@pytest.fixture
def household(app: Flask, people: People) -> str:
    structure = example(STRUCTURE, "msh_0142_residential.json")
    structure["settlement_id"] = people.s1
    structure_id = new_record(app, people.tablet_a, STRUCTURE, structure)
    answers = example(HOUSEHOLD, "msh_0142_tenant_family.json")
    answers["structure_id"] = structure_id
    return new_record(app, people.tablet_a, HOUSEHOLD, answers)


def stored(app: Flask, record_id: str) -> tuple[dict[str, Any], int]:
    with app.app_context():
        record = db.session.get(Record, record_id)
        fields = dict(record.fields)
        ops = len(db.session.execute(select(OpRow.op_id).where(
            OpRow.record_id == record_id)).all())
        db.session.rollback()
    return fields, ops


def member_path(fields: dict[str, Any], position: int, name: str) -> str:
    """The field path of a member's answer (positions from 1, as listed)."""
    keys = sorted((v, k) for k, v in fields.items()
                  if k.startswith("household/members[") and k.endswith("]"))
    return f"{keys[position - 1][1]}/{name}"


# -- 1. the API ------------------------------------------------------------------------
@pytest.mark.parametrize(("path", "value", "code"), [
    ("household/members_count", [1, 2], "type"),
    ("household/years_in_settlement", "abc", "type"),
    ("household/tenure", "castle", "unknown_choice"),
    ("nonexistent/field", "zzz", "unknown_question"),
    ("household/household_size", 9, "computed"),
    ("household/head_name", "x" * 200_000, "too_long"),
])
def test_the_api_refuses_what_the_form_refuses_and_stores_nothing(
        app: Flask, people: People, household: str, path: str, value: Any, code: str) -> None:
    before = stored(app, household)
    reply = people.leader_a.api.patch(f"/api/records/{household}",
                                      json={"fields": {path: value}})
    assert reply.status_code == 422, reply.json
    error = reply.json["error"]
    assert error["code"] == "record.answer_invalid"
    assert [p["code"] for p in error["details"]["problems"]] == [code]
    assert error["details"]["problems"][0]["path"] == path
    assert stored(app, household) == before  # no op, no change


def test_the_api_refuses_a_value_that_breaks_a_constraint_and_says_the_rule(
        app: Flask, people: People, household: str) -> None:
    fields, _ = stored(app, household)
    age = member_path(fields, 1, "member_age")
    reply = people.leader_a.api.patch(f"/api/records/{household}",
                                      json={"fields": {age: 500}})
    assert reply.status_code == 422
    [problem] = reply.json["error"]["details"]["problems"]
    assert problem == {"path": age, "question": "Age in years", "code": "constraint",
                       "rule": "the form's rule: . >= 0 and . <= 120",
                       "message": "An age from 0 to 120."}


def test_a_good_correction_recomputes_the_title_and_calculations(
        app: Flask, people: People, household: str) -> None:
    fields, ops = stored(app, household)
    assert fields["meta/instanceName"] == "MSH-0142/1 Joseph Otieno"
    age = member_path(fields, 3, "member_age")  # Brian, 9 -> 3: now under five
    reply = people.leader_a.api.patch(f"/api/records/{household}", json={"fields": {
        "household/head_name": "Joseph Otieno Ouma", age: 3}})
    assert reply.status_code == 200, reply.json
    after, ops_after = stored(app, household)
    assert ops_after == ops + 1
    assert after["household/head_name"] == "Joseph Otieno Ouma"
    assert after["meta/instanceName"] == "MSH-0142/1 Joseph Otieno Ouma"
    assert after[age.replace("member_age", "is_under_5")] == 1
    assert after["household/children_under_5"] == 3
    # Schooling applies from 5 years: Brian's answer no longer applies and is removed.
    assert after[age.replace("member_age", "schooling")] is None
    with app.app_context():
        op = db.session.get(OpRow, reply.json["op_id"])
        assert op.payload["meta"]["user"] == "leader_a"
        assert set(op.payload["fields"]) >= {"meta/instanceName", "household/children_under_5"}
        db.session.rollback()


# -- 2. the web page ---------------------------------------------------------------------
def correct(people: People, record_id: str, path: str, *values: str) -> str:
    page = people.leader_a.client.post(f"/records/{record_id}/edit",
                                       data={"path": path, "value": list(values)},
                                       follow_redirects=True)
    return page.get_data(as_text=True)


@pytest.mark.parametrize(("name", "value", "said"), [
    ("member_age", "500", "An age from 0 to 120."),
    ("members_count", "0", "From 1 to 40 people."),
    ("monthly_rent", "-100", "A tenant pays more than 0."),
    ("years_in_settlement", "-5", "the form&#39;s rule"),
    ("head_name", "", "(an answer is required)"),
    ("head_name", "y" * 200_000, "At most 10,000 characters, not 200,000."),
])
def test_the_web_correction_refuses_what_the_form_refuses(
        app: Flask, people: People, household: str, name: str, value: str, said: str) -> None:
    fields, ops = stored(app, household)
    path = member_path(fields, 1, name) if name == "member_age" else f"household/{name}"
    page = correct(people, household, path, value)
    assert said in page, page[:3000]
    assert "flash-error" in page and "Saved:" not in page
    assert stored(app, household) == (fields, ops)


def test_consent_cannot_be_cleared_on_the_web(app: Flask, people: People,
                                              household: str) -> None:
    before = stored(app, household)
    page = correct(people, household, "consent", "")
    assert "An answer is needed here. (an answer is required)" in page
    assert stored(app, household) == before


def test_the_web_uses_the_questions_widget_and_fills_an_unanswered_question(
        app: Flask, people: People, household: str) -> None:
    leader = people.leader_a.client
    page = leader.get(f"/records/{household}?correct=household/tenure").get_data(as_text=True)
    assert '<option value="tenant" selected>' in page  # the choice by its label
    assert ">Tenant (pays rent)<" in page
    # The household answered no phone? It did; clear it, then fill it again.
    assert "Saved:" in correct(people, household, "household/phone", "")
    shown = leader.get(f"/records/{household}?unanswered=1").get_data(as_text=True)
    assert 'data-field="household/phone"' in shown  # listed although unanswered
    assert "Saved:" in correct(people, household, "household/phone", "+254700000001")
    fields, _ = stored(app, household)
    assert fields["household/phone"] == "+254700000001"
    done = correct(people, household, "household/disasters", "fires", "floods", "fire")
    assert "flash-error" in done  # "fire" is no choice
    assert "Saved:" in correct(people, household, "household/disasters", "floods")
    assert stored(app, household)[0]["household/disasters"] == ["floods"]


def test_the_record_page_shows_its_edit_history(app: Flask, people: People,
                                                household: str) -> None:
    correct(people, household, "household/head_name", "Joseph O. Otieno")
    page = people.leader_a.client.get(f"/records/{household}").get_data(as_text=True)
    history = page[page.index('id="edit-history"'):]
    assert "Leader A" in history or "leader_a" in history
    assert "Enumerator A" in history  # the tablet's person created it
    assert "<del>Joseph Otieno</del> → <ins>Joseph O. Otieno</ins>" in history
    assert "MSH-0142/1 Joseph O. Otieno" in page  # the title follows


# -- 3. conflict resolution ----------------------------------------------------------------
def test_a_resolution_is_checked_by_the_form_and_recomputes(
        app: Flask, people: People, household: str) -> None:
    from server_harness import enrol_device

    other = enrol_device(app, "tab-other", "Other tablet")
    fields, _ = stored(app, household)
    age = member_path(fields, 4, "member_age")  # Faith, 4
    with app.app_context():
        heads = {age: [r for r, in db.session.execute(select(OpRow.op_id).where(
            OpRow.record_id == household)).all()][:1]}
        db.session.rollback()
    tablet = people.tablet_a
    push(app, tablet, [tablet.op(household, {age: 6}, heads, form_id=HOUSEHOLD,
                                 form_version="2026120601")])
    push(app, other, [other.op(household, {age: 7}, heads, form_id=HOUSEHOLD,
                               form_version="2026120601")])
    with app.app_context():
        conflict = db.session.execute(select(Conflict).where(
            Conflict.path == age, Conflict.resolved_at_seq.is_(None))).scalar_one()
        cid = conflict.id
        db.session.rollback()
        with pytest.raises(Exception) as refused:
            resolve_conflict(cid, 700, user="leader_a")
        assert getattr(refused.value, "code", "") == "record.answer_invalid"
        done = resolve_conflict(cid, 3, user="leader_a")
        record = db.session.get(Record, household)
        assert record.fields[age] == 3
        assert record.fields[age.replace("member_age", "is_under_5")] == 1
        assert db.session.get(Conflict, cid).resolved_at_seq is not None
        assert done.value == 3
        db.session.rollback()
