"""What Collect's submissions do to records: photos (also split over several POSTs),
edits (meta/deprecatedID) against a Hesabu tablet's concurrent edits, settlement
linking by name and painted number, federation scoping, settlement indicators."""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

import pytest
from collect import Collect
from openrosa_site import ROOT, Site, sdi_form
from server_harness import Device, HttpClient, enrol_device, table_counts
from sqlalchemy import select

from forms import load_form
from forms.submission import write_instance
from server.extensions import db
from server.models import Assignment, Attachment, Conflict, Record, RecordScope, Settlement
from server.models import Op as OpRow
from server.models.attachments import COMPLETE
from server.services.forms import publish_form
from server.services.indicators.profiles import Viewer, settlement_profile
from server.services.resolution import current_heads
from sync.ops import EDIT, make_op

EXAMPLES = ROOT / "forms" / "examples"
HOUSEHOLD, STRUCTURE, PROFILE = ("sdi_household_enumeration", "sdi_structure_numbering",
                                 "sdi_settlement_profile")


def example(form_id: str, name: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / form_id / f"{name}.json").read_text())


def phone(site: Site, who: str = "amina") -> Collect:
    access = getattr(site, who)
    return Collect(site.url, access.username, access.password)


def send(collect: Collect, form_id: str, answers: dict[str, Any], instance_id: str,
         deprecated_id: str | None = None, files: dict[str, bytes] | None = None) -> str:
    xml = write_instance(sdi_form(form_id), answers, instance_id, deprecated_id)
    replies = collect.submit(xml, files)
    assert all(r.status == 201 for r in replies), [(r.status, r.body) for r in replies]
    return replies[-1].message


def record_of(site: Site, form_id: str) -> Record:
    with site.ctx():
        (record,) = db.session.execute(select(Record).where(Record.form_id == form_id)
                                       ).scalars()
        db.session.expunge(record)
        db.session.rollback()
    return record


def jpeg(seed: int, size: int = 40_000) -> bytes:
    return b"\xff\xd8" + hashlib.sha256(str(seed).encode()).digest() * (size // 32) + b"\xff\xd9"


def test_a_structure_with_its_photo_and_gps(site: Site) -> None:
    answers = example(STRUCTURE, "msh_0142_residential")
    answers.pop("settlement_id")
    photo = jpeg(1)
    send(phone(site), STRUCTURE, answers, "uuid:structure-1",
         files={answers["photo"]: photo, "not-named.jpg": jpeg(2)})
    record = record_of(site, STRUCTURE)
    assert record.answers["gps"] == "-1.31342 36.78911 1701 3.8"
    assert record.answers["photo"] == "MSH-0142-1774512000.jpg"
    sha = hashlib.sha256(photo).hexdigest()
    with site.ctx():
        (op,) = db.session.execute(select(OpRow.payload)).scalars()
        assert op["meta"]["attachments"] == {"MSH-0142-1774512000.jpg": {
            "sha256": sha, "size": len(photo), "type": "image/jpeg"}}
        stored = db.session.execute(select(Attachment.sha256, Attachment.status)).all()
        assert stored == [(sha, COMPLETE)]  # the file the XML does not name is not kept
        db.session.rollback()
    # A tablet syncing later downloads the photo like any other.
    tablet = enrol_device(site.app, "tab-1", "Tablet 1")
    port = int(site.url.rsplit(":", 1)[1])
    reply = HttpClient(port, tablet.token).request("GET", f"/api/attachments/{sha}")
    assert reply.status == 200 and reply.body == photo


TWO_PHOTOS = {
    "survey": [{"type": "text", "name": "name", "label": "Name"},
               {"type": "image", "name": "front", "label": "Front"},
               {"type": "image", "name": "back", "label": "Back"}],
    "settings": [{"form_id": "two_photos", "version": "1", "form_title": "Two photos"}],
}


@pytest.fixture
def site_config() -> dict[str, Any]:
    return {"HESABU_OPENROSA_MAX_BYTES": 60_000}


def test_a_large_submission_split_over_two_posts_keeps_both_photos(site: Site) -> None:
    spec = load_form(TWO_PHOTOS)
    with site.ctx():
        publish_form(spec)
    front, back = jpeg(3), jpeg(4)
    collect = phone(site)
    xml = write_instance(spec, {"name": "Wall", "front": "front.jpg", "back": "back.jpg"},
                         "uuid:split-1")
    replies = collect.submit(xml, {"front.jpg": front, "back.jpg": back})
    assert [r.status for r in replies] == [201, 201]
    posts = [h for m, _, h in collect.sent if m == "POST"]
    assert len(posts) == 2
    with site.ctx():
        ops = db.session.execute(select(OpRow.payload).order_by(OpRow.server_seq)
                                 ).scalars().all()
        assert [sorted(op["meta"]["attachments"]) for op in ops] == [["front.jpg"],
                                                                     ["back.jpg"]]
        assert ops[1]["fields"] == {"back": "back.jpg", "__deleted__": False}
        assert db.session.execute(select(Conflict)).first() is None
        assert {a.sha256 for a in db.session.execute(select(Attachment)).scalars()} == {
            hashlib.sha256(front).hexdigest(), hashlib.sha256(back).hexdigest()}
        (record,) = db.session.execute(select(Record)).scalars()
        assert record.answers == {"name": "Wall", "front": "front.jpg", "back": "back.jpg"}
        db.session.rollback()
    before = table_counts(site.app)
    assert [r.status for r in collect.submit(xml, {"front.jpg": front, "back.jpg": back})] \
        == [201, 201]
    assert table_counts(site.app) == before  # both parts again: nothing new


def _tablet_edit(site: Site, tablet: Device, record_id: str, fields: dict[str, Any]) -> None:
    with site.ctx():
        heads = current_heads(record_id, [*fields, "__deleted__"])
        db.session.rollback()
    op = make_op(EDIT, clock=tablet.clock, device_id=tablet.id, record_id=record_id,
                 form_id=HOUSEHOLD, form_version="2026120601", fields=fields, heads=heads)
    port = int(site.url.rsplit(":", 1)[1])
    reply = HttpClient(port, tablet.token).push(tablet, [op])
    assert reply.status == 200 and not reply.json()["rejected"], reply.body


def test_an_edit_in_collect_against_a_tablets_edit_is_a_conflict(site: Site) -> None:
    answers = example(HOUSEHOLD, "msh_0142_tenant_family")
    collect = phone(site)
    send(collect, HOUSEHOLD, answers, "uuid:hh-1")
    record_id = record_of(site, HOUSEHOLD).record_id
    tablet = enrol_device(site.app, "tab-2", "Tablet 2")
    _tablet_edit(site, tablet, record_id, {"household/head_name": "Joseph O. Otieno"})

    edited = copy.deepcopy(answers)
    edited["household"]["head_name"] = "Joseph Ouma Otieno"   # the same answer: conflict
    edited["household"]["phone"] = "+254700000009"             # another one: no conflict
    edited["household"]["members"].pop()                        # the baby moved out
    edited["household"]["members_count"] = 4
    assert "edit received" in send(collect, HOUSEHOLD, edited, "uuid:hh-1-v2", "uuid:hh-1")
    with site.ctx():
        conflicts = db.session.execute(select(Conflict.path, Conflict.versions)).all()
        assert [(p, sorted(v["value"] for v in vs)) for p, vs in conflicts] == [
            ("household/head_name", ["Joseph O. Otieno", "Joseph Ouma Otieno"])]
        record = db.session.get(Record, record_id)
        assert record.answers["household"]["phone"] == "+254700000009"
        assert len(record.answers["household"]["members"]) == 4
        edit = db.session.execute(select(OpRow.payload).order_by(OpRow.server_seq.desc())
                                  ).scalars().first()
        assert "household/tenure" not in edit["fields"]  # unchanged answers are not written
        assert edit["parents"]["household/head_name"] and edit["meta"]["instance"] == \
            "uuid:hh-1-v2"
        db.session.rollback()
    # Collect edits its own edit again: it builds on that version, no new conflict.
    again = copy.deepcopy(edited)
    again["household"]["aspirations"] = "A title deed."
    send(collect, HOUSEHOLD, again, "uuid:hh-1-v3", "uuid:hh-1-v2")
    with site.ctx():
        assert len(db.session.execute(select(Conflict)).all()) == 1
        db.session.rollback()


def test_collect_records_link_to_settlements_and_count_in_its_indicators(site: Site) -> None:
    collect = phone(site)
    send(collect, PROFILE, example(PROFILE, "mashimoni_nairobi"), "uuid:profile-1")
    structure = example(STRUCTURE, "msh_0142_residential")
    structure.pop("settlement_id")  # Collect does not know the record: the name links it
    send(collect, STRUCTURE, structure, "uuid:structure-1")
    household = example(HOUSEHOLD, "msh_0142_tenant_family")
    household.pop("structure_id")   # ... and the painted number links the household
    send(collect, HOUSEHOLD, household, "uuid:household-1")
    with site.ctx():
        (settlement,) = db.session.execute(select(Settlement)).scalars()
        assert (settlement.name, settlement.federation_id) == ("Mashimoni", site.nairobi)
        assert db.session.execute(select(Assignment.settlement_id)).scalars().all() == [
            settlement.id]  # founded by amina's profile, so assigned to her
        scopes = dict(db.session.execute(select(RecordScope.form_id,
                                                RecordScope.settlement_id)).all())
        assert scopes == {PROFILE: settlement.id, STRUCTURE: settlement.id,
                          HOUSEHOLD: settlement.id}
        profile = settlement_profile(Viewer(), settlement.id)
        db.session.rollback()
    assert profile is not None
    assert profile["enumeration"]["households"] == 1
    assert profile["enumeration"]["population"] == 5
    assert profile["enumeration"]["structures"] == 1


def test_another_federation_cannot_link_to_or_edit_nairobi_records(site: Site) -> None:
    collect = phone(site)
    send(collect, PROFILE, example(PROFILE, "mashimoni_nairobi"), "uuid:profile-1")
    structure = example(STRUCTURE, "msh_0142_residential")
    structure.pop("settlement_id")
    send(phone(site, "bwalya"), STRUCTURE, structure, "uuid:structure-lusaka")
    with site.ctx():
        (scope,) = db.session.execute(select(RecordScope).where(
            RecordScope.form_id == STRUCTURE)).scalars()
        assert scope.settlement_id is None  # Lusaka's enumerator: not linked to Mashimoni
        db.session.rollback()
    # Bwalya's Collect sending an edit of amina's profile: refused, nothing stored.
    before = table_counts(site.app)
    edited = example(PROFILE, "mashimoni_nairobi")
    edited["section_B"]["B12_History"] = "Rewritten."
    xml = write_instance(sdi_form(PROFILE), edited, "uuid:profile-1-v2", "uuid:profile-1")
    (reply,) = phone(site, "bwalya").submit(xml)
    assert reply.status == 403 and "another federation" in reply.message
    assert table_counts(site.app) == before


def test_the_key_url_submits_as_the_same_person(site: Site) -> None:
    answers = example(HOUSEHOLD, "chs_2210_grandmother_owner")
    send(Collect(site.amina.token_url), HOUSEHOLD, answers, "uuid:by-key")
    with site.ctx():
        (op,) = db.session.execute(select(OpRow.device_id)).scalars()
        assert op == site.amina.device_id
        db.session.rollback()


def test_the_records_tables_sort_keys_follow_collect_submissions_and_edits(
        site: Site) -> None:
    """The leaders' table sorts and filters a question on keys made from the records
    (record_values); a Collect submission and a Collect edit reach them."""
    from server.services.records_table import Query, question_columns, records_page

    def table(**query: Any) -> list[tuple[str, Any]]:
        with site.app.test_request_context():
            (years,) = [c for c in question_columns(sdi_form(HOUSEHOLD))
                        if c.path == "household/years_in_settlement"]
            rows, _total = records_page(Query(form_id=HOUSEHOLD, columns=[years],
                                              **query), None)
            db.session.rollback()
        return [(r.answers["household/years_in_settlement"], r.enumerator) for r in rows]

    collect = phone(site)
    first = example(HOUSEHOLD, "msh_0142_tenant_family")  # 12 years
    send(collect, HOUSEHOLD, first, "uuid:years-1")
    assert table(sort="q:household/years_in_settlement") == [(12, "amina")]
    second = copy.deepcopy(first)
    second["household"]["years_in_settlement"] = 30
    send(collect, HOUSEHOLD, second, "uuid:years-2")  # a new household
    assert [y for y, _ in table(sort="q:household/years_in_settlement")] == [30, 12]
    edited = copy.deepcopy(first)
    edited["household"]["years_in_settlement"] = 40
    send(collect, HOUSEHOLD, edited, "uuid:years-1-v2", "uuid:years-1")  # an edit
    assert [y for y, _ in table(sort="q:household/years_in_settlement")] == [40, 30]
    assert table(answers=[("household/years_in_settlement", "min", 35)]) == [(40, "amina")]
