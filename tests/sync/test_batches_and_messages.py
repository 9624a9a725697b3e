"""Batching an outbox, the push/pull bodies, and the summary a person reads."""

from __future__ import annotations

import gzip
import itertools
import json

import pytest

from sync.batching import ENVELOPE_BYTES, plan_batches
from sync.canonical import canonical_bytes
from sync.codes import FORM_VERSION_UNKNOWN, HLC_TOO_FAR_AHEAD, OP_INVALID, Rejection
from sync.hlc import HybridClock
from sync.ids import new_uuid7
from sync.messages import (
    BodyError,
    BodyTooLarge,
    Change,
    PullPage,
    PushRequest,
    PushResponse,
    QueuedOp,
    compress,
    decode_body,
    decompress,
    encode_body,
    encode_op,
    encode_push,
    op_changes,
)
from sync.ops import Op
from sync.replica import Replica
from sync.summary import SyncSummary

NOW = 1_767_225_600_000


def outbox(n: int, text: str = "x") -> list[Op]:
    tab = Replica("tab", HybridClock("tab", now_ms=lambda: NOW))
    rid = new_uuid7(NOW)
    return [tab.edit(rid, {"note": f"{text}{i}"}, form_id="household", form_version="1")
            for i in range(n)]


def request_size(batch: list[Op]) -> int:
    return len(canonical_bytes(PushRequest("tab", tuple(batch)).to_wire()))


def test_batches_respect_count_and_keep_order() -> None:
    ops = outbox(25)
    batches = plan_batches(ops, max_ops=10)
    assert [len(b) for b in batches] == [10, 10, 5]
    assert [o.op_id for b in batches for o in b] == [o.op_id for o in ops]


def test_batches_respect_bytes_measured_as_the_real_request() -> None:
    ops = outbox(40, text="y" * 300)
    limit = 4000
    batches = plan_batches(ops, max_bytes=limit)
    assert len(batches) > 1
    assert all(request_size(b) <= limit for b in batches)
    # Not wasteful: adding the next op would have crossed the limit.
    for batch, nxt in itertools.pairwise(batches):
        assert ENVELOPE_BYTES + sum(o.wire_size() + 1 for o in [*batch, nxt[0]]) > limit


def test_an_oversized_op_travels_alone() -> None:
    ops = outbox(3, text="z" * 2000)
    assert [len(b) for b in plan_batches(ops, max_bytes=1000)] == [1, 1, 1]
    assert plan_batches([]) == []
    with pytest.raises(ValueError):
        plan_batches(ops, max_ops=0)


def test_a_push_body_is_built_around_the_stored_op_texts_as_canonical_json() -> None:
    """The device stores each op's wire text and pushes it as it is (`encode_push`):
    the body is byte for byte the canonical JSON of the request, and the server reads
    it back (`PushRequest.from_wire`) into the same ops, nested answers kept."""
    tab = Replica("tab", HybridClock("tab", now_ms=lambda: NOW))
    new = tab.edit(new_uuid7(NOW), {"head_name": "Wanjikũ", "members[a1]/age": 3,
                                    "members[a1]": None}, form_id="household",
                   form_version="1")
    nested = tab.edit(new_uuid7(NOW), {"head_name": "Amina", "rooms": 2},
                      form_id="household", form_version="1")
    ops = (*outbox(2), new, nested)
    request = PushRequest("tab-07", ops, protocol=3)
    queued = [QueuedOp.of(op) for op in ops]
    assert [q.text for q in queued] == [encode_op(op) for op in ops]
    assert [q.wire_size() for q in queued] == [op.wire_size() for op in ops]
    body = encode_push("tab-07", queued, 3)
    assert body == request.encode() == canonical_bytes(request.to_wire())
    back, rejected = PushRequest.from_wire(json.loads(body))
    assert rejected == [] and back == request
    assert back.ops[-1].answers == {"head_name": "Amina", "rooms": 2}
    assert back.ops[2].answers is None  # a removed instance travels flat


def test_a_push_body_that_names_no_protocol_is_protocol_1() -> None:
    body = PushRequest("tab", tuple(outbox(1))).to_wire()
    del body["protocol"]
    assert PushRequest.from_wire(body)[0].protocol == 1
    for bad in (True, 0, "3"):
        with pytest.raises(BodyError, match="protocol"):
            PushRequest.from_wire({**body, "protocol": bad})


def test_push_request_round_trip_through_gzip() -> None:
    ops = outbox(3)
    body = encode_body(PushRequest("tab", tuple(ops)).to_wire())
    assert body[:2] == b"\x1f\x8b"
    request, rejected = PushRequest.from_wire(decode_body(body))
    assert rejected == [] and [o.op_id for o in request.ops] == [o.op_id for o in ops]


def test_push_request_reports_bad_ops_one_by_one() -> None:
    good = outbox(1)[0].to_wire()
    request, rejected = PushRequest.from_wire({"device_id": "tab", "ops": [good, {"op_id": "z"}]})
    assert len(request.ops) == 1 and rejected[0].code == OP_INVALID and rejected[0].op_id == "z"
    with pytest.raises(BodyError):
        PushRequest.from_wire({"ops": "nope"})


def test_decode_body_refuses_bombs_and_junk() -> None:
    bomb = gzip.compress(b"[" + b"0," * 200_000 + b"0]")
    with pytest.raises(BodyError, match="inflates"):
        decode_body(bomb, limit=100_000)
    with pytest.raises(BodyError, match="gzip"):
        decode_body(b"not gzip")
    with pytest.raises(BodyError, match="JSON"):
        decode_body(gzip.compress(b"{oops"))
    assert decode_body(b'{"a":1}', gzipped=False) == {"a": 1}


def test_push_response_round_trip() -> None:
    response = PushResponse(("a",), (Rejection.of("b", FORM_VERSION_UNKNOWN, "later"),), 17, 2,
                            f"{NOW:013d}-000000-server")
    assert PushResponse.from_wire(json.loads(json.dumps(response.to_wire()))) == response
    with pytest.raises(BodyError):
        PushResponse.from_wire({"acked": [], "server_seq": -1, "conflicts": 0})


def test_pull_page_validates_order_and_keeps_unknown_change_types() -> None:
    ops = outbox(2)
    changes = (*op_changes(ops, 11), Change(13, "form", data={"form_id": "household",
                                                               "version": "2"}),
               Change(14, "assignment", data={"settlement": "KB"}))
    page = PullPage(changes, next_cursor=14, has_more=False)
    back = PullPage.from_wire(json.loads(json.dumps(page.to_wire())), cursor=10)
    assert [o.op_id for o in back.ops] == [o.op_id for o in ops]
    assert back.forms == [("household", "2")]
    assert back.changes[3].type == "assignment" and back.changes[3].data == {"settlement": "KB"}

    wire = page.to_wire()
    with pytest.raises(BodyError, match="out of order"):
        PullPage.from_wire(wire, cursor=12)
    wire["next_cursor"] = 5
    with pytest.raises(BodyError, match="goes back"):
        PullPage.from_wire(wire, cursor=10)


def test_summary_in_plain_words() -> None:
    assert SyncSummary().describe() == "Everything is up to date."
    text = SyncSummary(sent=12, received=1, conflicts=2, rejected=(
        Rejection.of("a", HLC_TOO_FAR_AHEAD, "clock"),
        Rejection.of("b", OP_INVALID, "fields.q: bad"))).describe()
    assert text.startswith("Sent 12 changes, received 1 change.")
    assert "2 answers were changed on two devices at once" in text
    assert "1 change is kept on this device" in text and "date and time" in text
    assert "1 change was refused by the server and needs attention: fields.q: bad" in text
    both = SyncSummary(sent=1) + SyncSummary(sent=2, errors=("no network",))
    assert both.sent == 3 and not both.ok and "Sync stopped: no network" in both.describe()


def _wire(value: dict) -> dict:
    return json.loads(json.dumps(value))


def test_acked_rest_stands_for_every_op_sent_but_not_rejected() -> None:
    refused = Rejection.of("b", FORM_VERSION_UNKNOWN, "later")
    response = PushResponse(("a", "c"), (refused,), 17, 0, f"{NOW:013d}-000000-server")
    compact = response.to_wire(sent=["a", "b", "c"])
    assert compact["acked_rest"] is True and "acked" not in compact
    assert PushResponse.from_wire(_wire(compact), sent=["a", "b", "c"]) == response
    # Without the ids sent (a protocol 2 client), or when some op was neither acked nor
    # rejected, the answer lists the acked ids as before.
    assert response.to_wire()["acked"] == ["a", "c"]
    partial = response.to_wire(sent=["a", "b", "c", "d"])
    assert partial["acked"] == ["a", "c"] and "acked_rest" not in partial
    with pytest.raises(BodyError, match="acked"):
        PushResponse.from_wire({"server_seq": 1, "conflicts": 0})


@pytest.mark.parametrize("coding", ["gzip", "bzip2"])
def test_compress_round_trip_and_refusals(coding: str) -> None:
    raw = json.dumps([o.to_wire() for o in outbox(50)]).encode()
    body = compress(raw, coding)
    assert len(body) < len(raw) / 3
    assert decompress(body, coding) == raw
    with pytest.raises(BodyTooLarge):
        decompress(compress(b" " * 1_000_000, coding), coding, limit=100_000)
    for broken in (body[:-8], body + b"more", b"junk" * 10):
        with pytest.raises(BodyError):
            decompress(broken, coding)
    with pytest.raises(BodyError, match="coding"):
        decompress(body, "br")
    with pytest.raises(ValueError):
        compress(raw, "br")

