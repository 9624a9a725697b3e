"""Review and conflict resolution on the server reach devices through the pull feed."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from server_harness import Device
from server_harness import push_ok as push
from sqlalchemy import select

from forms.spec import Choice, FormSpec, Node
from server.errors import ApiError
from server.extensions import db
from server.models import Conflict, Record
from server.services.record_view import render_answers
from server.services.resolution import describe_versions, edit_record, resolve_conflict
from server.services.review import latest_reviews, set_review


def pull(app: Flask, device: Device, cursor: int = 0) -> dict[str, Any]:
    reply = app.test_client().get(f"/api/sync/pull?cursor={cursor}", headers=device.auth)
    assert reply.status_code == 200, reply.json
    return reply.json


def make_conflict(app: Flask, tablet: Device, other: Device) -> tuple[str, int]:
    first = tablet.op(fields={"name": "Amina"})
    push(app, tablet, [first])
    heads = {"name": [first.op_id], "__deleted__": [first.op_id]}
    push(app, tablet, [tablet.op(first.record_id, {"name": "Amina W."}, heads)])
    push(app, other, [other.op(first.record_id, {"name": "Amina Wanjiru"}, heads)])
    with app.app_context():
        conflict = db.session.execute(select(Conflict).where(
            Conflict.resolved_at_seq.is_(None))).scalar_one()
        cid = conflict.id
        db.session.rollback()
    return first.record_id, cid


def test_a_resolution_is_an_op_that_closes_the_conflict_and_reaches_devices(
        app: Flask, form: tuple[str, str], tablet: Device, other_tablet: Device) -> None:
    record_id, cid = make_conflict(app, tablet, other_tablet)
    with app.app_context():
        versions = describe_versions(db.session.get(Conflict, cid))
        assert sorted(v["value"] for v in versions) == ["Amina W.", "Amina Wanjiru"]
        assert {v["device_name"] for v in versions} == {"Amina's tablet", "Baraka's tablet"}
        assert all(v["written_at"] is not None for v in versions)
        cursor = pull(app, tablet)["next_cursor"]
        done = resolve_conflict(cid, "Amina Wanjiru Otieno", user="leader-neema")
        assert db.session.get(Conflict, cid).resolved_at_seq is not None
        assert db.session.get(Record, record_id).fields["name"] == "Amina Wanjiru Otieno"
        db.session.rollback()
        with pytest.raises(ApiError) as again:
            resolve_conflict(cid, "Amina", user="leader-neema")
        assert again.value.code == "conflict.already_resolved"
    page = pull(app, tablet, cursor)
    ops = [c["op"] for c in page["changes"] if c["type"] == "op"]
    assert [op["op_id"] for op in ops] == [done.op_id]
    assert ops[0]["kind"] == "resolve" and ops[0]["device_id"] == "server"
    assert ops[0]["meta"]["user"] == "leader-neema"
    assert page["records"][record_id]["conflicts"] == []


def test_a_review_comment_is_in_the_next_pull_of_the_device(
        app: Flask, form: tuple[str, str], tablet: Device) -> None:
    op = tablet.op(fields={"name": "Juma"})
    push(app, tablet, [op])
    cursor = pull(app, tablet)["next_cursor"]
    with app.app_context():
        with pytest.raises(ApiError, match="comment is needed"):
            set_review(op.record_id, "has_issues", "  ", reviewer="neema")
        with pytest.raises(ApiError, match="review state"):
            set_review(op.record_id, "great", "", reviewer="neema")
        set_review(op.record_id, "has_issues", "Ages of members are missing", reviewer="neema")
        set_review(op.record_id, "approved", "", reviewer="neema")
        assert latest_reviews([op.record_id])[op.record_id].state == "approved"
    changes = pull(app, tablet, cursor)["changes"]
    assert [(c["type"], c["state"], c["comment"]) for c in changes] == [
        ("review", "has_issues", "Ages of members are missing"), ("review", "approved", "")]
    assert changes[0]["record_id"] == op.record_id and changes[0]["reviewer"] == "neema"


def test_a_web_edit_goes_through_the_merge_like_a_device_edit(
        app: Flask, form: tuple[str, str], tablet: Device) -> None:
    op = tablet.op(fields={"name": "Juma", "age": 30})
    push(app, tablet, [op])
    with app.app_context():
        edit = edit_record(op.record_id, {"age": 31}, user="neema")
        assert edit.parents["age"] == (op.op_id,)
        record = db.session.get(Record, op.record_id)
        assert record.fields == {"name": "Juma", "age": 31}
        db.session.rollback()
    changes = pull(app, tablet)["changes"]
    assert changes[-1]["op"]["op_id"] == edit.op_id


def test_answers_render_with_labels_choices_and_repeats_as_tables() -> None:
    spec = FormSpec(
        id="hh", version="1", title="Household", choices={"yn": (
            Choice("yes", {"default": "Yes"}), Choice("no", {"default": "No"}))},
        children=(
            Node("question", "text", "head", ("head",), label={"default": "Head of household"}),
            Node("question", "select_one", "owner", ("owner",), label={"default": "Owner?"},
                 list_name="yn"),
            Node("repeat", "repeat", "members", ("members",), label={"default": "Members"},
                 children=(
                     Node("question", "text", "m_name", ("members", "m_name"),
                          label={"default": "Name"}),
                     Node("question", "integer", "m_age", ("members", "m_age"),
                          label={"default": "Age"}))),
        ))
    items = render_answers(spec, {"head": "Esther", "owner": "yes", "members": [
        {"__id": "a1", "m_name": "Esther", "m_age": 56}, {"__id": "b2", "m_name": "Chanda"}]})
    assert items[0] == {"kind": "question", "label": "Head of household", "value": "Esther",
                        "path": "head", "field": "head", "correctable": True,
                        "calculated": False}
    assert items[1]["value"] == "Yes"
    assert items[2]["kind"] == "repeat"
    assert items[2]["columns"] == ["Name", "Age"]
    assert [[cell["value"] for cell in row] for row in items[2]["rows"]] == [
        ["Esther", "56"], ["Chanda", ""]]
    assert items[2]["rows"][1][1]["field"] == "members[b2]/m_age"


def test_answers_read_as_the_form_engine_shows_them() -> None:
    """The record page shows an answer as the tablet's labels do (forms.text.display_value):
    12.0 is 12, a boolean calculation true, a multiple choice by its labels."""
    spec = FormSpec(
        id="hh", version="1", title="Household", choices={"water": (
            Choice("tap", {"default": "Tap"}), Choice("well", {"default": "Well"}))},
        children=(
            Node("question", "decimal", "area", ("area",), label={"default": "Area"}),
            Node("question", "calculate", "dense", ("dense",), label={"default": "Dense?"},
                 calculation="${area} < 20"),
            Node("question", "select_multiple", "water", ("water",),
                 label={"default": "Water"}, list_name="water"),
            Node("question", "decimal", "share", ("share",), label={"default": "Share"}),
        ))
    items = render_answers(spec, {"area": 12.0, "dense": True, "water": "tap well",
                                  "share": 0.1 + 0.2})
    assert [item["value"] for item in items] == ["12", "true", "Tap, Well", "0.3"]


def test_labels_naming_answers_show_them_as_the_tablet_does() -> None:
    spec = FormSpec(
        id="hh", version="1", title="Household", choices={"yn": (
            Choice("yes", {"default": "Yes"}), Choice("no", {"default": "No"}))},
        children=(
            Node("question", "text", "head", ("head",), label={"default": "Head of household"}),
            Node("question", "select_one", "owner", ("owner",), list_name="yn",
                 label={"default": "Does ${head} own the house?"}),
            Node("question", "integer", "rooms", ("rooms",),
                 label={"default": "Rooms (${head}, owner: ${owner}, ${unknown})"}),
            Node("repeat", "repeat", "members", ("members",), label={"default": "Members"},
                 children=(
                     Node("question", "text", "m_name", ("members", "m_name"),
                          label={"default": "Name"}),
                     Node("question", "integer", "m_age", ("members", "m_age"),
                          label={"default": "Age of ${m_name} (${head}'s household)"}))),
        ))
    items = render_answers(spec, {"head": "Esther", "owner": "yes", "rooms": 2, "members": [
        {"__id": "a1", "m_name": "Esther", "m_age": 56}, {"__id": "b2", "m_name": "Chanda"}]})
    assert items[1]["label"] == "Does Esther own the house?"
    assert items[2]["label"] == "Rooms (Esther, owner: Yes, )"
    # A column heading cannot name one row's answer: the other question's label instead.
    assert items[3]["columns"] == ["Name", "Age of [Name] (Esther's household)"]


def test_an_edited_record_keeps_its_text_as_utf8(app: Flask, form: tuple[str, str],
                                                  tablet: Device) -> None:
    """ORM writes (a web edit re-merges the record) store "Hélène" as typed, like a push
    does, so the stored JSON is searchable as people type it."""
    from sqlalchemy import Text, cast

    op = tablet.op(fields={"name": "Juma"})
    push(app, tablet, [op])
    with app.app_context():
        edit_record(op.record_id, {"name": "Hélène Conceição"}, user="neema")
        text = db.session.execute(select(cast(Record.fields, Text)).where(
            Record.record_id == op.record_id)).scalar_one()
        db.session.rollback()
    assert "Hélène Conceição" in text and "\\u00e9" not in text
