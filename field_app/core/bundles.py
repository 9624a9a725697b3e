"""USB bundles on the tablet: export the unsent ops and photos as one signed file, and
import the server's signed return bundle. The format is `sync.bundle`.

    result = export_bundle_file(store, "/media/usb/tab-07.hesabu")
    answer = import_return_file(store, "/media/usb/tab-07-return.hesabu")

The device's Ed25519 key is made on first use (at enrolment, which registers its public
half with the server) and kept in the store's settings; the server's public key comes
back in the enrolment answer. Exported ops stay in the outbox until a return bundle (or
an HTTP sync) acknowledges them, so a lost stick loses nothing: export again.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from field_app.core import inbox, outbox
from field_app.core.attachments import file_bytes, note_attempts, pending_uploads
from sync import bundle_crypto
from sync.bundle import (
    ACKS,
    ATTACHMENT_PREFIX,
    CHANGES,
    DEVICE_BUNDLE,
    FORMS,
    KEY_UNKNOWN,
    OPS,
    RETURN_BUNDLE,
    WRONG_TARGET,
    BundleError,
    BundleWriter,
    form_versions,
    op_range,
    open_bundle,
    sha256_hex,
)
from sync.codes import Rejection
from sync.ids import new_uuid7
from sync.messages import BodyError, PullPage

if TYPE_CHECKING:
    from field_app.core.store import Store

KEY_SETTING = "bundle_private_key"
SERVER_KEY_SETTING = "bundle_server_key"
#: The file name a tablet suggests for its bundle.
SUFFIX = ".hesabu"


def device_private_key(store: Store) -> str:
    key = store.get_setting(KEY_SETTING)
    if not key:
        key = bundle_crypto.new_private_key()
        store.set_setting(KEY_SETTING, key)
    return str(key)


def device_public_key(store: Store) -> str:
    """This tablet's public key (made on first use); sent with the enrolment request."""
    return bundle_crypto.public_key(device_private_key(store))


def remember_server_key(store: Store, key: str | None) -> None:
    """Keep the server's public key from the enrolment answer (checks return bundles)."""
    if bundle_crypto.is_public_key(key):
        store.set_setting(SERVER_KEY_SETTING, key)


@dataclass(frozen=True)
class ExportResult:
    bundle_id: str
    ops: int
    attachments: int
    #: Registered files that are no longer on the tablet (or changed): not exported.
    missing_files: tuple[str, ...]


def export_bundle(store: Store, out: IO[bytes]) -> ExportResult:
    """Write every ready, unacknowledged op and every photo not yet uploaded to `out`.

    The ops are marked as attempted (they may now reach the server), so they are never
    folded into other ops afterwards. An empty bundle is still useful: importing it
    makes the server write a return bundle with everything the tablet should receive.
    """
    queued = outbox.pending_queued(store)
    ops = [json.loads(q.text) for q in queued]
    writer = BundleWriter(out)
    writer.add(OPS, "".join(q.text + "\n" for q in queued).encode("utf-8"))
    missing: list[str] = []
    carried: list[str] = []
    for row in pending_uploads(store):
        try:
            data = file_bytes(store, row["path"])
        except OSError:
            missing.append(str(row["path"]))
            continue
        if sha256_hex(data) != row["sha256"]:
            missing.append(str(row["path"]))
            continue
        writer.add(ATTACHMENT_PREFIX + row["sha256"], data, compress=False)
        carried.append(row["sha256"])
    files = len(carried)
    key = device_private_key(store)
    bundle_id = new_uuid7()
    writer.finish({
        "kind": DEVICE_BUNDLE, "bundle_id": bundle_id, "source": store.device_id,
        "source_key": bundle_crypto.public_key(key), "target": "server",
        "created_hlc": store.clock.last, "cursor": store.cursor(),
        "ops": op_range(ops), "forms": form_versions(ops), "attachments": files,
    }, lambda data: bundle_crypto.sign(key, data))
    outbox.mark_attempted(store, [q.op_id for q in queued])
    note_attempts(store, carried)  # the server may get them first: ask before sending
    return ExportResult(bundle_id, len(ops), files, tuple(missing))


def export_bundle_file(store: Store, path: str | Path) -> ExportResult:
    """Export to a file: written beside it and renamed, so a half-written file (a stick
    pulled out) never carries the final name."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.part")
    try:
        with tmp.open("wb") as fh:
            result = export_bundle(store, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return result


@dataclass(frozen=True)
class ReturnResult:
    """What a return bundle did here."""

    bundle_id: str
    acked: int
    rejected: tuple[Rejection, ...]
    received: int
    forms: int
    cursor: int


def import_return_bundle(store: Store, src: IO[bytes]) -> ReturnResult:
    """Check the server's signature and every member, then mark the acknowledged ops as
    sent, keep refused ones with their reason, save forms and apply the changes.

    Raises BundleError (nothing applied) if the file is damaged, altered, signed by
    another key, or meant for another tablet. Importing it again changes nothing.
    """
    def key_for(manifest: dict[str, Any]) -> str | None:
        if manifest.get("kind") != RETURN_BUNDLE:
            raise BundleError(WRONG_TARGET, "this is not a return bundle; a tablet imports "
                                            "the bundle the server wrote for it")
        key = store.get_setting(SERVER_KEY_SETTING)
        if not key:
            raise BundleError(KEY_UNKNOWN, "this tablet does not know its server's key: "
                                           "enrol it (or sync once) first")
        return str(key)

    with open_bundle(src, key_for) as bundle:
        manifest = bundle.manifest
        if manifest.get("target") != store.device_id:
            raise BundleError(WRONG_TARGET, f"this return bundle is for device "
                                            f"{manifest.get('target')!r}, not this tablet")
        acks = bundle.read_json(ACKS, {}) or {}
        changes = bundle.read_json(CHANGES, {}) or {}
        specs = (bundle.read_json(FORMS, {}) or {}).get("forms", [])
    try:
        start = int(changes.get("from_cursor", 0))
        page = PullPage.from_wire({"changes": changes.get("changes", []),
                                   "next_cursor": int(changes.get("next_cursor", start)),
                                   "has_more": False,
                                   "server_hlc": manifest.get("server_hlc")}, cursor=start)
        rejected = tuple(Rejection.from_wire(r) for r in acks.get("rejected", []))
    except (BodyError, TypeError, ValueError) as exc:
        raise BundleError(WRONG_TARGET, f"the return bundle's content is not valid: {exc}") \
            from None
    current = store.cursor()
    # Changes from before our cursor are re-applied harmlessly; a bundle that starts
    # after our cursor has a gap, so its ops apply but the cursor stays.
    page = dataclasses.replace(page, next_cursor=max(page.next_cursor, current)
                               if start <= current else current)
    acked = [str(i) for i in acks.get("acked", [])]
    with store.transaction() as db:
        outbox.mark_acked(store, acked)
        if rejected:
            outbox.mark_rejected(store, [r.to_wire() for r in rejected])
        files = [str(s) for s in acks.get("attachments", [])]
        for i in range(0, len(files), 500):
            part = files[i:i + 500]
            db.execute(f"UPDATE attachments SET uploaded_offset = size, uploaded_at = ? "
                       f"WHERE uploaded_at IS NULL AND sha256 IN ({','.join('?' * len(part))})",
                       [store.now(), *part])
        for spec in specs:
            store.save_form(spec)
        result = inbox.apply_page(store, page)
    return ReturnResult(str(manifest.get("bundle_id")), len(acked), rejected, result.received,
                        len(specs), page.next_cursor)


def import_return_file(store: Store, path: str | Path) -> ReturnResult:
    with Path(path).open("rb") as fh:
        return import_return_bundle(store, fh)
