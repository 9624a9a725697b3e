"""The hub's upstream link drops in the middle of a push, and an answer gets lost:
the next sync resumes, and every op arrives upstream exactly once."""

from __future__ import annotations

from pathlib import Path

from faultproxy import FaultProxy
from harness import new_tablet, server_state, sync_tablet

from client.transport import RetryPolicy
from field_app.core import records
from server.extensions import db
from server.models import Op as OpRow
from server.services.hub import hub_status, set_upstream, sync_once

ONE_TRY = RetryPolicy(attempts=1, base_s=0.01, cap_s=0.01)


def _central_ops(app) -> list[str]:
    with app.app_context():
        ids = list(db.session.execute(db.select(OpRow.op_id)).scalars())
        db.session.rollback()
    return ids


def test_an_interrupted_push_resumes_without_duplicates(central, hub, tmp_path: Path) -> None:
    central_app, central_url = central
    hub_app, hub_url = hub
    with hub_app.app_context():
        assert sync_once().ok
    tablet = new_tablet(tmp_path / "a.db", hub_app, hub_url)
    for i in range(120):
        records.create_record(tablet, "household", "1", {"head_name": f"Resident {i}", "size": i,
                                                "notes": "x" * 200}, finalized=True)
    assert sync_tablet(tablet, hub_url).sent == 120
    proxy = FaultProxy(int(central_url.rsplit(":", 1)[1]))
    try:
        with hub_app.app_context():
            set_upstream(proxy.url)
            proxy.faults.cut_after_bytes, proxy.faults.cuts = 2500, 1
            first = sync_once(batch=20, retry=ONE_TRY)
            assert not first.ok and proxy.cut_count == 1
            status = hub_status()
            assert 0 < status["waiting_ops"] < 120  # some batches went through
            assert status["last_error"]
            assert len(_central_ops(central_app)) < 120
            # The next push is applied upstream but its answer never reaches the hub.
            proxy.faults.drop_ack_for, proxy.faults.drops = b"POST /api/sync/push", 1
            second = sync_once(batch=20, retry=ONE_TRY)
            assert not second.ok and proxy.dropped_acks == 1
            third = sync_once(batch=20, retry=ONE_TRY)
            assert third.ok, third.error
            status = hub_status()
        assert (status["waiting_ops"], status["last_error"]) == (0, None)
    finally:
        proxy.close()
    ops = _central_ops(central_app)
    assert len(ops) == len(set(ops)) == 120
    assert server_state(central_app) == server_state(hub_app)
    tablet.close()
