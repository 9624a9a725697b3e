"""The review pages: records, review, corrections, conflicts, forms upload, dashboard;
each checked for who may use it and what they see."""

from __future__ import annotations

import html
import io
import re
from typing import Any

import openpyxl
import pytest
from flask import Flask
from personas import People, make_personas
from server_harness import Device, enrol_device
from server_harness import push_ok as push
from sqlalchemy import select

from forms.spec import Choice, FormSpec, Node
from server.extensions import db
from server.models import AuditEvent, Conflict, FormVersion, Record
from server.services.forms import publish_form

FORM = "sdi_structure_numbering"


def structure_form() -> FormSpec:
    def q(type_: str, name: str, label: str, **kw: Any) -> Node:
        return Node("question", type_, name, (name,), label={"default": label}, **kw)

    return FormSpec(id=FORM, version="1", title="Structures", choices={"wall": (
        Choice("mud", {"default": "Mud"}), Choice("brick_block", {"default": "Brick"}))},
        children=(q("text", "settlement_id", "Settlement"),
                  q("text", "structure_number", "Structure number"),
                  q("integer", "storeys", "Storeys"),
                  q("select_one", "wall_material", "Walls", list_name="wall")))


@pytest.fixture
def people(app: Flask) -> People:
    with app.app_context():
        publish_form(structure_form())
    return make_personas(app)


def new_structure(app: Flask, device: Device, settlement: str, number: str) -> Any:
    op = device.op(fields={"settlement_id": settlement, "structure_number": number,
                           "storeys": 1, "wall_material": "mud"},
                   form_id=FORM, form_version="1")
    push(app, device, [op])
    return op


def text(reply: Any) -> str:
    return reply.get_data(as_text=True)


def audit_actions(app: Flask) -> list[tuple[str, str]]:
    with app.app_context():
        rows = db.session.execute(select(AuditEvent.action, AuditEvent.username)
                                  .order_by(AuditEvent.id)).all()
        db.session.rollback()
    return [tuple(r) for r in rows]


def test_leaders_see_and_review_only_their_federations_records(
        app: Flask, people: People) -> None:
    hub = enrol_device(app, "hub-lusaka", "Lusaka office")
    mine = new_structure(app, people.tablet_a, people.s1, "KSE-0001")
    theirs = new_structure(app, hub, people.s3, "CHS-0001")
    leader = people.leader_a.client
    listing = text(leader.get("/records/"))
    assert "KSE-0001" in listing and "CHS-0001" not in listing
    assert leader.get(f"/records/{theirs.record_id}").status_code == 404
    found = text(leader.get("/records/?q=kse-0001"))
    assert "KSE-0001" in found and 'data-total>1<' in found
    assert 'data-total>0<' in text(leader.get("/records/?q=CHS-0001"))  # not theirs
    page = text(leader.get(f"/records/{mine.record_id}"))
    assert "Structure number" in page and "Mud" in page  # labels and choice labels
    assert "data-parent" not in page  # its settlement has no profile record here
    assert people.official_a.client.get("/records/").status_code == 403
    assert people.anonymous.get("/records/").status_code == 302
    # An enumerator reads the records of their assignment but does not review them.
    enumerator = people.enumerator_a.client
    assert "KSE-0001" in text(enumerator.get("/records/"))
    assert 'name="state"' not in text(enumerator.get(f"/records/{mine.record_id}"))
    assert enumerator.post(f"/records/{mine.record_id}/review",
                           data={"state": "approved"}).status_code == 403
    assert people.leader_b.client.post(f"/records/{mine.record_id}/review",
                                       data={"state": "approved"}).status_code == 404

    cursor = app.test_client().get("/api/sync/pull?cursor=0",
                                   headers=people.tablet_a.auth).json["next_cursor"]
    refused = leader.post(f"/records/{mine.record_id}/review", data={"state": "has_issues"},
                          follow_redirects=True)
    assert "a comment is needed" in text(refused)
    done = leader.post(f"/records/{mine.record_id}/review",
                       data={"state": "has_issues", "comment": "Count the storeys again"},
                       follow_redirects=True)
    assert "Count the storeys again" in text(done) and "Has issues" in text(done)
    assert "has_issues" in text(leader.get("/records/?state=has_issues"))
    assert "KSE-0001" not in text(leader.get("/records/?state="))
    assert ("record.review", "leader_a") in audit_actions(app)
    people.leader_b.client.post(f"/records/{theirs.record_id}/review",
                                data={"state": "approved"})
    assert ("record.review", "leader_b") in audit_actions(app)
    changes = app.test_client().get(f"/api/sync/pull?cursor={cursor}",
                                    headers=people.tablet_a.auth).json["changes"]
    assert [(c["type"], c["comment"]) for c in changes] == [
        ("review", "Count the storeys again")]  # not the other federation's review


def test_a_correction_on_the_web_is_an_op_the_tablet_pulls(app: Flask, people: People) -> None:
    op = new_structure(app, people.tablet_a, people.s1, "KSE-0002")
    leader = people.leader_a.client
    bad = leader.post(f"/records/{op.record_id}/edit", data={"path": "storeys",
                                                            "value": "two"},
                      follow_redirects=True)
    assert "Storeys: Enter a whole number." in text(bad)
    wrong_choice = leader.post(f"/records/{op.record_id}/edit",
                               data={"path": "wall_material", "value": "glass"},
                               follow_redirects=True)
    assert "&#39;glass&#39; is not one of the choices." in text(wrong_choice)
    leader.post(f"/records/{op.record_id}/edit", data={"path": "storeys", "value": "2"})
    with app.app_context():
        assert db.session.get(Record, op.record_id).fields["storeys"] == 2
        db.session.rollback()
    pulled = app.test_client().get("/api/sync/pull?cursor=0",
                                   headers=people.tablet_a.auth).json["changes"]
    web_ops = [c["op"] for c in pulled if c["type"] == "op" and c["op"]["device_id"] == "server"]
    assert len(web_ops) == 1 and web_ops[0]["fields"]["storeys"] == 2
    assert web_ops[0]["meta"]["user"] == "leader_a"
    assert ("record.edit", "leader_a") in audit_actions(app)


def storeys_conflict(app: Flask, people: People) -> Any:
    """Structure KSE-0003 of s1 with 2 storeys from one tablet, 3 from another; its
    first op."""
    other = enrol_device(app, "tab-spare", "Spare tablet")
    first = new_structure(app, people.tablet_a, people.s1, "KSE-0003")
    heads = {"storeys": [first.op_id], "__deleted__": [first.op_id]}
    push(app, people.tablet_a, [people.tablet_a.op(first.record_id, {"storeys": 2}, heads,
                                                   form_id=FORM, form_version="1")])
    push(app, other, [other.op(first.record_id, {"storeys": 3}, heads, form_id=FORM,
                               form_version="1")])
    return first


def test_conflicts_show_both_values_and_a_resolution_closes_them(
        app: Flask, people: People) -> None:
    first = storeys_conflict(app, people)
    leader = people.leader_a.client
    page = text(leader.get("/conflicts/"))
    assert "Storeys" in page and "Enumerator A&#39;s tablet" in page and "Spare tablet" in page
    assert "Keep this" in page
    assert "KSE-0003" not in text(people.leader_b.client.get("/conflicts/"))
    assert people.enumerator_a.client.get("/conflicts/").status_code == 403
    assert "1</b>open conflicts" in text(leader.get("/dashboard/")).replace("\n", "")
    with app.app_context():
        conflict = db.session.execute(select(Conflict)).scalar_one()
        cid, values = conflict.id, [v["value"] for v in conflict.versions]
        db.session.rollback()
    assert people.leader_b.client.post(f"/conflicts/{cid}/resolve",
                                       data={"choice": "0"}).status_code == 404
    bad = leader.post(f"/conflicts/{cid}/resolve", data={"choice": "new", "new_value": "x"},
                      follow_redirects=True)
    assert "Storeys: Enter a whole number." in text(bad)
    done = leader.post(f"/conflicts/{cid}/resolve", data={"choice": "1"},
                       follow_redirects=True)
    assert "No open conflicts" in text(done)
    with app.app_context():
        assert db.session.get(Conflict, cid).resolved_at_seq is not None
        assert db.session.get(Record, first.record_id).fields["storeys"] == values[1]
        db.session.rollback()
    again = leader.post(f"/conflicts/{cid}/resolve", data={"choice": "0"},
                        follow_redirects=True)
    assert "already resolved" in text(again)
    assert ("conflict.resolve", "leader_a") in audit_actions(app)


def test_a_delete_against_an_edit_reads_true_and_false(app: Flask, people: People) -> None:
    """One tablet deletes a structure while another edits it: the conflict is on
    `__deleted__`, and its values read as the label says (true / false), not Python's
    True / False."""
    other = enrol_device(app, "tab-spare", "Spare tablet")
    first = new_structure(app, people.tablet_a, people.s1, "KSE-0009")
    heads = {"storeys": [first.op_id], "__deleted__": [first.op_id]}
    push(app, people.tablet_a, [people.tablet_a.op(first.record_id, heads={
        "__deleted__": [first.op_id]}, kind="delete", form_id=FORM, form_version="1")])
    push(app, other, [other.op(first.record_id, {"storeys": 4}, heads, form_id=FORM,
                               form_version="1")])
    page = text(people.leader_a.client.get("/conflicts/"))
    assert "Is this record deleted?" in page
    shown = re.findall(r'<span class="value">([^<]*)</span>', page)
    assert sorted(shown) == ["false", "true"], page


def test_an_enumerator_gets_no_link_they_cannot_open(app: Flask, people: People) -> None:
    """Found by hand (issue 16): a record in conflict told an enumerator to "resolve
    them" with a link to /conflicts/, which answers them 403."""
    first = storeys_conflict(app, people)
    enumerator = people.enumerator_a.client
    page = text(enumerator.get(f"/records/{first.record_id}"))
    assert "in conflict" in page and "a leader will resolve them" in page
    links = set(re.findall(r'<a [^>]*href="(/[^"#]*)"', page))
    assert links, page
    for href in sorted(links):
        reply = enumerator.get(html.unescape(href))
        assert reply.status_code < 400, (href, reply.status_code)
        reply.close()
    assert 'href="/conflicts/"' in text(people.leader_a.client.get(
        f"/records/{first.record_id}"))


def xlsx(rows: list[list[Any]], version: str = "7") -> bytes:
    book = openpyxl.Workbook()
    survey = book.active
    survey.title = "survey"
    for row in [["type", "name", "label"], *rows]:
        survey.append(row)
    settings = book.create_sheet("settings")
    settings.append(["form_id", "version", "form_title"])
    settings.append(["water_points", version, "Water points"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_admin_uploads_a_form_sees_its_row_numbers_and_publishes(
        app: Flask, people: People) -> None:
    admin = people.admin.client
    broken = xlsx([["text", "point_name", "Name"], ["integr", "taps", "Taps"]])
    reply = admin.post("/forms/check", data={"file": (io.BytesIO(broken), "water.xlsx")},
                       content_type="multipart/form-data")
    assert reply.status_code == 422
    assert "row 3" in text(reply) and "Publish version" not in text(reply)
    not_xlsx = admin.post("/forms/check", data={"file": (io.BytesIO(b"a,b"), "water.csv")},
                          content_type="multipart/form-data")
    assert not_xlsx.status_code == 422 and ".xlsx" in text(not_xlsx)
    good = xlsx([["text", "point_name", "Name"], ["integer", "taps", "Taps"]])
    assert people.leader_a.client.post(
        "/forms/check", data={"file": (io.BytesIO(good), "water.xlsx")},
        content_type="multipart/form-data").status_code == 403
    checked = admin.post("/forms/check", data={"file": (io.BytesIO(good), "water.xlsx")},
                         content_type="multipart/form-data")
    assert checked.status_code == 200 and "Publish version 7" in text(checked)
    token = text(checked).split('name="token" value="')[1].split('"')[0]
    published = admin.post("/forms/publish", data={"token": token}, follow_redirects=True)
    assert "Published water_points version 7" in text(published)
    with app.app_context():
        assert db.session.get(FormVersion, ("water_points", "7")) is not None
        db.session.rollback()
    assert ("form.publish", "admin") in audit_actions(app)
    assert "water_points" in text(people.leader_a.client.get("/forms/"))


def test_the_dashboard_counts_todays_records_and_lists_tablets(
        app: Flask, people: People) -> None:
    new_structure(app, people.tablet_a, people.s1, "KSE-0004")
    page = text(people.leader_a.client.get("/dashboard/")).replace("\n", "")
    assert 'data-stat="new-sdi_structure_numbering">1</b>' in page
    assert "Enumerator A&#39;s tablet" in page and "syncing" in page
    assert 'data-stat="unreviewed">1</b>' in page
    assert 'data-stat="has-issues">0</b>' in page
    rid = new_structure(app, people.tablet_a, people.s1, "KSE-0005").record_id
    people.leader_a.client.post(f"/records/{rid}/review",
                                data={"state": "has_issues", "comment": "Photo missing"})
    page = text(people.leader_a.client.get("/dashboard/")).replace("\n", "")
    assert 'data-stat="new-sdi_structure_numbering">2</b>' in page
    assert 'data-stat="unreviewed">1</b>' in page and 'data-stat="has-issues">1</b>' in page
    lusaka = text(people.leader_b.client.get("/dashboard/")).replace("\n", "")
    assert 'data-stat="new-sdi_structure_numbering">0</b>' in lusaka
    assert "Enumerator A" not in lusaka
    assert people.official_a.client.get("/dashboard/").status_code == 403


def test_the_json_api_lists_reviews_and_resolves_within_the_federation(
        app: Flask, people: People) -> None:
    hub = enrol_device(app, "hub-lusaka", "Lusaka office")
    other = enrol_device(app, "tab-spare", "Spare tablet")
    mine = new_structure(app, people.tablet_a, people.s1, "KSE-0010")
    new_structure(app, hub, people.s3, "CHS-0010")
    api = people.leader_a.api
    listing = api.get("/api/records").json
    assert [r["title"] for r in listing["records"]] == ["KSE-0010"]
    assert listing["total"] == 1 and listing["records"][0]["settlement_id"] == people.s1
    assert api.get("/api/records?state=bogus").status_code == 422
    assert people.official_a.api.get("/api/records").status_code == 403
    assert people.enumerator_a.api.get("/api/records").json["total"] == 1
    assert people.leader_b.api.get(f"/api/records/{mine.record_id}").status_code == 404

    bad = api.post(f"/api/records/{mine.record_id}/review", json={"state": "rejected"})
    assert bad.status_code == 422 and bad.json["error"]["code"] == "request.invalid"
    made = api.post(f"/api/records/{mine.record_id}/review",
                    json={"state": "rejected", "comment": "Counted twice"})
    assert made.status_code == 201 and made.json["reviewer"] == "leader_a"
    assert people.enumerator_a.api.post(f"/api/records/{mine.record_id}/review",
                                        json={"state": "approved"}).status_code == 403
    record = api.get(f"/api/records/{mine.record_id}").json
    assert record["reviews"][0]["comment"] == "Counted twice"
    assert record["fields"]["structure_number"] == "KSE-0010"
    assert api.get("/api/records?state=rejected").json["total"] == 1
    assert api.get("/api/records?state=none").json["total"] == 0
    assert api.get("/api/records?q=KSE-0010").json["total"] == 1
    assert api.get("/api/records?q=nowhere").json["total"] == 0

    edited = api.patch(f"/api/records/{mine.record_id}", json={"fields": {"storeys": 2}})
    assert edited.status_code == 200, edited.json
    heads = {"storeys": [edited.json["op_id"]]}
    push(app, people.tablet_a, [people.tablet_a.op(mine.record_id, {"storeys": 3}, heads,
                                                   form_id=FORM, form_version="1")])
    push(app, other, [other.op(mine.record_id, {"storeys": 4}, heads, form_id=FORM,
                               form_version="1")])
    conflicts = api.get("/api/conflicts").json["conflicts"]
    assert [(c["path"], sorted(v["value"] for v in c["versions"])) for c in conflicts] == [
        ("storeys", [3, 4])]
    assert people.leader_b.api.get("/api/conflicts").json["conflicts"] == []
    cid = conflicts[0]["id"]
    assert people.leader_b.api.post(f"/api/conflicts/{cid}/resolve",
                                    json={"value": 3}).status_code == 404
    done = api.post(f"/api/conflicts/{cid}/resolve", json={"value": 5})
    assert done.status_code == 200 and done.json["value"] == 5
    again = api.post(f"/api/conflicts/{cid}/resolve", json={"value": 5})
    assert again.status_code == 409
    assert again.json["error"]["code"] == "conflict.already_resolved"
    assert api.get(f"/api/records/{mine.record_id}").json["fields"]["storeys"] == 5
    actions = [a for a, _ in audit_actions(app)]
    assert {"record.review", "record.edit", "conflict.resolve"} <= set(actions)
