"""A concurrency scenario shared by the thread and the multi-process tests.

Several devices push batches at once (some ops editing the same records, so pushes
contend for the same rows) while a puller keeps pulling. Afterwards the puller must
have seen every op exactly once, in sequence order, with no gap: the property that a
server handing out sequence numbers in one order and committing in another would break.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from server_harness import Device, HttpClient

from sync.ids import new_uuid7
from sync.merge import conflict_of
from sync.messages import PullPage
from sync.ops import Op
from sync.replica import replica_from


@dataclass
class Outcome:
    pushed: list[Op] = field(default_factory=list)
    acked: set[str] = field(default_factory=set)
    pulled_seqs: list[int] = field(default_factory=list)
    pulled_ops: dict[str, Op] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    final_cursor: int = 0
    records: dict[str, dict] = field(default_factory=dict)


def run(port: int, devices: list[Device], batches: int, batch_size: int,
        shared_records: int = 3) -> Outcome:
    out = Outcome()
    lock = threading.Lock()
    shared = [new_uuid7() for _ in range(shared_records)]
    done = threading.Event()

    def pusher(device: Device) -> None:
        client = HttpClient(port, device.token)
        for b in range(batches):
            ops = [device.op(fields={"n": i, "batch": b}) for i in range(batch_size - 1)]
            # Concurrent writes of the same field of the same records (no parents seen).
            ops.append(device.op(shared[b % len(shared)], {"toilet": f"{device.id}-{b}"}))
            reply = client.push(device, ops)
            with lock:
                out.pushed.extend(ops)
                if reply.status != 200:
                    out.errors.append(f"push {reply.status}: {reply.body[:300]!r}")
                    continue
                body = reply.json()
                out.acked.update(body["acked"])
                if body["rejected"]:
                    out.errors.append(f"rejected: {body['rejected']}")

    def puller() -> None:
        client = HttpClient(port, devices[0].token)
        cursor = 0
        while True:
            finishing = done.is_set()
            reply = client.pull(cursor, limit=37)
            if reply.status != 200:
                out.errors.append(f"pull {reply.status}: {reply.body[:300]!r}")
                return
            data = reply.json()
            page = PullPage.from_wire(data, cursor=cursor)  # checks order and bounds
            for change in page.changes:
                out.pulled_seqs.append(change.seq)
                if change.op is not None:
                    out.pulled_ops[change.op.op_id] = change.op
            out.records.update(data["records"])
            cursor = page.next_cursor
            if finishing and not page.has_more:
                out.final_cursor = cursor
                return

    threads = [threading.Thread(target=pusher, args=(d,)) for d in devices]
    pull_thread = threading.Thread(target=puller)
    pull_thread.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    done.set()
    pull_thread.join(timeout=300)
    return out


def check(out: Outcome, first_seq: int) -> None:
    """Everything pushed was applied once, and pulled once, in order, without gaps."""
    assert out.errors == []
    pushed_ids = {op.op_id for op in out.pushed}
    assert out.acked == pushed_ids
    assert len(out.pulled_seqs) == len(set(out.pulled_seqs)), "a seq was pulled twice"
    assert out.pulled_seqs == list(range(first_seq, first_seq + len(out.pulled_seqs)))
    assert set(out.pulled_ops) == pushed_ids
    assert out.final_cursor == out.pulled_seqs[-1]
    # The server's merged state equals the reference replica's over the same ops.
    reference = replica_from(out.pulled_ops.values())
    for record_id, state in out.records.items():
        for path, value in state["fields"].items():
            assert value == reference.value(record_id, path), (record_id, path)
        heads = {c["path"]: {v["op_id"] for v in c["versions"]} for c in state["conflicts"]}
        for path in reference.fields(record_id):
            expected = conflict_of(record_id, path, reference.heads(record_id, path))
            got = heads.get(path)
            assert (set(expected.head_ids) if expected else None) == got, (record_id, path)
