"""The device store: records, fields and their outbox ops saved together."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from field_app.core import outbox, records
from field_app.core.errors import UnknownRecordError
from field_app.core.store import Store, open_store

HOUSEHOLD = {"head_name": "Amina Wanjiru", "tenure": "tenant", "rent": 1500,
             "members": [{"__id": "m1", "name": "Amina", "age": 34},
                         {"__id": "m2", "name": "Juma", "age": 6}]}


def outbox_ops(store: Store) -> list[dict]:
    return [json.loads(r["op"]) for r in store.query(
        "SELECT t.op FROM outbox o JOIN outbox_ops t ON t.seq = o.seq ORDER BY o.seq")]


def count(store: Store, table: str) -> int:
    return store.query(f"SELECT count(*) AS n FROM {table}")[0]["n"]


def test_store_file_is_wal_with_full_sync(store: Store, store_path: Path) -> None:
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert store_path.exists()


def test_device_identity_survives_reopening(store_path: Path) -> None:
    first = open_store(store_path, device_name="tablet-07")
    device_id = first.device.device_id
    first.set_server("http://hub.local:5000/", token="secret", name="Kibera 3")
    first.close()
    again = open_store(store_path)
    assert again.device.device_id == device_id
    assert again.device.server_url == "http://hub.local:5000"
    assert again.device.enrolled and again.device.name == "Kibera 3"
    again.close()


def test_a_draft_keeps_its_ops_until_finalized_then_sends_one(store: Store) -> None:
    rid = records.create_record(store, "hh", "2024.1", HOUSEHOLD)
    records.save_answer(store, rid, "rent", 1800)
    records.update_answers(store, rid,
                           {**HOUSEHOLD, "rent": 1800, "members": HOUSEHOLD["members"][:1]})
    assert outbox.pending(store) == []  # drafts stay on the tablet
    assert outbox.counts(store).held == 3
    records.finalize(store, rid)
    ops = outbox.pending(store)
    assert len(ops) == 1, "a finalized draft travels as one op"
    assert count(store, "outbox") == count(store, "outbox_ops") == 1, "folded texts went too"
    assert outbox_ops(store) == ops
    op = ops[0]
    assert op["fields"]["rent"] == 1800
    assert op["fields"]["members[m2]"] is None  # the removed member
    assert op["parents"] == {}  # the folded ops are gone; empty parent lists are left out
    answers = records.get_record(store, rid)["answers"]
    assert answers["rent"] == 1800 and [m["__id"] for m in answers["members"]] == ["m1"]
    # Heads now point at the surviving op, so the next edit names it as parent.
    records.save_answer(store, rid, "rent", 2000)
    last = outbox.pending(store)[-1]
    assert last["parents"]["rent"] == [op["op_id"]]


def test_edits_after_finalizing_are_new_ops_on_the_same_record(store: Store) -> None:
    rid = records.create_record(store, "hh", "2024.1", HOUSEHOLD, finalized=True)
    first = records.save_answer(store, rid, "tenure", "owner")
    assert records.save_answer(store, rid, "tenure", "owner") is None, "unchanged answer: no op"
    ops = outbox.pending(store)
    assert [o["op_id"] for o in ops][-1] == first
    assert {o["record_id"] for o in ops} == {rid}
    assert len(ops) == 2


def test_drafts_can_be_pushed_when_the_form_says_so(store: Store) -> None:
    store.set_setting("push_drafts:profile", True)
    rid = records.create_record(store, "profile", "1", {"B5_City": "Nairobi"})
    assert [o["record_id"] for o in outbox.pending(store)] == [rid]


def test_delete_of_an_unsent_draft_leaves_nothing(store: Store) -> None:
    rid = records.create_record(store, "hh", "1", HOUSEHOLD)
    assert records.delete_record(store, rid) is None
    assert records.get_record(store, rid) is None
    assert count(store, "outbox") == count(store, "outbox_ops") == 0


def test_delete_of_a_finalized_record_is_a_tombstone_op(store: Store) -> None:
    rid = records.create_record(store, "hh", "1", HOUSEHOLD, finalized=True)
    op_id = records.delete_record(store, rid)
    op = outbox.pending(store)[-1]
    assert op["op_id"] == op_id and op["kind"] == "delete"
    assert op["fields"] == {"__deleted__": True}
    assert records.get_record(store, rid)["deleted"] == 1


def test_editing_an_unknown_record_fails_and_writes_nothing(store: Store) -> None:
    with pytest.raises(UnknownRecordError):
        records.save_answer(store, "01900000-0000-7000-8000-000000000000", "x", 1)
    assert store.query("SELECT count(*) AS n FROM outbox")[0]["n"] == 0


def test_a_failed_save_leaves_neither_edit_nor_op(store: Store) -> None:
    rid = records.create_record(store, "hh", "1", HOUSEHOLD, finalized=True)
    before = outbox_ops(store)
    # A trigger makes the outbox insert fail after the field rows were written.
    store.db.execute("CREATE TRIGGER boom BEFORE INSERT ON outbox "
                     "BEGIN SELECT RAISE(ABORT, 'outbox broken'); END")
    with pytest.raises(sqlite3.IntegrityError):
        records.save_answer(store, rid, "rent", 99)
    assert outbox_ops(store) == before
    assert records.get_record(store, rid)["answers"]["rent"] == 1500


def test_a_failed_write_of_the_op_text_leaves_neither_edit_nor_outbox_row(
        store: Store) -> None:
    rid = records.create_record(store, "hh", "1", HOUSEHOLD, finalized=True)
    rows = count(store, "outbox")
    store.db.execute("CREATE TRIGGER boom BEFORE INSERT ON outbox_ops "
                     "BEGIN SELECT RAISE(ABORT, 'op text broken'); END")
    with pytest.raises(sqlite3.IntegrityError):
        records.save_answer(store, rid, "rent", 99)
    assert count(store, "outbox") == count(store, "outbox_ops") == rows
    assert records.get_record(store, rid)["answers"]["rent"] == 1500


def test_sync_bookkeeping_changes_the_state_rows_and_never_the_op_text(store: Store) -> None:
    ids = [records.create_record(store, "hh", "1", {**HOUSEHOLD, "rent": i}, finalized=True)
           for i in range(4)]
    texts = {r["seq"]: r["op"] for r in store.query("SELECT seq, op FROM outbox_ops")}
    queued = outbox.pending_queued(store)
    assert [q.text for q in queued] == [texts[s] for s in sorted(texts)], "in seq order"
    assert [json.loads(q.text)["record_id"] for q in queued] == ids
    op_ids = [q.op_id for q in queued]
    outbox.mark_attempted(store, op_ids)
    outbox.mark_attempted(store, op_ids[:1])
    outbox.mark_acked(store, op_ids[:2])
    outbox.mark_rejected(store, [
        {"op_id": op_ids[2], "code": "sync.form_unknown", "message": "no", "retryable": True},
        {"op_id": op_ids[3], "code": "sync.op_invalid", "message": "bad", "retryable": False}])
    state = {r["op_id"]: r for r in store.query(
        "SELECT op_id, ready, sent_at, attempts, last_error FROM outbox")}
    assert [state[i]["attempts"] for i in op_ids] == [2, 1, 1, 1]
    assert [state[i]["sent_at"] is not None for i in op_ids] == [True, True, False, False]
    assert [state[i]["ready"] for i in op_ids] == [outbox.READY, outbox.READY, outbox.READY,
                                                   outbox.PARKED]
    assert [q.op_id for q in outbox.pending_queued(store)] == [op_ids[2]]
    assert outbox.counts(store) == outbox.OutboxCounts(ready=1, held=0, parked=1)
    assert {r["seq"]: r["op"] for r in store.query("SELECT seq, op FROM outbox_ops")} == texts


def test_clock_survives_restart_even_if_the_tablet_clock_goes_back(store_path: Path) -> None:
    s = open_store(store_path, now_ms=lambda: 2_000_000_000_000)
    rid = records.create_record(s, "hh", "1", {"a": 1}, finalized=True)
    first = outbox.pending(s)[0]["hlc"]
    s.close()
    s = open_store(store_path, now_ms=lambda: 0)  # battery died: clock reset to 1970
    records.save_answer(s, rid, "a", 2)
    second = outbox.pending(s)[-1]["hlc"]
    s.close()
    assert second > first


def test_links_travel_with_the_first_op(store: Store) -> None:
    rid = records.create_record(store, "hh", "1", HOUSEHOLD, settlement_id="s-1",
                                structure_id="KB-045",
                                finalized=True)
    assert outbox.pending(store)[0]["meta"] == {
        "links": {"settlement_id": "s-1", "structure_id": "KB-045"}}
    assert records.get_record(store, rid)["structure_id"] == "KB-045"


def test_the_checker_spots_an_edit_without_its_op(store: Store) -> None:
    from field_app.core.integrity import check_store
    records.create_record(store, "hh", "1", HOUSEHOLD, finalized=True)
    assert check_store(store) == []
    store.db.execute("DELETE FROM outbox")
    assert any("edit without its op" in p for p in check_store(store))


def test_the_checker_spots_an_outbox_row_without_its_text_and_a_stray_text(
        store: Store) -> None:
    from field_app.core.integrity import check_store
    records.create_record(store, "hh", "1", HOUSEHOLD, finalized=True)
    [row] = store.query("SELECT seq, op_id FROM outbox")
    store.db.execute("UPDATE outbox_ops SET seq = seq + 100")
    problems = check_store(store)
    assert f"outbox op {row['op_id']}: its text is missing" in problems
    assert f"outbox text {row['seq'] + 100}: no outbox row" in problems
