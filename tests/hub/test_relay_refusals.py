"""What the central server refuses of a hub's relay (issue 19): a refusal a leader can
fix (the hub not yet allowed to relay) holds the ops at the hub until it is fixed,
never drops them; refusals for good are shown on the hub's devices page with the
tablet that sent the op."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import linked_hub, new_tablet, refusals_shown, server_state, sync_tablet
from server_harness import HttpClient, enrol_device

from field_app.core import outbox, records
from server.services.hub import allow_relay, hub_status, sync_once
from sync.ops import make_op


@pytest.fixture
def unallowed_hub(central, tmp_path: Path) -> Iterator[tuple]:
    """(app, url): a hub linked to `central` whose leader has not run `hub allow`."""
    yield from linked_hub(central, tmp_path, "hub-2", "Mathare office", allowed=False)


def _round(app):
    with app.app_context():
        return sync_once()


def test_a_hub_not_yet_allowed_holds_the_ops_and_relays_them_once_allowed(
        central, unallowed_hub, tmp_path: Path) -> None:
    central_app, _ = central
    hub_app, hub_url = unallowed_hub
    assert _round(hub_app).ok  # nothing to push yet: the hub learns the form
    tablet = new_tablet(tmp_path / "t.db", hub_app, hub_url)
    ids = [records.create_record(tablet, "household", "1", {"head_name": f"M{i}"}, finalized=True)
           for i in range(3)]
    assert sync_tablet(tablet, hub_url).sent == 3
    for _ in range(2):  # refused each round, and never skipped
        result = _round(hub_app)
        assert result.pushed == 0 and "hub.relay_forbidden" in (result.error or "")
    with hub_app.app_context():
        status = hub_status()
    assert status["waiting_ops"] == 3 and "hesabu hub allow" in status["last_error"]
    assert server_state(central_app)[0] == {}
    assert refusals_shown(central_app) == {"hub-2": [("hub.relay_forbidden", 3, True, False)]}
    assert refusals_shown(hub_app) == {
        tablet.device_id: [("hub.relay_forbidden", 3, True, True)]}  # on the tablet's row

    with central_app.app_context():
        allow_relay("hub-2")  # the leader's fix
    result = _round(hub_app)
    assert result.ok and result.pushed == 3, result.error
    assert set(server_state(central_app)[0]) == set(ids)
    assert refusals_shown(central_app) == {} and refusals_shown(hub_app) == {}
    tablet.close()


def test_an_op_upstream_refuses_for_good_is_shown_with_the_tablet_on_the_hub(
        central, hub, tmp_path: Path) -> None:
    """Another device took the id of the tablet's op upstream first (it had a copy of
    the tablet's bundle): upstream refuses the tablet's op, and the hub's leader sees
    it on the tablet's row; the hub's other ops go on."""
    central_app, central_url = central
    hub_app, hub_url = hub
    assert _round(hub_app).ok
    tablet = new_tablet(tmp_path / "t.db", hub_app, hub_url)
    record = records.create_record(tablet, "household", "1", {"head_name": "Original"},
                                   finalized=True)
    records.create_record(tablet, "household", "1", {"head_name": "Other"}, finalized=True)
    taken = outbox.pending_queued(tablet)[0].op_id
    squatter = enrol_device(central_app, "tab-squat", "Squatter")
    copy = make_op("edit", clock=squatter.clock, device_id=squatter.id, record_id=record,
                   form_id="household", form_version="1", fields={"head_name": "Forged"},
                   heads={}, op_id=taken)
    assert HttpClient(int(central_url.rsplit(":", 1)[1]), squatter.token).push(
        squatter, [copy]).json()["acked"] == [taken]
    assert sync_tablet(tablet, hub_url).sent == 2
    result = _round(hub_app)
    # Refused both ways: upstream refuses the tablet's op, and the hub, pulling,
    # refuses the squatter's op under the same id.
    assert result.pushed == 2 and [r["code"] for r in result.rejected] == [
        "sync.op_id_reused", "sync.op_id_reused"]
    assert refusals_shown(hub_app) == {tablet.device_id: [("sync.op_id_reused", 1, False, True)]}
    assert refusals_shown(central_app) == {"hub-1": [("sync.op_id_reused", 1, False, False)]}
    tablet.close()


def test_a_relay_in_several_batches_stops_where_upstream_asks_to_wait(
        central, unallowed_hub, tmp_path: Path) -> None:
    """The hub sends its next batch while it records the last answer: when that answer
    says "retry later", the relay still stops there, and the batch already sent is sent
    again once upstream takes them; every op arrives once, in batches of two."""
    central_app, _ = central
    hub_app, hub_url = unallowed_hub
    assert _round(hub_app).ok
    tablet = new_tablet(tmp_path / "t.db", hub_app, hub_url)
    ids = [records.create_record(tablet, "household", "1", {"head_name": f"M{i}"}, finalized=True)
           for i in range(5)]
    assert sync_tablet(tablet, hub_url).sent == 5
    with hub_app.app_context():
        held = sync_once(batch=2)
        status = hub_status()
    assert held.pushed == 0 and "hub.relay_forbidden" in (held.error or "")
    assert status["waiting_ops"] == 5
    assert server_state(central_app)[0] == {}

    with central_app.app_context():
        allow_relay("hub-2")
    with hub_app.app_context():
        relayed = sync_once(batch=2)
        status = hub_status()
        again = sync_once(batch=2)
    assert relayed.ok and relayed.pushed == 5, relayed.error
    assert status["waiting_ops"] == 0
    assert again.ok and again.pushed == 0
    assert set(server_state(central_app)[0]) == set(ids)
    assert refusals_shown(central_app) == {} and refusals_shown(hub_app) == {}
    tablet.close()
