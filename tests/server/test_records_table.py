"""The leaders' records table (issue 16): question columns and who sent each record,
sorted and filtered on any of them, on SQLite and PostgreSQL; the question sort keys
(record_values) follow every write of a record; several records reviewed at once;
who may open it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from personas import People, make_personas
from server_harness import Device, enrol_device
from server_harness import push_ok as push
from sqlalchemy import select

from forms.spec import Choice, FormSpec, Node
from server.extensions import db
from server.models import AuditEvent, Conflict, Record, RecordValue, Review, User
from server.services.forms import publish_form
from server.services.record_values import sort_keys
from server.services.records_table import Query, question_columns, records_page
from server.services.resolution import edit_record, resolve_conflict
from server.services.scoping import visible_record_ids

FORM = "sdi_structure_numbering"


def structure_form() -> FormSpec:
    def q(type_: str, name: str, label: str, **kw: Any) -> Node:
        return Node("question", type_, name, (name,), label={"default": label}, **kw)

    return FormSpec(id=FORM, version="1", title="Structures", choices={
        "wall": (Choice("mud", {"default": "Mud"}), Choice("brick", {"default": "Brick"})),
        "hazard": (Choice("floods", {"default": "Floods"}),
                   Choice("floods_x", {"default": "Flash floods"}),
                   Choice("fire", {"default": "Fire"}))},
        children=(q("text", "settlement_id", "Settlement"),
                  q("text", "structure_number", "Structure number"),
                  q("text", "owner", "Owner"),
                  q("integer", "storeys", "Storeys"),
                  q("select_one", "wall_material", "Walls", list_name="wall"),
                  q("select_multiple", "hazards", "Hazards", list_name="hazard")))


@pytest.fixture
def people(app: Flask) -> People:
    with app.app_context():
        publish_form(structure_form())
    return make_personas(app)


def structure(device: Device, settlement: str, number: str, **answers: Any) -> Any:
    return device.op(fields={"settlement_id": settlement, "structure_number": number,
                             **answers}, form_id=FORM, form_version="1")


#: structure number -> answers; K5 comes from a tablet without a person.
ANSWERS = {
    "K1": {"owner": "Zoé", "storeys": 3, "wall_material": "mud", "hazards": ["floods"]},
    "K2": {"owner": "adam", "storeys": 1, "wall_material": "brick",
           "hazards": ["floods_x"]},
    "K3": {"owner": "Émile", "storeys": 10, "wall_material": "mud",
           "hazards": ["fire", "floods"]},
    "K4": {"owner": "bob", "storeys": 2, "wall_material": "brick"},
    "K5": {"owner": "Chidi"},
}


@pytest.fixture
def spare(app: Flask) -> Device:
    """A tablet enrolled for nobody."""
    return enrol_device(app, "tab-spare", "Spare tablet")


@pytest.fixture
def structures(app: Flask, people: People, spare: Device) -> dict[str, str]:
    """structure number -> record id: four from Enumerator A's tablet, one from the spare
    tablet, one of the other federation."""
    ids = {}
    for number, answers in ANSWERS.items():
        device = spare if number == "K5" else people.tablet_a
        op = structure(device, people.s1, number, **answers)
        push(app, device, [op])
        ids[number] = op.record_id
    other = structure(spare, people.s3, "C1", owner="Aaron", storeys=50)
    push(app, spare, [other])
    ids["C1"] = other.record_id
    return ids


class Table:
    """records_page as leader A sees the structures, by structure number."""

    def __init__(self, app: Flask, people: People, ids: dict[str, str]) -> None:
        self.app, self.people = app, people
        self.numbers = {v: k for k, v in ids.items()}

    def __call__(self, **query: Any) -> list[str]:
        return self.rows(**query)[0]

    def rows(self, **query: Any) -> tuple[list[str], int, list[Any]]:
        with self.app.test_request_context():
            leader = db.session.get(User, self.people.leader_a.user_id)
            columns = {c.path: c for c in question_columns(structure_form())}
            wanted = [columns[p] for p in ("owner", "storeys", "wall_material", "hazards")]
            rows, total = records_page(Query(form_id=FORM, columns=wanted, **query),
                                       visible_record_ids(leader))
            db.session.rollback()
        return [self.numbers[r.record_id] for r in rows], total, rows


@pytest.fixture
def table(app: Flask, people: People, structures: dict[str, str]) -> Table:
    return Table(app, people, structures)


def test_question_columns_sort_as_numbers_and_as_folded_text(table: Table) -> None:
    assert table() == ["K5", "K4", "K3", "K2", "K1"]  # newest first; not C1 (Lusaka)
    assert table(sort="q:storeys") == ["K3", "K1", "K4", "K2", "K5"]  # 10 > 3: numbers
    assert table(sort="q:storeys", descending=False) == ["K2", "K4", "K1", "K3", "K5"]
    # Case and accents do not count; no answer comes last either way.
    assert table(sort="q:owner", descending=False) == ["K2", "K4", "K5", "K3", "K1"]
    assert table(sort="q:wall_material", descending=False)[-1] == "K5"
    _ids, total, rows = table.rows(sort="q:storeys", limit=2, offset=2)
    assert _ids == ["K4", "K2"] and total == 5
    # Pages across the end of the answered records, either way.
    assert table(sort="q:storeys", limit=2, offset=3) == ["K2", "K5"]
    assert table(sort="q:storeys", limit=2, offset=4) == ["K5"]
    assert table(sort="q:storeys", descending=False, limit=3, offset=3) == ["K3", "K5"]
    assert table(sort="q:storeys", limit=2, offset=6) == []
    assert table(sort="q:owner", answers=[("storeys", "max", 2)]) == ["K4", "K2"]
    k4 = rows[0]
    assert k4.answers["storeys"] == 2 and k4.answers["wall_material"] == "brick"
    assert k4.enumerator == "Enumerator A" and k4.device == "Enumerator A's tablet"
    assert k4.submitted_at is not None and k4.review_state == "" and k4.conflicts == 0


def test_question_filters_match_choices_ranges_and_text(table: Table) -> None:
    assert table(answers=[("wall_material", "eq", "mud")]) == ["K3", "K1"]
    # One of several choices, and not a choice whose name starts the same.
    assert table(answers=[("hazards", "has", "floods")]) == ["K3", "K1"]
    assert table(answers=[("owner", "contains", "EMI")]) == ["K3"]
    assert table(answers=[("owner", "contains", "%")]) == []  # a plain character
    assert table(answers=[("storeys", "min", 2), ("storeys", "max", 3)]) == ["K4", "K1"]
    assert table(answers=[("storeys", "min", 2), ("wall_material", "eq", "brick")]) == ["K4"]
    _ids, total, _rows = table.rows(answers=[("storeys", "min", 2)], limit=1)
    assert total == 3


def test_who_sent_it_review_and_conflicts_sort_and_filter(
        app: Flask, people: People, spare: Device, structures: dict[str, str],
        table: Table) -> None:
    assert table(enumerator=people.enumerator_a.user_id) == ["K4", "K3", "K2", "K1"]
    assert table(device="tab-spare") == ["K5"]
    assert table(sort="enumerator", descending=False)[-1] == "K5"  # nobody: last
    assert table(sort="device", descending=False)[0] == "K1"  # "Enumerator A's..."
    leader = people.leader_a.client
    for number, state in (("K1", "approved"), ("K2", "has_issues")):
        leader.post(f"/records/{structures[number]}/review",
                    data={"state": state, "comment": "seen"})
    assert table(state="approved") == ["K1"]
    assert table(state="") == ["K5", "K4", "K3"]  # not reviewed
    # Ascending: what waits for a leader first (not reviewed, has issues, ... approved).
    assert table(sort="review", descending=False) == ["K3", "K4", "K5", "K2", "K1"]
    # Two tablets change K3's storeys without seeing each other: an open conflict.
    heads = {"storeys": [latest_op(app, structures["K3"])]}
    push(app, people.tablet_a, [people.tablet_a.op(structures["K3"], {"storeys": 4}, heads,
                                                   form_id=FORM)])
    push(app, spare, [spare.op(structures["K3"], {"storeys": 5}, heads, form_id=FORM)])
    assert table(conflicts=True) == ["K3"]
    assert table(conflicts=False) == ["K5", "K4", "K2", "K1"]
    assert table(sort="conflicts")[0] == "K3"
    assert table.rows(conflicts=True)[2][0].conflicts == 1


def latest_op(app: Flask, record_id: str) -> str:
    with app.app_context():
        op_id = db.session.get(Record, record_id).latest_op_id
        db.session.rollback()
    return op_id


def test_sort_keys_follow_pushes_corrections_and_resolutions(
        app: Flask, people: People, spare: Device, structures: dict[str, str],
        table: Table) -> None:
    """The question keys are kept in record_values; every write of a record (a tablet's
    push, a correction on the web, a conflict resolution) reaches them."""
    assert table(sort="q:storeys")[0] == "K3"  # keys made for storeys (10 on top)
    heads = {"storeys": [latest_op(app, structures["K2"])]}
    push(app, people.tablet_a, [people.tablet_a.op(structures["K2"], {"storeys": 20}, heads,
                                                   form_id=FORM)])  # a tablet's edit
    assert table(sort="q:storeys")[0] == "K2"
    with app.test_request_context():
        edit_record(structures["K4"], {"storeys": 30}, user="leader_a")  # a correction
    assert table(sort="q:storeys")[0] == "K4"
    assert table(answers=[("storeys", "min", 25)]) == ["K4"]
    heads = {"storeys": [latest_op(app, structures["K1"])]}
    push(app, people.tablet_a, [people.tablet_a.op(structures["K1"], {"storeys": 40}, heads,
                                                   form_id=FORM)])
    push(app, spare, [spare.op(structures["K1"], {"storeys": 4}, heads, form_id=FORM)])
    with app.app_context():
        conflict_id = db.session.execute(select(Conflict.id)).scalar_one()
        db.session.rollback()
    with app.test_request_context():
        resolve_conflict(conflict_id, 50, user="leader_a")  # a new value settles it
    assert table(sort="q:storeys")[0] == "K1"
    assert table(answers=[("storeys", "min", 45)]) == ["K1"]
    heads = {"owner": [latest_op(app, structures["K3"])]}
    push(app, people.tablet_a, [people.tablet_a.op(structures["K3"], {"owner": None}, heads,
                                                   form_id=FORM)])  # an answer cleared
    assert table(sort="q:owner", descending=False) == ["K2", "K4", "K5", "K1", "K3"]
    assert table(answers=[("owner", "contains", "emile")]) == []
    with app.app_context():
        kept = {(v.record_id, v.path): v.number for v in
                db.session.execute(select(RecordValue)).scalars()}
        db.session.rollback()
    # Only the columns sorted or filtered on are kept; "other federation" records too
    # (the keys are per form; who sees what is the query's job).
    assert {p for _r, p in kept} == {"storeys", "owner"}
    assert kept[(structures["C1"], "storeys")] == 50


def test_sort_keys_of_answers() -> None:
    assert sort_keys(None) == (None, None, None) == sort_keys("") == sort_keys([])
    assert sort_keys(3) == ("3", "3", 3.0)
    assert sort_keys("Émile") == ("Émile", "emile", None)
    assert sort_keys(["fire", "floods"]) == (" fire floods ", " fire floods ", None)
    assert sort_keys(True) == ("true", "true", None)
    # A number stored as text (an OpenRosa submission's calculate) sorts as a number.
    assert sort_keys("12.5") == ("12.5", "12.5", 12.5)
    assert sort_keys(" 7 ")[2] == 7.0
    assert sort_keys("nan")[2] is None and sort_keys("1e400")[2] is None
    assert len(sort_keys("x" * 500)[0] or "") == 200


def tr_ids(html: str) -> list[str]:
    return re.findall(r'<tr data-record-id="([^"]+)"', html)


def test_a_leader_reviews_several_records_at_once(app: Flask, people: People,
                                                  structures: dict[str, str]) -> None:
    leader = people.leader_a.client
    page = leader.get(f"/records/?form={FORM}&cols=q:storeys&sort=q:storeys&dir=asc")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="bulk-review"' in html
    numbers = {v: k for k, v in structures.items()}
    assert [numbers[i] for i in tr_ids(html)] == ["K2", "K4", "K1", "K3", "K5"]
    chosen = [structures["K1"], structures["K2"], structures["C1"]]  # C1: not hers
    refused = leader.post("/records/review", data={"record_id": chosen, "state": "has_issues",
                                                   "comment": " "}, follow_redirects=True)
    assert "a comment is needed unless the records are approved" in refused.get_data(
        as_text=True)
    done = leader.post("/records/review", data={
        "record_id": chosen, "state": "has_issues", "comment": "Storeys look wrong",
        "back": f"/records/?form={FORM}&state=has_issues"})
    assert done.status_code == 302
    assert done.headers["Location"].endswith(f"/records/?form={FORM}&state=has_issues")
    listing = leader.get(done.headers["Location"]).get_data(as_text=True)
    assert "2 records marked has issues." in listing
    assert sorted(numbers[i] for i in tr_ids(listing)) == ["K1", "K2"]
    with app.app_context():
        reviews = db.session.execute(select(Review.record_id, Review.comment, Review.reviewer)
                                     ).all()
        audits = db.session.execute(select(AuditEvent.target).where(
            AuditEvent.action == "record.review")).scalars().all()
        db.session.rollback()
    assert sorted(r.record_id for r in reviews) == sorted(chosen[:2])
    assert {(r.comment, r.reviewer) for r in reviews} == {("Storeys look wrong", "leader_a")}
    pulled = app.test_client().get("/api/sync/pull?cursor=0",
                                   headers=people.tablet_a.auth).json["changes"]
    # Each reaches its enumerator's tablet at the next sync, as a review made one by one.
    assert sorted(c["record_id"] for c in pulled if c["type"] == "review") == \
        sorted(chosen[:2])
    assert sorted(audits) == sorted(chosen[:2])
    # An address outside the records table is not followed back.
    away = leader.post("/records/review", data={"record_id": chosen[:1], "state": "approved",
                                                "back": "https://example.org/"})
    assert away.headers["Location"].endswith("/records/")
    nothing = leader.post("/records/review", data={"state": "approved"},
                          follow_redirects=True)
    assert "Tick at least one record." in nothing.get_data(as_text=True)
    odd = leader.post("/records/review", data={"record_id": chosen[:1], "state": "lost"},
                      follow_redirects=True)
    assert "Choose approved or has issues." in odd.get_data(as_text=True)


def people_listed(html: str) -> set[str]:
    """The names in the table's enumerator filter."""
    select_ = html[html.index('<select name="enumerator">'):]
    return set(re.findall(r'<option value="[^"]+"[^>]*>([^<]+)</option>',
                          select_[:select_.index("</select>")]))


def test_enumerators_read_their_own_records_and_officials_none(
        app: Flask, people: People, structures: dict[str, str]) -> None:
    from server.models import DeviceAccount

    # The leader has a tablet too, but works in no settlement of the enumerator's.
    leaders_tablet = enrol_device(app, "tab-leader", "Leader's tablet")
    with app.app_context():
        db.session.add(DeviceAccount(device_id=leaders_tablet.id,
                                     user_id=people.leader_a.user_id,
                                     federation_id=people.federation_a))
        db.session.commit()
    leaders_view = people.leader_a.client.get("/records/").get_data(as_text=True)
    assert people_listed(leaders_view) == {"Enumerator A", "Leader A"}
    enumerator = people.enumerator_a.client
    assert people_listed(enumerator.get("/records/").get_data(as_text=True)) == {
        "Enumerator A"}
    page = enumerator.get(f"/records/?form={FORM}&cols=q:owner&sort=q:owner")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="bulk-review"' not in html
    assert 'name="record_id"' not in html
    assert structures["C1"] not in html and len(tr_ids(html)) == 5  # settlement s1 only
    assert enumerator.post("/records/review", data={
        "record_id": [structures["K1"]], "state": "approved"}).status_code == 403
    assert people.official_a.client.get("/records/").status_code == 403
    assert people.official_a.client.post("/records/review", data={
        "record_id": [structures["K1"]], "state": "approved"}).status_code == 403
    other = people.leader_b.client.get(f"/records/?form={FORM}").get_data(as_text=True)
    assert tr_ids(other) == [structures["C1"]]


def test_choosing_another_form_shows_its_own_columns(app: Flask, people: People,
                                                     structures: dict[str, str]) -> None:
    from server_harness import publish_test_form

    other, _version = publish_test_form(app)  # questions name, age, toilet
    leader = people.leader_a.client
    page = leader.get(f"/records/?form={FORM}&cols=q:storeys&cols=q:owner&cols_for={FORM}"
                      ).get_data(as_text=True)
    assert re.findall(r'<th data-column="([^"]+)"', page) == ["q:owner", "q:storeys"]
    # The filter form still carries the structure form's ticked columns: not kept.
    switched = leader.get(f"/records/?form={other}&cols=q:storeys&cols_for={FORM}"
                          ).get_data(as_text=True)
    assert re.findall(r'<th data-column="([^"]+)"', switched) == ["q:name", "q:age",
                                                                  "q:toilet"]
    # Back to the structures: the columns chosen for them are remembered.
    again = leader.get(f"/records/?form={FORM}").get_data(as_text=True)
    assert re.findall(r'<th data-column="([^"]+)"', again) == ["q:owner", "q:storeys"]
