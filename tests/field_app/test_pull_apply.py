"""A pulled page is applied set-wise (records.apply_ops): the same store as applying its
ops one by one, with a fixed number of reads per page instead of one per op."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from field_app.core import encryption, inbox, outbox, records
from field_app.core.integrity import check_store
from field_app.core.records import _scalar_text
from field_app.core.store import Store, open_store
from sync.canonical import canonical_json
from sync.messages import OP_CHANGE, Change, PullPage
from sync.ops import Op


def household(i: int) -> dict[str, Any]:
    return {"name": f"Ämina {i}", "size": i % 7, "income": 2.5 + i, "rooms": 2.0,
            "water": ["tap", "well"] if i % 2 else [], "owner": i % 3 == 0, "note": None,
            "roof": {"material": "iron", "leaks": i % 4 == 0},
            "members": [{"__id": f"m{i}-{k}", "age": 20 + k, "name": f"p\"{k}\\"}
                        for k in range(i % 3)]}


def authored_ops(tmp_path: Path) -> list[Op]:
    """Ops of two tablets: new households, later edits, a delete, concurrent edits."""
    a = open_store(tmp_path / "a.db", device_name="a")
    b = open_store(tmp_path / "b.db", device_name="b")
    ids = [records.create_record(a, "hh", "1", household(i), finalized=True)
           for i in range(24)]
    for rid in ids[:6]:
        records.save_answers(a, rid, {"size": 9, "roof/material": "tin"})
    records.delete_record(a, ids[7])
    shared = outbox.pending(a)
    with b.transaction():
        for op in shared:
            records.apply_op(b, Op.from_wire(op))
    for rid in ids[:3]:  # b edits what a edited too: conflicts on both sides
        records.save_answers(b, rid, {"size": 11})
    records.save_answers(a, ids[0], {"size": 10})
    # As a pull page brings them: validated, new households in their nested answers.
    ops = [Op.from_wire(json.loads(q.text))
           for q in outbox.pending_queued(a) + outbox.pending_queued(b)]
    a.close()
    b.close()
    return ops


def snapshot(store: Store) -> dict[str, Any]:
    def rows(sql: str) -> list[dict[str, Any]]:
        out = []
        for r in store.query(sql):
            for col in ("answers", "value", "heads", "values_json"):
                if r.get(col) is not None:
                    r[col] = json.loads(store.unseal(r[col]))
            out.append(r)
        return out
    return {
        "records": rows("SELECT record_id, form_id, form_version, status, answers, deleted, "
                        "settlement_id, structure_id, made_at, changed_at FROM records "
                        "ORDER BY record_id"),
        # Every field's state, whether written as rows or kept in a first op (a record
        # pulled again writes its rows: the same state, stored the other way).
        "fields": sorted(records.field_states(store),
                         key=lambda f: (f["record_id"], f["path"])),
        "parents": rows("SELECT * FROM field_parents ORDER BY record_id, path, op_id"),
        "notices": rows("SELECT record_id, path, values_json FROM conflict_notices "
                        "ORDER BY record_id, path"),
    }


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_page_applied_set_wise_equals_its_ops_applied_one_by_one(tmp_path: Path,
                                                                   seed: int) -> None:
    ops = authored_ops(tmp_path)
    if seed:  # out of order too: an edit (even a delete) before its record's first op
        random.Random(seed).shuffle(ops)
    assert sum(op.answers is not None for op in ops) >= 20
    one = open_store(tmp_path / "one.db", device_name="one")
    with one.transaction():
        for op in ops:
            records.apply_op(one, op)
    paged = open_store(tmp_path / "paged.db", device_name="paged")
    encryption.encrypt_store(paged, "2468")  # sealed columns take the same path
    received = 0
    for start in range(0, len(ops), 7):
        page = slice(start, start + 7)
        with paged.transaction():
            received += records.apply_ops(paged, ops[page])
        with paged.transaction():  # a page pulled again changes nothing
            assert records.apply_ops(paged, ops[page]) == 0
    assert snapshot(paged) == snapshot(one)
    assert received == len(ops)
    assert any(n["path"] == "size" for n in snapshot(paged)["notices"])


def test_a_page_of_new_households_reads_the_store_once(tmp_path: Path) -> None:
    author = open_store(tmp_path / "a.db", device_name="a")
    for i in range(60):
        records.create_record(author, "hh", "1", household(i), finalized=True)
    ops = outbox.pending(author)
    reader = open_store(tmp_path / "r.db", device_name="r")
    statements: list[str] = []
    reader.db.conn.set_trace_callback(statements.append)
    page = PullPage(tuple(Change(i + 1, OP_CHANGE, op=Op.from_wire(op))
                          for i, op in enumerate(ops)), len(ops), False)
    assert inbox.apply_page(reader, page).received == 60
    reader.db.conn.set_trace_callback(None)
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(reads) <= 2, reads[:5]  # not one lookup (and one merge read) per op
    assert len(reader.query("SELECT 1 FROM fields")) == len(
        author.query("SELECT 1 FROM fields"))


@pytest.mark.parametrize("value", ["", "Ämina \"q\" \\ \n\t\u2028 😀", "\ud800", 0, -7,
                                   2**70, True, False, None])
def test_the_short_cut_for_a_value_is_its_canonical_json(value: Any) -> None:
    assert _scalar_text(value) == canonical_json(value) == json.dumps(value,
                                                                      ensure_ascii=False)


@pytest.mark.parametrize("value", [2.0, 2.5, [1, "a"], {"a": 1}])
def test_floats_and_lists_take_the_general_path(value: Any) -> None:
    assert _scalar_text(value) is None


def test_households_pulled_in_nested_answers_wait_for_their_field_rows(
        tmp_path: Path) -> None:
    """A household this device never saw, pulled as nested answers, is stored as its
    first op (`records.first_op`, device migration 0006) without its ~50 field rows;
    they are written when something reads or merges its fields, exactly as they would
    have been, so edits and conflicts come out the same as on a store that wrote them."""
    ops = authored_ops(tmp_path)
    flat = [Op.from_wire(op.to_wire(answers=False)) for op in ops]  # no nested answers
    new = [i for i, op in enumerate(ops) if op.answers is not None]
    lazy = open_store(tmp_path / "lazy.db", device_name="lazy")
    eager = open_store(tmp_path / "eager.db", device_name="eager")
    with lazy.transaction():
        records.apply_ops(lazy, [ops[i] for i in new])
    with eager.transaction():
        records.apply_ops(eager, [flat[i] for i in new])  # without answers: rows written
    assert lazy.query("SELECT count(*) AS n FROM fields")[0]["n"] == 0
    assert len(lazy.query("SELECT 1 FROM records WHERE first_op IS NOT NULL")) == len(new)
    assert eager.query("SELECT count(*) AS n FROM fields")[0]["n"] > 10 * len(new)
    for store in (lazy, eager):  # nothing to report, nothing "only local"
        assert check_store(store) == []
        assert not any(outbox.only_local(store, ops[i].record_id) for i in new)
    assert snapshot(lazy)["records"] == snapshot(eager)["records"]
    # The rest of the ops (edits, a delete, concurrent edits: conflicts), then a local
    # edit of a household still kept as its first op.
    rest = [i for i in range(len(ops)) if i not in new]
    for store in (lazy, eager):
        with store.transaction():
            records.apply_ops(store, [ops[i] for i in rest])
    untouched = sorted({ops[i].record_id for i in new} - {ops[i].record_id for i in rest})
    still = len(lazy.query("SELECT 1 FROM records WHERE first_op IS NOT NULL"))
    assert still == len(untouched) > 1
    # A local edit (this device writes the op) and the same op pulled by the other store.
    edit = records.save_answers(lazy, untouched[0], {"size": 3, "name": "Neema"})
    assert lazy.query("SELECT first_op FROM records WHERE record_id = ?",
                      [untouched[0]])[0]["first_op"] is None
    (edit_op,) = [op for op in outbox.pending(lazy) if op["op_id"] == edit]
    assert edit_op["parents"]["size"]  # it saw the first op as the head it replaces
    with eager.transaction():
        records.apply_op(eager, Op.from_wire(edit_op))
    assert check_store(lazy) == []
    for records_ in (lazy, eager):  # everything read back as rows, for the comparison
        for row in records_.query("SELECT record_id FROM records"):
            with records_.transaction():
                records.write_first_op_fields(records_, row["record_id"])
    assert lazy.query("SELECT count(*) AS n FROM records WHERE first_op IS NOT NULL"
                      )[0]["n"] == 0
    mine, theirs = snapshot(lazy), snapshot(eager)
    assert mine == theirs
    assert any(n["path"] == "size" for n in mine["notices"])
    assert check_store(lazy) == []
