"""Resumable, checksummed attachment uploads over a real HTTP server."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from server_harness import Device, HttpClient, LiveServer, table_counts
from waitress_loop import waitress_thread

from client.api import SyncApi
from client.transport import HttpTransport

PHOTO = os.urandom(300_000)  # a small photo's worth of incompressible bytes
SHA = hashlib.sha256(PHOTO).hexdigest()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def patch(client: HttpClient, digest: str, offset: int, chunk: bytes, length: int | None,
          checksum: str | None = None) -> Any:
    headers = {"Upload-Offset": str(offset), "Chunk-SHA256": checksum or sha(chunk),
               "Content-Type": "application/offset+octet-stream"}
    if length is not None:
        headers["Upload-Length"] = str(length)
    return client.request("PATCH", f"/api/attachments/{digest}", chunk, headers)


def head_offset(client: HttpClient, digest: str) -> int:
    reply = client.request("HEAD", f"/api/attachments/{digest}")
    assert reply.status == 200
    return int(reply.headers["upload-offset"])


@pytest.fixture
def client(live: LiveServer, tablet: Device) -> HttpClient:
    return HttpClient(live.port, tablet.token)


def test_a_photo_uploads_in_chunks_resumes_and_downloads(app: Flask, client: HttpClient) -> None:
    assert head_offset(client, SHA) == 0
    step = 64 * 1024
    for start in range(0, 2 * step, step):
        reply = patch(client, SHA, start, PHOTO[start:start + step], len(PHOTO))
        assert reply.status == 200
        assert reply.headers["upload-offset"] == str(start + step)
    # The connection drops; the device asks where to resume and carries on.
    offset = head_offset(client, SHA)
    assert offset == 2 * step
    reply = patch(client, SHA, offset, PHOTO[offset:], None)
    assert reply.status == 200 and reply.headers["upload-complete"] == "1"
    head = client.request("HEAD", f"/api/attachments/{SHA}")
    assert head.headers["upload-offset"] == str(len(PHOTO))
    assert head.headers["upload-complete"] == "1"

    download = client.request("GET", f"/api/attachments/{SHA}")
    assert download.status == 200 and download.body == PHOTO
    stored = Path(app.instance_path) / "attachments" / SHA[:2] / SHA
    assert stored.read_bytes() == PHOTO
    assert not list((Path(app.instance_path) / "attachments" / "parts").iterdir())


def test_a_chunk_at_the_wrong_offset_is_a_409_with_the_offset(client: HttpClient) -> None:
    patch(client, SHA, 0, PHOTO[:1000], len(PHOTO))
    reply = patch(client, SHA, 5000, PHOTO[5000:6000], len(PHOTO))
    assert reply.status == 409
    error = reply.json()["error"]
    assert error["code"] == "attachment.offset_mismatch"
    assert error["details"]["offset"] == 1000 and reply.headers["upload-offset"] == "1000"
    again = patch(client, SHA, 0, PHOTO[:1000], len(PHOTO))  # a resent first chunk
    assert again.status == 409
    assert head_offset(client, SHA) == 1000


def test_a_first_chunk_of_a_complete_file_is_a_409_with_its_size(app: Flask,
                                                                 client: HttpClient) -> None:
    """Tablets send a new photo's first chunk without asking (HEAD) first: for a file
    the server already has, the 409's Upload-Offset (= its size) ends the upload."""
    assert patch(client, SHA, 0, PHOTO, len(PHOTO)).status == 200
    stored = Path(app.instance_path) / "attachments" / SHA[:2] / SHA
    before = stored.stat().st_mtime_ns
    reply = patch(client, SHA, 0, PHOTO[:64 * 1024], len(PHOTO))
    assert reply.status == 409
    assert reply.json()["error"]["code"] == "attachment.offset_mismatch"
    assert reply.headers["upload-offset"] == str(len(PHOTO))
    assert stored.read_bytes() == PHOTO and stored.stat().st_mtime_ns == before


def test_photo_chunks_keep_the_connection_open_on_waitress(app: Flask,
                                                          tablet: Device) -> None:
    """`hesabu serve` runs on waitress, which closes the connection after any answer
    without a Content-Length (a 204 may not have one): chunks answer 200 with an empty
    body, so a tablet's photo upload is one connection, not a handshake per chunk."""
    ports: list[str] = []

    def counting(environ: dict, start_response: Any) -> Any:
        ports.append(environ["REMOTE_PORT"])
        return app(environ, start_response)

    with waitress_thread(counting) as port:
        api = SyncApi(HttpTransport(f"http://127.0.0.1:{port}", tablet.token, timeout_s=10))
        try:
            step = 100_000
            for start in range(0, len(PHOTO), step):
                chunk = PHOTO[start:start + step]
                reply = api.attachment_chunk(SHA, start, len(PHOTO), chunk, sha(chunk))
                assert reply.status == 200 and reply.headers["content-length"] == "0"
                assert reply.headers["upload-offset"] == str(start + len(chunk))
            assert api.attachment_offset(SHA) == len(PHOTO)
        finally:
            api.transport.close()
    assert len(ports) == 4 and len(set(ports)) == 1, ports


def test_a_chunk_that_fails_its_checksum_writes_nothing(app: Flask, client: HttpClient) -> None:
    patch(client, SHA, 0, PHOTO[:1000], len(PHOTO))
    before = table_counts(app)
    damaged = bytes([PHOTO[1000] ^ 0xFF]) + PHOTO[1001:2000]
    reply = patch(client, SHA, 1000, damaged, len(PHOTO), checksum=sha(PHOTO[1000:2000]))
    assert reply.status == 400
    assert reply.json()["error"]["code"] == "attachment.chunk_checksum"
    assert head_offset(client, SHA) == 1000
    assert table_counts(app) == before


def test_a_file_that_does_not_hash_to_its_id_is_discarded(app: Flask,
                                                          client: HttpClient) -> None:
    wrong = b"not the photo the record points at"
    digest = sha(b"the real photo")
    reply = patch(client, digest, 0, wrong, len(wrong))
    assert reply.status == 422
    error = reply.json()["error"]
    assert error["code"] == "attachment.checksum_mismatch"
    assert error["details"]["offset"] == 0
    assert head_offset(client, digest) == 0
    assert client.request("GET", f"/api/attachments/{digest}").status == 404
    assert not (Path(app.instance_path) / "attachments" / digest[:2] / digest).exists()


def test_downloading_an_unfinished_upload_says_so(client: HttpClient) -> None:
    patch(client, SHA, 0, PHOTO[:10], len(PHOTO))
    reply = client.request("GET", f"/api/attachments/{SHA}")
    assert reply.status == 404
    assert reply.json()["error"]["code"] == "attachment.incomplete"
    assert reply.json()["error"]["details"]["offset"] == 10


def test_bad_ids_headers_and_sizes(make_app: Any) -> None:
    app = make_app(HESABU_MAX_ATTACHMENT_BYTES=1000)
    from server_harness import enrol_device

    device = enrol_device(app, "tab-x", "x")
    with LiveServer(app) as server:
        client = HttpClient(server.port, device.token)
        assert patch(client, "not-a-hash", 0, b"x", 1).json()["error"]["code"] == \
            "attachment.hash_invalid"
        big = b"x" * 2000
        too_big = patch(client, sha(big), 0, big[:10], len(big))
        assert too_big.status == 413
        assert too_big.json()["error"]["code"] == "attachment.too_large"
        no_length = patch(client, sha(b"abc"), 0, b"abc", None)
        assert no_length.status == 400 and no_length.json()["error"]["code"] == "request.bad"
        patch(client, sha(b"abcdef"), 0, b"abc", 6)
        changed = patch(client, sha(b"abcdef"), 3, b"def", 7)
        assert changed.json()["error"]["code"] == "attachment.length_mismatch"
        past_end = patch(client, sha(b"abcdef"), 3, b"defg", None)
        assert past_end.json()["error"]["code"] == "attachment.length_mismatch"
        no_token = HttpClient(server.port).request("HEAD", f"/api/attachments/{sha(b'x')}")
        assert no_token.status == 401


def test_a_part_file_longer_than_the_committed_offset_is_cut_back(
        app: Flask, client: HttpClient) -> None:
    """A crash after writing a chunk but before committing leaves extra bytes: the next
    chunk at the committed offset overwrites them, and the file still hashes right."""
    patch(client, SHA, 0, PHOTO[:1000], len(PHOTO))
    part = Path(app.instance_path) / "attachments" / "parts" / f"{SHA}.part"
    with open(part, "ab") as fh:
        fh.write(b"garbage from a request that never committed")
    assert patch(client, SHA, 1000, PHOTO[1000:], None).status == 200
    assert client.request("GET", f"/api/attachments/{SHA}").body == PHOTO


def test_two_tablets_uploading_the_same_photo_at_once(app: Flask, live: LiveServer,
                                                      tablet: Device,
                                                      other_tablet: Device) -> None:
    """The same photo attached on two tablets: content addressing makes it one file.
    Each uploader gets 200 or a 409 with the offset to resume from; never a 500."""

    statuses: list[int] = []

    def upload(device: Device) -> None:
        client = HttpClient(live.port, device.token)
        step = 50_000
        for _ in range(100):
            offset = head_offset(client, SHA)
            if offset == len(PHOTO):
                return
            reply = patch(client, SHA, offset, PHOTO[offset:offset + step], len(PHOTO))
            statuses.append(reply.status)

    threads = [threading.Thread(target=upload, args=(d,)) for d in (tablet, other_tablet) * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert set(statuses) <= {200, 409}, statuses
    assert HttpClient(live.port, tablet.token).request(
        "GET", f"/api/attachments/{SHA}").body == PHOTO
