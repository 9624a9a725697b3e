"""The hub's web page shows the upstream link to leaders and admins."""

from __future__ import annotations

from pathlib import Path

from harness import new_tablet, sync_tablet
from personas import make_personas

from client.transport import RetryPolicy
from field_app.core import records
from server.services.hub import set_upstream, sync_once


def test_the_hub_page_shows_waiting_changes_and_the_last_error(hub, tmp_path: Path) -> None:
    hub_app, hub_url = hub
    with hub_app.app_context():
        assert sync_once().ok
    people = make_personas(hub_app)
    tablet = new_tablet(tmp_path / "t.db", hub_app, hub_url)
    records.create_record(tablet, "household", "1", {"head_name": "Page"}, finalized=True)
    assert sync_tablet(tablet, hub_url).sent == 1
    tablet.close()
    page = people.leader_a.client.get("/hub")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Waiting to send to the central server" in html
    assert '<td id="waiting-ops">1</td>' in html
    with hub_app.app_context():
        set_upstream("http://127.0.0.1:9")
        assert not sync_once(retry=RetryPolicy(attempts=1)).ok
    html = people.admin.client.get("/hub").get_data(as_text=True)
    assert "The link to the central server is not working" in html
    assert people.enumerator_a.client.get("/hub").status_code == 403
