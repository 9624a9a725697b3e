"""Photos and other files: registered by SHA-256, uploaded in resumable chunks.

A record may reach the server before its photo; the photo follows whenever the link
allows. Each chunk goes with its own SHA-256. A file of which this tablet never sent a
byte (no stored offset, no earlier attempt recorded) starts at offset 0 without asking
first: on a slow link the HEAD is a round trip per photo, and the server rarely has
a new photo already. If it does (a hub or a bundle brought it, or an earlier answer
was lost), it answers 409 with its `Upload-Offset` and the upload goes on from there,
or is finished if the server has the whole file. Otherwise the upload resumes from
the offset the server reports (HEAD), and after a dropped connection asks the offset
again, so at most the chunk that was in flight is sent twice.
"""

from __future__ import annotations

import hashlib
import io
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from client.errors import SyncCancelled, SyncError
from client.uploads import offset_after
from field_app.core import photos

if TYPE_CHECKING:
    from client.api import SyncApi
    from field_app.core.store import Store

DEFAULT_CHUNK = 256 * 1024
#: How a photo or file sealed on an encrypted tablet starts (then `vault.Cipher` bytes).
#: It keeps its name (the record's answer); only this app can read its content.
SEALED_FILE = b"HESABU-SEALED\x01"

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
    """Register a file (by content) for upload; returns its SHA-256. On an encrypted
    store the file (and a photo's thumbnail) is sealed in place."""
    path = Path(path)
    if store.encrypted:
        data = file_bytes(store, path)
        sha, size = hashlib.sha256(data).hexdigest(), len(data)
    else:
        sha, size = file_sha256(path)
    with store.transaction() as db:
        db.execute(
            "INSERT INTO attachments (sha256, path, size, record_id, created_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING",
            [sha, str(path), size, record_id, store.now()])
    seal_file(store, path)
    seal_file(store, photos.thumbnail_path(path))
    return sha


def file_bytes(store: Store, path: str | Path) -> bytes:
    """A registered file's content, unsealed if the tablet sealed it."""
    data = Path(path).read_bytes()
    if data.startswith(SEALED_FILE):
        return store.unseal_bytes(data[len(SEALED_FILE):])
    return data


def _write_sealed(store: Store, path: Path, data: bytes) -> None:
    """Write `data` sealed at `path` through a temporary file (a crash leaves the old
    file or the new one)."""
    tmp = path.with_name(f".{path.name}.sealing")
    with tmp.open("wb") as f:
        f.write(SEALED_FILE + store.seal_bytes(data))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _sealed(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(len(SEALED_FILE)) == SEALED_FILE


def seal_file(store: Store, path: Path) -> bool:
    """Encrypt a file in place when the store is encrypted (once; missing: nothing);
    True if it sealed it now."""
    if not store.encrypted or not path.exists() or _sealed(path):
        return False
    _write_sealed(store, path, path.read_bytes())
    return True


def seal_files(store: Store) -> int:
    """Seal every registered file (and thumbnail) still in clear: when a store with
    photos is encrypted. Returns how many files it sealed."""
    return sum(seal_file(store, path) for row in store.query("SELECT path FROM attachments")
               for path in (Path(row["path"]), photos.thumbnail_path(row["path"])))


def thumbnail_bytes(store: Store, path: str | Path) -> bytes:
    """The JPEG thumbnail of a stored photo, made (and kept, sealed like the photo)
    if missing. Raises photos.PhotoError when the photo cannot be read."""
    thumb = photos.thumbnail_path(path)
    if thumb.exists():
        return file_bytes(store, thumb)
    try:
        data = photos.thumbnail_jpeg(file_bytes(store, path), Path(path).name)
    except OSError as exc:
        raise photos.PhotoError(str(exc)) from exc
    if store.encrypted:
        _write_sealed(store, thumb, data)
    else:  # a crash leaves no half thumbnail that would be taken as made
        photos.write_atomically(thumb, lambda f: f.write(data))
    return data


def pending_uploads(store: Store) -> list[dict]:
    return store.query("SELECT * FROM attachments WHERE uploaded_at IS NULL ORDER BY created_at")


_ATTEMPT = "attachment_attempt:"  # settings key prefix, + sha256


def _attempt_key(sha: str) -> str:
    return _ATTEMPT + sha


def note_attempts(store: Store, shas: list[str]) -> None:
    """Record that these files may have reached the server (a chunk was sent, a bundle
    carried them): their next upload asks the offset (HEAD) before sending."""
    with store.transaction() as db:
        for sha in shas:
            db.execute("INSERT INTO settings (key, value) VALUES (?, 'true') "
                       "ON CONFLICT (key) DO NOTHING", [_attempt_key(sha)])
        # Files finished another way (a bundle's return acks them) need no mark.
        db.execute("DELETE FROM settings WHERE key LIKE ? AND substr(key, ?) IN "
                   "(SELECT sha256 FROM attachments WHERE uploaded_at IS NOT NULL)",
                   [_ATTEMPT + "%", len(_ATTEMPT) + 1])


def _attempted(store: Store, sha: str) -> bool:
    return bool(store.query("SELECT 1 FROM settings WHERE key = ?", [_attempt_key(sha)]))


def _save_offset(store: Store, sha: str, offset: int, done: bool) -> None:
    with store.transaction() as db:
        # max(): the recorded offset only grows, whatever order answers come in.
        db.execute("UPDATE attachments SET uploaded_offset = max(uploaded_offset, ?), "
                   "uploaded_at = CASE WHEN ? THEN ? ELSE uploaded_at END WHERE sha256 = ?",
                   [offset, done, store.now(), sha])
        if done:
            db.execute("DELETE FROM settings WHERE key = ?", [_attempt_key(sha)])


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
    if cancel is not None and cancel.is_set():
        raise SyncCancelled()
    if row.get("uploaded_offset") == 0 and not _attempted(store, sha):
        # Never sent a byte of it: send the first chunk at once (a 409 says otherwise).
        note_attempts(store, [sha])
        offset = 0
    else:
        offset = api.attachment_offset(sha)
    chunks = sent = drops = 0
    with (io.BytesIO(file_bytes(store, path)) if store.encrypted else path.open("rb")) as f:
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
            offset = offset_after(api, sha, offset, len(chunk), resp, path)
            _save_offset(store, sha, offset, offset >= size)
            if progress is not None:
                progress(min(offset, size), size)
    _save_offset(store, sha, size, True)
    return UploadResult(sha, size, chunks, sent, drops)


def file_for(store: Store, record_id: str, name: str | None) -> Path | None:
    """The file on this tablet that a record's photo/file answer `name` stands for (the
    newest registered with that name), or None if it is not here (another tablet's)."""
    if not name:
        return None
    rows = store.query("SELECT path FROM attachments WHERE record_id = ? ORDER BY created_at "
                       "DESC", [record_id])
    for row in rows:
        path = Path(row["path"])
        if path.name == name and path.exists():
            return path
    return None
