"""Property: tablets, an office hub and the central server exchanging by HTTP and by USB
bundles, in any order, end with identical records and conflict sets everywhere."""

from __future__ import annotations

import io
import itertools
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import (
    enrolment_code,
    make_server,
    new_tablet,
    publish_test_form,
    server_state,
    serving,
    store_state,
    sync_tablet,
    wipe,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from field_app.core import records
from field_app.core.bundles import export_bundle, import_return_bundle
from field_app.core.store import Store
from server.extensions import db
from server.services.bundles import import_bundle, write_return_bundle
from server.services.hub import allow_relay, link_hub, sync_once

#: Tablets 0 and 1 enrol at the hub, tablet 2 at the central server.
TABLETS = 3
_names = itertools.count()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    tmp = tmp_path_factory.mktemp("world")
    central = make_server(f"sqlite:///{tmp / 'central.db'}", tmp / "central",
                          HESABU_RELAY_ONLY_FROM_HUBS=True)
    hub = make_server(f"sqlite:///{tmp / 'hub.db'}", tmp / "hub", HESABU_NODE_ID="hub")
    with serving(central) as central_url, serving(hub) as hub_url:
        yield {"central": (central, central_url), "hub": (hub, hub_url), "tmp": tmp}
    for app in (central, hub):
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _fresh(world: dict) -> list[tuple[Store, object, str]]:
    central, central_url = world["central"]
    hub, hub_url = world["hub"]
    for app in (central, hub):
        with app.app_context():
            wipe()
    publish_test_form(central)
    n = next(_names)
    with hub.app_context():
        link_hub(central_url, enrolment_code(central), f"hub-{n}", "office")
    with central.app_context():
        allow_relay(f"hub-{n}")
    _hub_sync(hub)
    folder = Path(tempfile.mkdtemp(dir=world["tmp"]))
    tablets = []
    for i in range(TABLETS):
        app, url = (hub, hub_url) if i < 2 else (central, central_url)
        store = new_tablet(folder / f"t{i}.db", app, url, f"tablet {i}")
        records.create_record(store, "household", "1", {"head_name": f"start {i}"}, finalized=True)
        tablets.append((store, app, url))
    return tablets


def _hub_sync(hub) -> None:
    with hub.app_context():
        result = sync_once()
    assert result.ok, result.error


def _by_bundle(store: Store, app) -> None:
    out = io.BytesIO()
    export_bundle(store, out)
    out.seek(0)
    back = io.BytesIO()
    with app.app_context():
        result = import_bundle(out)
        write_return_bundle(store.device_id, back, in_reply_to=result.bundle_id)
    back.seek(0)
    import_return_bundle(store, back)


step = st.one_of(
    st.tuples(st.just("edit"), st.integers(0, TABLETS - 1), st.integers(0, 5),
              st.sampled_from(["Amina", "Juma", "Wanjiru", None])),
    st.tuples(st.just("http"), st.integers(0, TABLETS - 1)),
    st.tuples(st.just("bundle"), st.integers(0, TABLETS - 1)),
    st.tuples(st.just("hub")),
)


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(step, min_size=4, max_size=18))
def test_any_mix_of_http_bundles_and_hub_rounds_converges(world: dict, steps: list) -> None:
    tablets = _fresh(world)
    hub = world["hub"][0]
    central = world["central"][0]
    try:
        for action, *args in steps:
            if action == "edit":
                store = tablets[args[0]][0]
                ids = sorted(r["record_id"] for r in store.query("SELECT record_id FROM records"))
                records.save_answers(store, ids[args[1] % len(ids)], {"head_name": args[2]})
            elif action == "http":
                store, _, url = tablets[args[0]]
                assert sync_tablet(store, url).ok
            elif action == "bundle":
                store, app, _ = tablets[args[0]]
                _by_bundle(store, app)
            else:
                _hub_sync(hub)
        # Settle: everything reaches everyone.
        for _ in range(2):
            _hub_sync(hub)
            for store, _, url in tablets:
                assert sync_tablet(store, url).ok
        _hub_sync(hub)
        expected = server_state(central)
        assert server_state(hub) == expected
        for store, _, _ in tablets:
            assert store_state(store) == expected
    finally:
        for store, _, _ in tablets:
            store.close()
