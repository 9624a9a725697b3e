"""Resumable, checksummed, content-addressed attachment uploads.

A device sends a file in chunks: each PATCH says where it starts (`Upload-Offset`,
which must equal the bytes already received) and carries the chunk's SHA-256. Bytes
go to a part file (fsynced before the received count is committed); when the last
byte arrives the whole file must hash to its id, then it is renamed into place
atomically. A file that does not match is discarded and the upload starts again at 0.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Text, cast, select, text
from sqlalchemy.orm import Session

from server.errors import ApiError
from server.extensions import begin_write, db
from server.models import Attachment, DeviceAccount
from server.models import Op as OpRow
from server.models.attachments import COMPLETE, UPLOADING
from server.models.types import utcnow
from server.services.scoping import device_record_ids

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_BLOCK = 1024 * 1024


@dataclass(frozen=True)
class UploadState:
    """How far an upload has come: `size` is None before the first chunk."""

    sha256: str
    received: int
    size: int | None
    complete: bool


def check_hash(sha256: str) -> None:
    if not SHA256_RE.match(sha256):
        raise ApiError("attachment.hash_invalid",
                       "the attachment id must be its SHA-256 as 64 lowercase hex digits")


def _final_path(sha256: str) -> str:
    return f"attachments/{sha256[:2]}/{sha256}"


def _part_path(root: Path, sha256: str) -> Path:
    return root / "attachments" / "parts" / f"{sha256}.part"


def may_read(sha256: str, device_id: str) -> bool:
    """Whether device `device_id` may see file `sha256` (or learn that the server has
    it): it uploaded the file, or it may pull a record whose ops name the file in
    `meta.attachments`, or it pulls everything (a device enrolled without a federation:
    `hesabu server enrol-code`, a hub linked that way). Photos of households are
    personal data: a device of another federation must not read them (issue 14).

    A file is named in ops by its SHA-256, so the references are found in the ops' text
    (a scan of the op log; only downloads and HEAD ask, uploads of one's own files
    answer from the first lookup). Runs its own read and ends it."""
    session = db.session
    try:
        row = session.get(Attachment, sha256)
        if row is not None and row.uploaded_by == device_id:
            return True
        account = session.get(DeviceAccount, device_id)
        if account is None:
            return True
        visible = device_record_ids(device_id).scalar_subquery()
        return session.execute(
            select(OpRow.record_id).where(cast(OpRow.payload, Text).contains(sha256),
                                          OpRow.record_id.in_(visible)).limit(1)
        ).first() is not None
    finally:
        session.rollback()


def upload_state(sha256: str, device_id: str) -> UploadState:
    """How far the upload of `sha256` is, as `device_id` may know it: a file it may not
    see (may_read) looks exactly like a file the server never saw."""
    check_hash(sha256)
    if not may_read(sha256, device_id):
        return UploadState(sha256, 0, None, False)
    row = db.session.get(Attachment, sha256)
    state = (UploadState(sha256, 0, None, False) if row is None else
             UploadState(sha256, row.received, row.size, row.status == COMPLETE))
    db.session.rollback()
    return state


def complete_file(root: Path, sha256: str, device_id: str | None = None) -> Path | None:
    """The stored file of a complete attachment; None if absent or not `device_id`'s to
    see (the same answer, so that nobody learns what exists), ApiError if partial.
    Without `device_id`: the server's own look (no visibility check)."""
    check_hash(sha256)
    if device_id is not None and not may_read(sha256, device_id):
        return None
    row = db.session.get(Attachment, sha256)
    found = None if row is None else (row.status, row.received, row.size, row.storage_path)
    db.session.rollback()
    if found is None:
        return None
    status, received, size, storage_path = found
    if status != COMPLETE:
        raise ApiError("attachment.incomplete",
                       f"attachment {sha256} has {received} of {size} bytes so far",
                       details={"offset": received, "length": size})
    return root / storage_path


def write_chunk(root: Path, device_id: str, sha256: str, offset: int, length: int | None,
                chunk: bytes, chunk_sha256: str, max_bytes: int) -> UploadState:
    """Append `chunk` at `offset` of the upload of `sha256` (total `length` bytes)."""
    check_hash(sha256)
    if hashlib.sha256(chunk).hexdigest() != chunk_sha256.lower():
        raise ApiError("attachment.chunk_checksum",
                       "the chunk does not match its Chunk-SHA256; send it again",
                       details={"offset": offset})
    session = db.session
    begin_write(session)
    try:
        if session.get_bind().dialect.name == "postgresql":
            # Row locks cannot cover a row that does not exist yet: two first chunks of
            # the same file would both insert. A lock on the hash serialises them.
            session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:sha))"),
                            {"sha": sha256})
        row = session.get(Attachment, sha256, with_for_update=True)
        if row is None:
            row = _start(session, device_id, sha256, length, max_bytes)
        elif length is not None and length != row.size:
            raise ApiError("attachment.length_mismatch",
                           f"this upload was started with Upload-Length {row.size}",
                           details={"length": row.size})
        part = _part_path(root, sha256)
        if row.status == UPLOADING:
            _reconcile(row, part)
        if row.status == COMPLETE or offset != row.received:
            raise _offset_mismatch(row)
        if row.received + len(chunk) > row.size:
            raise ApiError("attachment.length_mismatch",
                           f"the chunk ends at {row.received + len(chunk)}, past the "
                           f"Upload-Length {row.size}", details={"length": row.size})
        _append(part, row.received, chunk)
        row.received += len(chunk)
        if row.received == row.size:
            if _file_sha256(part) != sha256:
                part.unlink(missing_ok=True)
                if row in session.new:  # the whole file came in one chunk
                    session.expunge(row)
                else:
                    session.delete(row)
                session.commit()
                raise ApiError("attachment.checksum_mismatch",
                               "the uploaded bytes do not hash to the attachment id; the "
                               "upload was discarded, start again at offset 0",
                               details={"offset": 0})
            final = root / row.storage_path
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(part, final)
            _fsync_dir(final.parent)
            row.status, row.completed_at = COMPLETE, utcnow()
        state = UploadState(sha256, row.received, row.size, row.status == COMPLETE)
        session.commit()
        return state
    except BaseException:
        session.rollback()
        raise


def _start(session: Session, device_id: str, sha256: str, length: int | None,
           max_bytes: int) -> Attachment:
    if length is None:
        raise ApiError("request.bad", "the first chunk of an upload needs Upload-Length")
    if length > max_bytes:
        raise ApiError("attachment.too_large",
                       f"attachments may be at most {max_bytes} bytes, this one is {length}",
                       details={"max_bytes": max_bytes})
    row = Attachment(sha256=sha256, size=length, received=0, status=UPLOADING,
                     storage_path=_final_path(sha256), uploaded_by=device_id)
    session.add(row)
    return row


def _offset_mismatch(row: Attachment) -> ApiError:
    return ApiError("attachment.offset_mismatch",
                    f"the upload is at offset {row.received}; send the chunk that starts there",
                    details={"offset": row.received, "length": row.size},
                    headers={"Upload-Offset": str(row.received)})


def _reconcile(row: Attachment, part: Path) -> None:
    """After a crash the part file may be shorter than the committed count: trust the
    bytes on disk (the client is then told the true offset and resends)."""
    on_disk = part.stat().st_size if part.exists() else 0
    if on_disk < row.received:
        row.received = on_disk


def _append(part: Path, offset: int, chunk: bytes) -> None:
    part.parent.mkdir(parents=True, exist_ok=True)
    with open(part, "r+b" if part.exists() else "w+b") as fh:
        # Bytes past the committed offset are from a request that failed before commit.
        fh.truncate(offset)
        fh.seek(offset)
        fh.write(chunk)
        fh.flush()
        os.fsync(fh.fileno())


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
