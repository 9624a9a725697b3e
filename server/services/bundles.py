"""USB bundles on the server (or hub): device keys, importing a device bundle through the
same apply path as an HTTP push, and writing the signed return bundle for a device.

The format and its checks are `sync.bundle` (pure); this module supplies the keys,
the database and the files. Importing is all or nothing at the bundle level: nothing
is applied unless the signature and every member check out, and the ops then go
through `push_ops` in one transaction (each op admitted or rejected exactly as if the
tablet had pushed it over HTTP; rejections go back in the return bundle).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from flask import current_app
from sqlalchemy import select, text

from server.errors import ApiError
from server.extensions import begin_write, db
from server.models import Attachment, BundleImport, Device, DeviceKey
from server.models import Op as OpRow
from server.models.attachments import COMPLETE
from server.models.types import utcnow
from server.services import json_read
from server.services.attachments import _final_path
from server.services.clock import server_clock
from server.services.devices import DeviceIdentity
from server.services.forms import form_version
from server.services.id_lists import among
from server.services.permissions import resolve_rejections
from server.services.pull import ChangePage, pull_changes
from server.services.push import gc_paused, push_ops
from server.services.sequence import current_seq
from sync import bundle_crypto
from sync.admission import decode_ops
from sync.bundle import (
    ACKS,
    ATTACHMENT_PREFIX,
    CHANGES,
    DEVICE_BUNDLE,
    FORMAT_UNSUPPORTED,
    FORMS,
    RETURN_BUNDLE,
    WRONG_TARGET,
    BundleError,
    BundleWriter,
    open_bundle,
)
from sync.canonical import canonical_bytes
from sync.codes import BUNDLE_OP_FOREIGN, Rejection
from sync.hlc import wall_clock_ms
from sync.ids import is_uuid7, new_uuid7

KEY_FILE = "bundle_signing_key"
_PULL_PAGE = 1000


# -- keys -----------------------------------------------------------------------------------
def server_private_key() -> str:
    """This server's signing key, made on first use and kept in the instance folder."""
    path = Path(current_app.instance_path) / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".key")
        with os.fdopen(fd, "w") as fh:
            fh.write(bundle_crypto.new_private_key())
        os.chmod(tmp, 0o600)
        try:
            os.link(tmp, path)  # never replaces a key another process just made
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    return path.read_text().strip()


def server_public_key() -> str:
    """The public half devices keep to check return bundles (sent at enrolment)."""
    return bundle_crypto.public_key(server_private_key())


def register_device_key(device_id: str, public_key: str) -> None:
    """Keep the key a device sent at enrolment (a re-enrolled device replaces its key)."""
    if not bundle_crypto.is_public_key(public_key):
        raise ApiError("request.invalid", "public_key must be 64 lowercase hex digits",
                       details={"fields": {"public_key": ["not an Ed25519 public key"]}})
    session = db.session
    begin_write(session)
    row = session.get(DeviceKey, device_id)
    if row is None:
        session.add(DeviceKey(device_id=device_id, public_key=public_key))
    else:
        row.public_key, row.registered_at = public_key, utcnow()
    session.commit()


def device_public_key(device_id: str) -> str | None:
    row = db.session.get(DeviceKey, device_id)
    key = None if row is None else row.public_key
    db.session.rollback()
    return key


# -- import -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ImportResult:
    bundle_id: str
    device_id: str
    ops: int
    acked: tuple[str, ...]
    rejected: tuple[Rejection, ...]
    #: The bundle's files the server holds whole for it (0 if all its ops were refused).
    attachments: int
    already_imported: bool
    server_seq: int

    def to_wire(self) -> dict[str, Any]:
        return {"bundle_id": self.bundle_id, "device_id": self.device_id, "ops": self.ops,
                "acked": len(self.acked), "rejected": [r.to_wire() for r in self.rejected],
                "attachments": self.attachments, "already_imported": self.already_imported,
                "server_seq": self.server_seq}


def _device_key_for(manifest: dict[str, Any]) -> str | None:
    if manifest.get("kind") != DEVICE_BUNDLE:
        raise BundleError(WRONG_TARGET, f"this is a {manifest.get('kind')!r} bundle; a server "
                                        "imports bundles written by devices")
    source = manifest.get("source")
    return device_public_key(source) if isinstance(source, str) else None


def import_bundle(src: IO[bytes]) -> ImportResult:
    """Verify a device bundle completely, then apply it like a push from that device.

    A bundle is identified by (signer, bundle id): the same id signed by another
    device is another import, never a replay of this one. Raises BundleError (nothing
    applied) for any problem with the file, ApiError if the device was revoked.
    Importing the same bundle again acks the same ops and changes nothing.
    """
    with open_bundle(src, _device_key_for) as bundle:
        device_id = bundle.source
        session = db.session
        device = session.get(Device, device_id)
        revoked = device is None or device.revoked
        session.rollback()
        if revoked:
            raise ApiError("auth.device_revoked", f"device {device_id} is revoked or unknown")
        bundle_id = bundle.manifest.get("bundle_id")
        if not is_uuid7(bundle_id):
            raise BundleError(FORMAT_UNSUPPORTED, "the manifest's bundle_id is not a UUIDv7")
        with gc_paused():  # the ops are thousands of small objects: see gc_paused
            wire = bundle.ops_wire(json_read.loads)
            shas = [name[len(ATTACHMENT_PREFIX):] for name in bundle.names(ATTACHMENT_PREFIX)]
            replay = _replay(bundle_id, device_id, wire, shas)
            if replay is not None:
                return replay
            ops, invalid = decode_ops(wire)
            # Only the signer's own ops: a hub relays over HTTP, never inside a bundle.
            foreign = [Rejection.of(op.op_id, BUNDLE_OP_FOREIGN,
                                    f"op {op.op_id} was written by {op.device_id}, not by "
                                    f"{device_id}, who signed the bundle")
                       for op in ops if op.device_id != device_id]
            ops = [op for op in ops if op.device_id == device_id]
            ops, unresolvable = resolve_rejections(device_id, ops)
            result = push_ops(device_id, ops, invalid=[*invalid, *foreign, *unresolvable],
                              now_ms=wall_clock_ms(),
                              max_drift_ms=int(current_app.config["HESABU_MAX_CLOCK_DRIFT_MS"]))
        server_clock().receive(list(result.applied_hlcs))
        # The files travel with the ops: a bundle none of whose ops was accepted stores
        # none (nor credits them to its signer). One without ops may carry the photos
        # of ops sent before (over HTTP, say).
        if result.acked or not wire:
            held = _complete_files(shas)
            store_complete_files(Path(current_app.instance_path), [
                (sha, lambda sha=sha: bundle.read(ATTACHMENT_PREFIX + sha))
                for sha in shas if sha not in held], device_id)
        cursor = bundle.manifest.get("cursor", 0)
        already = _record_import(bundle_id, device_id, len(wire), len(shas),
                                 cursor if isinstance(cursor, int) and cursor >= 0 else 0,
                                 result.rejected)
    return ImportResult(bundle_id, device_id, len(wire), result.acked, result.rejected,
                        _files_kept(shas, wire, result.acked), already, result.server_seq)


def _files_kept(shas: list[str], wire: list[Any], acked: tuple[str, ...]) -> int:
    """How many of the bundle's files the server holds whole for it (none when all its
    ops were refused)."""
    return len(_complete_files(shas)) if acked or not wire else 0


def _import_key(device_id: str, bundle_id: str) -> dict[str, str]:
    return {"device_id": device_id, "bundle_id": bundle_id}


def _replay(bundle_id: str, device_id: str, wire: list[Any], shas: list[str]
            ) -> ImportResult | None:
    """The answer to a bundle this device imported before, without applying anything
    again; None if it was not imported, or if some of its ops were refused "for now"
    (they may pass now, so the import runs again)."""
    session = db.session
    previous = session.get(BundleImport, _import_key(device_id, bundle_id))
    if previous is None or any(r.get("retryable") for r in previous.rejected):
        session.rollback()
        return None
    rejected = tuple(Rejection.from_wire(r) for r in previous.rejected)
    ids = [op["op_id"] for op in wire if isinstance(op, dict) and isinstance(op.get("op_id"), str)]
    held: set[str] = set()
    for where in among(OpRow.op_id, ids):
        # Ops this device wrote: the same id held from another device is not its ack.
        held.update(session.execute(select(OpRow.op_id).where(
            where, OpRow.device_id == device_id)).scalars())
    top = current_seq(session)
    session.rollback()
    acked = tuple(i for i in ids if i in held)
    return ImportResult(bundle_id, device_id, len(wire), acked, rejected,
                        _files_kept(shas, wire, acked), True, top)


def _complete_files(shas: list[str]) -> set[str]:
    """Which of these attachments this server already holds whole (not read again)."""
    found: set[str] = set()
    for where in among(Attachment.sha256, shas):
        found.update(db.session.execute(select(Attachment.sha256).where(
            where, Attachment.status == COMPLETE)).scalars())
    db.session.rollback()
    return found


def _record_import(bundle_id: str, device_id: str, ops: int, files: int, cursor: int,
                   rejected: tuple[Rejection, ...]) -> bool:
    """Remember the import; True if this device's bundle had been imported before."""
    session = db.session
    begin_write(session)
    previous = session.get(BundleImport, _import_key(device_id, bundle_id))
    if previous is not None:  # imported again after a "not now" refusal
        previous.rejected = [r.to_wire() for r in rejected]
        session.commit()
        return True
    session.add(BundleImport(bundle_id=bundle_id, device_id=device_id, ops=ops,
                             attachments=files, cursor=cursor,
                             rejected=[r.to_wire() for r in rejected]))
    session.commit()
    return False


def store_complete_files(root: Path, files: list[tuple[str, Callable[[], bytes]]],
                         device_id: str, per_commit: int = 100) -> int:
    """Keep whole, already verified files (sha256, read) as complete attachments, a
    hundred per transaction; returns how many were new. An upload in progress over HTTP
    is completed by it."""
    stored = 0
    for start in range(0, len(files), per_commit):
        session = db.session
        begin_write(session)
        try:
            for sha256, read in files[start:start + per_commit]:
                if session.get_bind().dialect.name == "postgresql":
                    # As in attachments.write_chunk: serialise with a concurrent upload.
                    session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:sha))"),
                                    {"sha": sha256})
                row = session.get(Attachment, sha256, with_for_update=True)
                if row is not None and row.status == COMPLETE:
                    continue
                data = read()
                _write_file(root / _final_path(sha256), data)
                if row is None:
                    row = Attachment(sha256=sha256, size=len(data),
                                     storage_path=_final_path(sha256), uploaded_by=device_id)
                    session.add(row)
                row.size, row.received, row.status, row.completed_at = len(data), len(data), \
                    COMPLETE, utcnow()
                stored += 1
            session.commit()
        except BaseException:
            session.rollback()
            raise
    return stored


def _write_file(final: Path, data: bytes) -> None:
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=final.parent, prefix=".bundle")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, final)


# -- return bundle ---------------------------------------------------------------------------------
def write_return_bundle(device_id: str, out: IO[bytes], *, cursor: int | None = None,
                        in_reply_to: str | None = None) -> dict[str, Any]:
    """Write the signed answer for `device_id`: every op of it this server holds (acks),
    the rejections of its last imported bundle (or of its bundle `in_reply_to`: only
    ever a bundle it signed), its complete attachments, and every
    change it would pull after `cursor` (default: the cursor its last bundle carried),
    with the specs of the forms those changes announce. Returns the manifest."""
    session = db.session
    device = session.get(Device, device_id)
    if device is None:
        session.rollback()
        raise ApiError("request.not_found", f"no device {device_id!r} is enrolled here")
    identity = DeviceIdentity(device.id, device.name)
    if in_reply_to is None:
        last = session.execute(
            select(BundleImport).where(BundleImport.device_id == device_id)
            .order_by(BundleImport.imported_at.desc()).limit(1)).scalar_one_or_none()
    else:  # only this device's own import: never another signer's with the same id
        last = session.get(BundleImport, _import_key(device_id, in_reply_to))
        if last is None:
            session.rollback()
            raise ApiError("request.not_found", f"device {device_id!r} has no bundle "
                                                f"{in_reply_to!r} imported here")
    rejected = list(last.rejected) if last is not None else []
    if cursor is None:
        cursor = last.cursor if last is not None else 0
    acked = list(session.execute(select(OpRow.op_id).where(OpRow.device_id == device_id)
                                 .order_by(OpRow.server_seq)).scalars())
    files = list(session.execute(select(Attachment.sha256).where(
        Attachment.uploaded_by == device_id, Attachment.status == COMPLETE)
        .order_by(Attachment.sha256)).scalars())
    session.rollback()
    # The changes go into the zip page by page as they are pulled (a tablet away for
    # months has tens of thousands); only the ids of the forms they announce are kept.
    # The first page is pulled before anything is written (a refused cursor restarts).
    start, pages = _pull_pages(identity, cursor)
    writer = BundleWriter(out)
    writer.add(ACKS, _json({"acked": acked, "rejected": rejected, "attachments": files}))
    pulled = _PulledChanges(start)
    writer.add_stream(CHANGES, pulled.member(pages))
    specs = []
    for form_id, version in pulled.forms:
        found = form_version(form_id, version)
        if found is not None:
            specs.append(found["spec"])
    writer.add(FORMS, _json({"forms": specs}))
    key = server_private_key()
    return writer.finish({
        "kind": RETURN_BUNDLE, "bundle_id": new_uuid7(),
        "source": str(current_app.config.get("HESABU_NODE_ID", "server")),
        "source_key": bundle_crypto.public_key(key),
        "target": device_id, "in_reply_to": in_reply_to or (last.bundle_id if last else None),
        "server_hlc": server_clock().now(), "acked": len(acked), "changes": pulled.count,
        "from_cursor": start, "next_cursor": pulled.next_cursor,
    }, lambda data: bundle_crypto.sign(key, data))


def _pull_pages(device: DeviceIdentity, cursor: int) -> tuple[int, Iterator[ChangePage]]:
    """(the cursor pulled from, the pages of every change after it): restarting at 0 if
    `cursor` is from elsewhere. The first page is pulled now, the others as they are
    read."""
    try:
        first = pull_changes(device, cursor, _PULL_PAGE, with_records=False)
    except ApiError as exc:
        if exc.code != "sync.cursor_invalid":
            raise
        cursor = 0
        first = pull_changes(device, cursor, _PULL_PAGE, with_records=False)

    def pages(page: ChangePage) -> Iterator[ChangePage]:
        yield page
        while page.has_more:
            page = pull_changes(device, page.next_cursor, _PULL_PAGE, with_records=False)
            yield page

    return cursor, pages(first)


class _PulledChanges:
    """changes.json written piece by piece: the same bytes as
    `_json({"changes": [...], "from_cursor": start, "next_cursor": end})` (canonical JSON:
    the keys sort in that order, so the cursor known only at the end comes last). Counts
    the changes and notes the forms they announce on the way."""

    def __init__(self, start: int) -> None:
        self.start = start
        self.next_cursor = start
        self.count = 0
        self.forms: list[tuple[str, str]] = []

    def member(self, pages: Iterator[ChangePage]) -> Iterator[bytes]:
        yield b'{"changes":['
        for page in pages:
            parts = []
            for change in page.changes:
                if change.get("type") == "form":
                    self.forms.append((str(change["form_id"]), str(change["version"])))
                parts.append(_json(change))
            if parts:
                yield (b"," if self.count else b"") + b",".join(parts)
                self.count += len(parts)
            self.next_cursor = page.next_cursor
        yield b'],"from_cursor":' + _json(self.start) + b',"next_cursor":' + \
            _json(self.next_cursor) + b"}"


def _json(value: Any) -> bytes:
    return canonical_bytes(value)
