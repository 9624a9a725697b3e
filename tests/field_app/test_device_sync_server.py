"""End-to-end with the real server only: photos, and a cursor the server no longer knows."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from flaskhub import FlaskHub
from tablets import enrolled_tablet

from client.api import SyncApi
from client.transport import HttpTransport, RetryPolicy
from field_app.core import attachments, outbox, records
from field_app.core.session import SurveySession
from field_app.core.store import Store
from field_app.core.sync_runner import run_sync
from forms.spec import FormSpec, Node

PHOTO_FORM = FormSpec(id="structure", version="1", title="Structure", children=(
    Node(kind="question", type="text", name="number", path=("number",)),
    Node(kind="question", type="image", name="photo", path=("photo",)),
))


@pytest.fixture
def hub(hub: FlaskHub) -> FlaskHub:
    """The shared hub (conftest.py) with the photo form published too."""
    from server.services.forms import publish_form
    with hub.app.app_context():
        publish_form(PHOTO_FORM)
    return hub


def sync(store: Store, hub: FlaskHub):
    api = SyncApi(HttpTransport(hub.url, store.device.token,
                                retry=RetryPolicy(attempts=3, base_s=0.01)))
    try:
        return run_sync(store, api)
    finally:
        api.transport.close()


def test_a_photo_answer_reaches_the_server_with_its_file(tmp_path: Path, hub: FlaskHub) -> None:
    store = enrolled_tablet(tmp_path, "mapper", hub)
    sync(store, hub)  # downloads the published forms
    assert store.form("structure", "1") is not None
    photo = tmp_path / "KB-045.jpg"
    photo.write_bytes(os.urandom(600_000))
    session = SurveySession.start(store, "structure")
    session.set_answer(("number",), "KB-045")
    session.save()
    session.attach_file(("photo",), photo, "image/jpeg")
    session.save()
    assert session.finalize() == []
    op = outbox.pending(store)[0]
    sha = hashlib.sha256(photo.read_bytes()).hexdigest()
    assert op["fields"]["photo"] == "KB-045.jpg"
    assert op["meta"]["attachments"] == {"KB-045.jpg": {"sha256": sha, "size": 600_000,
                                                       "type": "image/jpeg"}}
    summary = sync(store, hub)
    assert summary.ok and summary.sent == 1, summary.describe()
    assert hub.blob(sha) == photo.read_bytes()
    assert attachments.pending_uploads(store) == []


def test_a_cursor_beyond_the_server_restarts_from_zero(tmp_path: Path, hub: FlaskHub) -> None:
    a = enrolled_tablet(tmp_path, "a", hub)
    b = enrolled_tablet(tmp_path, "b", hub)
    rid = records.create_record(a, "hh", "1", {"head_name": "Amina"}, finalized=True)
    sync(a, hub)
    b.save_cursor(10_000)  # e.g. the server was restored from an older backup
    summary = sync(b, hub)
    assert summary.ok, summary.describe()
    assert records.get_record(b, rid)["answers"] == {"head_name": "Amina"}
    assert b.cursor() == hub.seq


def test_a_missing_photo_is_reported_and_the_others_still_go(tmp_path: Path,
                                                             hub: FlaskHub) -> None:
    store = enrolled_tablet(tmp_path, "mapper", hub)
    gone, kept = tmp_path / "gone.jpg", tmp_path / "kept.jpg"
    gone.write_bytes(b"x" * 1000)
    kept.write_bytes(os.urandom(5000))
    attachments.add_attachment(store, gone)
    sha = attachments.add_attachment(store, kept)
    gone.unlink()
    summary = sync(store, hub)
    assert not summary.ok and "gone.jpg is no longer on this tablet" in summary.describe()
    assert hub.blob(sha) == kept.read_bytes()
