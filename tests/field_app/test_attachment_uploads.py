"""Photo uploads over real HTTP on loopback: round trips per photo, and what is (not) sent.

A photo this tablet never sent a byte of goes out without a HEAD first (a round trip
per photo on a slow link); when the server has it already (a hub, a bundle, another
tablet, an answer that was lost), its 409 says where to go on from.
"""

from __future__ import annotations

import hashlib
import io
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from faultproxy import FaultProxy
from flaskhub import FlaskHub
from refserver import RefServer
from tablets import enrolled_tablet

from client.api import SyncApi
from client.errors import SyncCancelled, SyncError
from client.transport import HttpTransport, RetryPolicy
from field_app.core import attachments
from field_app.core.bundles import export_bundle
from field_app.core.store import Store
from field_app.core.sync_runner import SyncOptions, run_sync

Hub = RefServer | FlaskHub
FAST_RETRY = RetryPolicy(attempts=3, base_s=0.01, cap_s=0.02)
CHUNK = 128 * 1024


@pytest.fixture(params=["flask", "reference"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Hub]:
    s: Hub = (FlaskHub(tmp_path / "instance") if request.param == "flask" else RefServer())
    yield s
    s.close()


def api_for(url: str, store: Store | None = None) -> SyncApi:
    token = store.device.token if store is not None else None
    return SyncApi(HttpTransport(url, token, retry=FAST_RETRY, timeout_s=10))


def photo(tmp_path: Path, name: str, size: int, seed: bytes | None = None) -> Path:
    path = tmp_path / name
    path.write_bytes(seed if seed is not None else os.urandom(size))
    return path


def upload(store: Store, url: str, sha: str) -> attachments.UploadResult:
    row = next(r for r in attachments.pending_uploads(store) if r["sha256"] == sha)
    api = api_for(url, store)
    try:
        return attachments.upload_attachment(store, api, row, chunk_size=CHUNK)
    finally:
        api.transport.close()


def attachment_requests(server: Hub, sha: str) -> list[str]:
    """The methods of the requests the server got for this file, in order."""
    return [r.split(" ", 1)[0] for r in server.requests
            if r.split(" ", 1)[1].split("?")[0] == f"/api/attachments/{sha}"]


def done(store: Store, sha: str) -> bool:
    row = store.query("SELECT uploaded_at, uploaded_offset, size FROM attachments "
                      "WHERE sha256 = ?", [sha])[0]
    return row["uploaded_at"] is not None and row["uploaded_offset"] == row["size"]


def attempt_marks(store: Store) -> list[str]:
    return [r["key"] for r in store.query(
        "SELECT key FROM settings WHERE key LIKE 'attachment_attempt:%'")]


def test_a_new_photo_is_sent_without_asking_the_offset_first(tmp_path: Path,
                                                            server: Hub) -> None:
    a = enrolled_tablet(tmp_path, "a", server)
    sha = attachments.add_attachment(a, photo(tmp_path, "house.jpg", 600_000))
    result = upload(a, server.url, sha)
    chunks = -(-600_000 // CHUNK)
    assert attachment_requests(server, sha) == ["PATCH"] * chunks  # no HEAD
    assert result.chunks_sent == chunks and result.bytes_sent == 600_000
    blob = server.blob(sha)
    assert blob is not None and hashlib.sha256(blob).hexdigest() == sha
    assert done(a, sha) and attempt_marks(a) == []


def test_a_photo_the_server_already_has_is_not_sent_again(tmp_path: Path,
                                                         server: Hub) -> None:
    """Another tablet (or a hub) delivered the same photo: one refused chunk, no more."""
    data = os.urandom(1_300_000)
    b = enrolled_tablet(tmp_path, "b", server)
    sha = attachments.add_attachment(b, photo(tmp_path, "b.jpg", 0, data))
    upload(b, server.url, sha)
    server.requests.clear()

    a = enrolled_tablet(tmp_path, "a", server)
    assert attachments.add_attachment(a, photo(tmp_path, "a.jpg", 0, data)) == sha
    api = api_for(server.url, a)
    try:
        summary = run_sync(a, api, options=SyncOptions(chunk_size=CHUNK))
        wire = api.transport.stats
    finally:
        api.transport.close()
    assert summary.ok, summary.describe()
    assert attachment_requests(server, sha) == ["PATCH"]  # answered 409 at the end
    assert wire.by_path[f"/api/attachments/{sha}"] == 1
    assert wire.bytes_sent <= CHUNK + 10_000  # the first chunk, not the 1.3 MB again
    assert server.blob(sha) == data
    assert done(a, sha) and attachments.pending_uploads(a) == []


def test_a_photo_the_server_has_in_part_goes_on_from_its_offset(tmp_path: Path,
                                                               server: Hub) -> None:
    """Another tablet's upload stopped after two chunks: this one sends only the rest."""
    data = os.urandom(700_000)
    sha = hashlib.sha256(data).hexdigest()
    b = enrolled_tablet(tmp_path, "b", server)
    api = api_for(server.url, b)
    for start in (0, CHUNK):
        part = data[start:start + CHUNK]
        resp = api.attachment_chunk(sha, start, len(data), part,
                                    hashlib.sha256(part).hexdigest())
        assert resp.status in (200, 204)  # reference server: 204
    api.transport.close()
    server.requests.clear()

    a = enrolled_tablet(tmp_path, "a", server)
    attachments.add_attachment(a, photo(tmp_path, "a.jpg", 0, data))
    result = upload(a, server.url, sha)
    rest = -(-(len(data) - 2 * CHUNK) // CHUNK)
    assert attachment_requests(server, sha) == ["PATCH"] * (1 + rest)  # 409, then the rest
    assert result.bytes_sent == CHUNK + len(data) - 2 * CHUNK
    assert server.blob(sha) == data and done(a, sha)


def test_after_a_lost_answer_the_next_sync_asks_the_offset(tmp_path: Path,
                                                          server: Hub) -> None:
    """The server stored the photo but the link died before the tablet heard it (and
    before it could ask): the next upload asks (HEAD) and sends nothing again."""
    a = enrolled_tablet(tmp_path, "a", server)
    data = os.urandom(100_000)  # one chunk: the server has it all after the first PATCH
    sha = attachments.add_attachment(a, photo(tmp_path, "house.jpg", 0, data))
    proxy = FaultProxy(server.port)
    proxy.faults.drop_ack_for, proxy.faults.drops = b"", 100  # every answer is lost
    try:
        with pytest.raises(SyncError) as err:
            upload(a, proxy.url, sha)
    finally:
        proxy.close()
    assert err.value.retryable
    assert server.blob(sha) == data and not done(a, sha)
    assert attempt_marks(a) == [f"attachment_attempt:{sha}"]

    server.requests.clear()
    upload(a, server.url, sha)
    assert attachment_requests(server, sha) == ["HEAD"]
    assert done(a, sha) and attempt_marks(a) == []


def test_photos_that_left_in_a_bundle_are_asked_about_first(tmp_path: Path,
                                                           server: Hub) -> None:
    a = enrolled_tablet(tmp_path, "a", server)
    sha = attachments.add_attachment(a, photo(tmp_path, "house.jpg", 300_000))
    assert export_bundle(a, io.BytesIO()).attachments == 1
    upload(a, server.url, sha)
    assert attachment_requests(server, sha)[0] == "HEAD"
    assert server.blob(sha) is not None and done(a, sha)


def test_an_upload_resumes_after_drops_from_the_first_chunk_on(tmp_path: Path,
                                                              server: Hub) -> None:
    """The link dies during the first (unasked) chunk and later ones: the file arrives
    intact, at most the chunk in flight is sent twice per drop."""
    a = enrolled_tablet(tmp_path, "a", server)
    data = os.urandom(900_000)
    sha = attachments.add_attachment(a, photo(tmp_path, "house.jpg", 0, data))
    proxy = FaultProxy(server.port)
    proxy.faults.cut_after_bytes, proxy.faults.cuts = 60_000, 3
    try:
        result = upload(a, proxy.url, sha)
    finally:
        proxy.close()
    assert proxy.cut_count == 3 and result.drops == 3
    assert server.blob(sha) == data and done(a, sha)
    assert result.bytes_sent <= len(data) + 3 * CHUNK


def test_a_cancelled_sync_sends_nothing(tmp_path: Path, server: Hub) -> None:
    a = enrolled_tablet(tmp_path, "a", server)
    sha = attachments.add_attachment(a, photo(tmp_path, "house.jpg", 300_000))
    row = attachments.pending_uploads(a)[0]
    stop = threading.Event()
    stop.set()
    api = api_for(server.url, a)
    with pytest.raises(SyncCancelled):
        attachments.upload_attachment(a, api, row, cancel=stop)
    api.transport.close()
    assert attachment_requests(server, sha) == [] and attempt_marks(a) == []


def test_another_length_for_the_same_photo_is_refused_not_looped(tmp_path: Path) -> None:
    """The server holds an upload of this hash with another Upload-Length (a broken or
    hostile client): the tablet reports it instead of sending chunks for ever."""
    hub = FlaskHub(tmp_path / "instance")
    try:
        data = os.urandom(300_000)
        sha = hashlib.sha256(data).hexdigest()
        b = enrolled_tablet(tmp_path, "b", hub)
        api = api_for(hub.url, b)
        first = data[:CHUNK]
        assert api.attachment_chunk(sha, 0, len(data) + 1, first,
                                    hashlib.sha256(first).hexdigest()).status == 200
        api.transport.close()
        hub.requests.clear()
        a = enrolled_tablet(tmp_path, "a", hub)
        attachments.add_attachment(a, photo(tmp_path, "a.jpg", 0, data))
        with pytest.raises(SyncError) as err:
            upload(a, hub.url, sha)
        assert err.value.code == "attachment.length_mismatch" and not err.value.retryable
        assert len(attachment_requests(hub, sha)) <= 4
        assert not done(a, sha)
    finally:
        hub.close()
