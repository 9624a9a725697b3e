"""Photos and other files: registered by SHA-256, uploaded in resumable chunks.

A record may reach the server before its photo; the photo follows whenever the link
allows. Upload resumes from the offset the server reports (HEAD), sends each chunk
with its own SHA-256, and after a dropped connection asks the offset again, so at
most the chunk that was in flight is sent twice.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from field_app.core.errors import SyncCancelled, SyncError

if TYPE_CHECKING:
    from field_app.core.api import SyncApi
    from field_app.core.store import Store

DEFAULT_CHUNK = 256 * 1024
#: Drops tolerated for one file in one sync before giving up until the next sync.
MAX_DROPS_PER_FILE = 20


@dataclass(frozen=True)
class UploadResult:
    sha256: str
    size: int
    chunks_sent: int
    bytes_sent: int
    drops: int


def file_sha256(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def add_attachment(store: Store, path: str | Path, record_id: str | None = None) -> str:
    """Register a file (by content) for upload; returns its SHA-256."""
    path = Path(path)
    sha, size = file_sha256(path)
    with store.transaction() as db:
        db.execute(
            "INSERT INTO attachments (sha256, path, size, record_id, created_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING",
            [sha, str(path), size, record_id, store.now()])
    return sha


def pending_uploads(store: Store) -> list[dict]:
    return store.query("SELECT * FROM attachments WHERE uploaded_at IS NULL ORDER BY created_at")


def _save_offset(store: Store, sha: str, offset: int, done: bool) -> None:
    with store.transaction() as db:
        # max(): the recorded offset only grows, whatever order answers come in.
        db.execute("UPDATE attachments SET uploaded_offset = max(uploaded_offset, ?), "
                   "uploaded_at = CASE WHEN ? THEN ? ELSE uploaded_at END WHERE sha256 = ?",
                   [offset, done, store.now(), sha])


def upload_attachment(
    store: Store,
    api: SyncApi,
    row: dict,
    *,
    chunk_size: int = DEFAULT_CHUNK,
    cancel: threading.Event | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> UploadResult:
    """Upload one registered file, resuming where the server says it stopped."""
    sha, size, path = row["sha256"], int(row["size"]), Path(row["path"])
    offset = api.attachment_offset(sha)
    chunks = sent = drops = 0
    with path.open("rb") as f:
        while offset < size:
            if cancel is not None and cancel.is_set():
                raise SyncCancelled()
            f.seek(offset)
            chunk = f.read(chunk_size)
            if not chunk:
                raise SyncError(f"{path} is shorter than when it was added; "
                                "the photo changed on the tablet.", code="attachment.changed")
            try:
                resp = api.attachment_chunk(sha, offset, size, chunk,
                                            hashlib.sha256(chunk).hexdigest())
            except SyncError as exc:
                if not exc.retryable:
                    raise
                drops += 1
                if drops > MAX_DROPS_PER_FILE:
                    raise
                api.transport.pause(min(drops, 5))
                offset = api.attachment_offset(sha)  # HEAD is retried by the transport
                _save_offset(store, sha, offset, offset >= size)
                continue
            chunks += 1
            sent += len(chunk)
            if resp.status == 409:
                offset = api.attachment_offset(sha)
            else:
                offset = int(resp.headers.get("upload-offset", offset + len(chunk)))
            _save_offset(store, sha, offset, offset >= size)
            if progress is not None:
                progress(min(offset, size), size)
    _save_offset(store, sha, size, True)
    return UploadResult(sha, size, chunks, sent, drops)
