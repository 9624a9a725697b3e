"""A pulled page is applied set-wise (records.apply_ops): the same store as applying its
ops one by one, with a fixed number of reads per page instead of one per op."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from field_app.core import encryption, inbox, outbox, records
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
        "fields": rows("SELECT * FROM fields ORDER BY record_id, path"),
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
