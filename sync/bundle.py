"""Bundles: sync by USB stick. One signed zip file, written and checked here (no I/O
besides the file object the caller hands in).

A *device bundle* carries a tablet's unsent ops and their attachments to a server or
hub; a *return bundle* carries the server's answer back (acknowledgements, and the
changes the tablet would have pulled). Members:

    manifest.json          what is inside, with the SHA-256 and size of every member
    manifest.sig           Ed25519 signature of the exact bytes of manifest.json
    ops.jsonl              device bundle: one op per line (canonical JSON)
    attachments/<sha256>   device bundle: a file, named by its own SHA-256
    acks.json              return bundle: {"acked": [...], "rejected": [...], "attachments": [...]}
    changes.json           return bundle: {"changes": [...], "from_cursor": N, "next_cursor": M}
    forms.json             return bundle: {"forms": [FormSpec JSON, ...]}

The signature covers the manifest and the manifest covers every member by hash, so one
check proves the whole file came unaltered from the holder of the key. Reading refuses,
before anything is applied: a truncated or damaged file, a missing signature, a
signature by any key but the one registered for the source, any member that does not
match its hash, members missing from or absent in the manifest, member names that are
not in the list above (path traversal), and sizes beyond the limits (zip bombs).
"""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from sync.bundle_crypto import verify
from sync.canonical import canonical_bytes

FORMAT = "hesabu-bundle"
FORMAT_VERSION = 1
DEVICE_BUNDLE = "device"
RETURN_BUNDLE = "return"

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
OPS = "ops.jsonl"
ACKS = "acks.json"
CHANGES = "changes.json"
FORMS = "forms.json"
ATTACHMENT_PREFIX = "attachments/"

_MEMBER_RE = re.compile(r"^(ops\.jsonl|acks\.json|changes\.json|forms\.json|"
                        r"attachments/[0-9a-f]{64})$")
_BLOCK = 1 << 20

# Stable codes (server/errors.py and docs/errors.md list them with their HTTP status).
UNREADABLE = "bundle.unreadable"
UNSIGNED = "bundle.unsigned"
KEY_UNKNOWN = "bundle.key_unknown"
SIGNATURE_INVALID = "bundle.signature_invalid"
CHECKSUM_MISMATCH = "bundle.checksum_mismatch"
MEMBER_MISSING = "bundle.member_missing"
MEMBER_UNEXPECTED = "bundle.member_unexpected"
MEMBER_NAME_INVALID = "bundle.member_name_invalid"
TOO_LARGE = "bundle.too_large"
FORMAT_UNSUPPORTED = "bundle.format_unsupported"
WRONG_TARGET = "bundle.wrong_target"

#: code -> (HTTP status when it answers a request, meaning).
CODES: dict[str, tuple[int, str]] = {
    UNREADABLE: (422, "The file is not a bundle, or it is truncated or damaged."),
    UNSIGNED: (422, "The bundle carries no signature."),
    KEY_UNKNOWN: (422, "No key is registered for the device (or server) that the bundle "
                       "names as its source; enrol the device first."),
    SIGNATURE_INVALID: (422, "The signature is not by the registered key of the bundle's "
                             "source: the manifest was altered or another device signed it."),
    CHECKSUM_MISMATCH: (422, "A member of the bundle does not match its SHA-256 in the "
                             "manifest: the bundle was altered or damaged."),
    MEMBER_MISSING: (422, "A member listed in the manifest is not in the file (truncated)."),
    MEMBER_UNEXPECTED: (422, "The file holds a member the manifest does not list."),
    MEMBER_NAME_INVALID: (422, "A member name is not one a bundle may hold (e.g. a path "
                               "that leaves the bundle)."),
    TOO_LARGE: (413, "The bundle or one of its members is larger than the limits allow, "
                     "or inflates suspiciously (a zip bomb)."),
    FORMAT_UNSUPPORTED: (422, "The bundle's format or format version is not supported here."),
    WRONG_TARGET: (422, "The bundle is of the wrong kind or meant for another device."),
}


class BundleError(ValueError):
    """A bundle that must be refused; `code` is one of `CODES`."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Limits:
    """What a reader accepts. A zip's declared sizes are checked before inflating and
    reading stops at the size the (signed) manifest gives."""

    max_members: int = 200_000
    max_total_bytes: int = 8 * 1024 ** 3
    max_member_bytes: int = 512 * 1024 ** 2
    max_manifest_bytes: int = 64 * 1024 ** 2
    #: Larger members may not inflate more than this many times their stored size.
    max_ratio: int = 200


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class BundleWriter:
    """Write members, then `finish(manifest, sign)` adds the manifest and its signature.

        writer = BundleWriter(fileobj)
        writer.add(OPS, data)
        manifest = writer.finish({...}, lambda data: crypto.sign(key, data))
    """

    def __init__(self, out: IO[bytes]) -> None:
        self._zip = zipfile.ZipFile(out, "w", allowZip64=True)
        self.members: dict[str, dict[str, Any]] = {}

    def add(self, name: str, data: bytes, *, compress: bool = True) -> None:
        self._check_name(name)
        self.members[name] = {"sha256": sha256_hex(data), "size": len(data)}
        info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        self._zip.writestr(info, data, compresslevel=6 if compress else None)

    def add_stream(self, name: str, chunks: Iterable[bytes], *, compress: bool = True) -> int:
        """Write a member from `chunks` as they come (none is kept), hashing and counting
        them on the way, so the manifest entry is the one `add(name, b"".join(chunks))`
        would make. Returns the member's size. Members are at most 2 GiB (no ZIP64
        header is written; readers refuse far less, see `Limits.max_member_bytes`)."""
        self._check_name(name)
        digest, size = hashlib.sha256(), 0
        info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        # zlib's default level is 6, the level `add` asks for.
        with self._zip.open(info, "w") as dest:
            for chunk in chunks:
                if chunk:
                    digest.update(chunk)
                    size += len(chunk)
                    dest.write(chunk)
        self.members[name] = {"sha256": digest.hexdigest(), "size": size}
        return size

    def _check_name(self, name: str) -> None:
        if not _MEMBER_RE.match(name) or name in self.members:
            raise ValueError(f"bad or repeated member name {name!r}")

    def finish(self, manifest: dict[str, Any], sign: Callable[[bytes], bytes]) -> dict[str, Any]:
        """Write manifest.json (with the member list) and its signature; close the zip."""
        full = {"format": FORMAT, "format_version": FORMAT_VERSION, **manifest,
                "members": dict(sorted(self.members.items()))}
        data = canonical_bytes(full)
        for name, payload in ((MANIFEST, data), (SIGNATURE, sign(data))):
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            self._zip.writestr(info, payload)
        self._zip.close()
        return full


@dataclass
class VerifiedBundle:
    """A bundle whose signature and every member were checked. Read members with
    `read(name)`; close it (or use `with`) when done."""

    manifest: dict[str, Any]
    _zip: zipfile.ZipFile = field(repr=False)
    _limits: Limits = field(repr=False)

    @property
    def kind(self) -> str:
        return str(self.manifest.get("kind"))

    @property
    def source(self) -> str:
        return str(self.manifest.get("source"))

    def names(self, prefix: str = "") -> list[str]:
        return sorted(n for n in self.manifest["members"] if n.startswith(prefix))

    def has(self, name: str) -> bool:
        return name in self.manifest["members"]

    def read(self, name: str) -> bytes:
        """A member's bytes, checked again against the manifest (the file may have
        changed on the stick since verification)."""
        expected = self.manifest["members"][name]
        data = b"".join(_read_bounded(self._zip, name, int(expected["size"])))
        if sha256_hex(data) != expected["sha256"]:
            raise BundleError(CHECKSUM_MISMATCH, f"member {name} changed while being read")
        return data

    def read_json(self, name: str, default: Any = None) -> Any:
        if not self.has(name):
            return default
        try:
            return json.loads(self.read(name))
        except ValueError as exc:
            raise BundleError(UNREADABLE, f"member {name} is not JSON: {exc}") from None

    def ops_wire(self, loads: Callable[[bytes], Any] = json.loads) -> list[dict[str, Any]]:
        """The decoded lines of ops.jsonl (validate them with `sync.ops.Op.from_wire`).
        `loads` reads a line: `json.loads`, or one that reads JSON exactly as it does
        (the server's, faster)."""
        if not self.has(OPS):
            return []
        try:
            return [loads(line) for line in self.read(OPS).splitlines() if line.strip()]
        except ValueError as exc:
            raise BundleError(UNREADABLE, f"ops.jsonl is not JSON lines: {exc}") from None
        except RecursionError:
            raise BundleError(UNREADABLE, "ops.jsonl is not JSON lines: a line nests too "
                                          "deeply") from None

    def close(self) -> None:
        self._zip.close()

    def __enter__(self) -> VerifiedBundle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _read_bounded(zf: zipfile.ZipFile, name: str, size: int) -> Iterator[bytes]:
    """Yield the member's bytes; stop (and refuse) past `size` bytes."""
    got = 0
    try:
        with zf.open(name) as fh:
            while block := fh.read(min(_BLOCK, size - got + 1)):
                got += len(block)
                if got > size:
                    raise BundleError(CHECKSUM_MISMATCH,
                                      f"member {name} is longer than the manifest says")
                yield block
    except zipfile.BadZipFile as exc:  # a CRC error: the stored bytes were changed
        raise BundleError(CHECKSUM_MISMATCH, f"member {name} is damaged or altered ({exc})") \
            from None
    except (OSError, EOFError, ValueError) as exc:
        if isinstance(exc, BundleError):
            raise
        raise BundleError(UNREADABLE, f"member {name} cannot be read ({exc})") from None
    if got != size:
        raise BundleError(CHECKSUM_MISMATCH, f"member {name} is shorter than the manifest says")


def _open_zip(src: IO[bytes], limits: Limits) -> zipfile.ZipFile:
    try:
        zf = zipfile.ZipFile(src, "r")
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise BundleError(UNREADABLE, f"this is not a bundle, or it is truncated ({exc})") \
            from None
    infos = zf.infolist()
    if len(infos) > limits.max_members + 2:
        raise BundleError(TOO_LARGE, f"the bundle has {len(infos)} members "
                                     f"(at most {limits.max_members})")
    seen: set[str] = set()
    total = 0
    for info in infos:
        name = info.filename
        if name in seen:
            raise BundleError(MEMBER_NAME_INVALID, f"member {name!r} appears twice")
        seen.add(name)
        if name not in (MANIFEST, SIGNATURE) and not _MEMBER_RE.match(name):
            raise BundleError(MEMBER_NAME_INVALID,
                              f"member name {name!r} is not allowed in a bundle")
        total += info.file_size
        if info.file_size > limits.max_member_bytes or total > limits.max_total_bytes:
            raise BundleError(TOO_LARGE, f"member {name} makes the bundle larger than allowed")
        if info.file_size > _BLOCK and info.file_size > limits.max_ratio * max(
                info.compress_size, 1):
            raise BundleError(TOO_LARGE, f"member {name} inflates {info.file_size} bytes "
                                         f"from {info.compress_size}: refused as a zip bomb")
    return zf


def open_bundle(src: IO[bytes], public_key_for: Callable[[dict[str, Any]], str | None], *,
                limits: Limits = Limits()) -> VerifiedBundle:
    """Check a bundle completely and return it, or raise BundleError (nothing applied).

    `public_key_for(manifest)` gives the hex public key registered for the source the
    manifest names (None if there is none). It is only called after the manifest is
    parsed, and the signature is checked before anything else in the manifest is
    trusted.
    """
    zf = _open_zip(src, limits)
    try:
        names = set(zf.namelist())
        if MANIFEST not in names:
            raise BundleError(UNREADABLE, "the file has no manifest.json: not a bundle")
        if SIGNATURE not in names:
            raise BundleError(UNSIGNED, "the bundle is not signed; it cannot be trusted")
        if zf.getinfo(MANIFEST).file_size > limits.max_manifest_bytes or \
                zf.getinfo(SIGNATURE).file_size > 1024:
            raise BundleError(TOO_LARGE, "the manifest or signature is larger than allowed")
        manifest_bytes = b"".join(_read_bounded(zf, MANIFEST, zf.getinfo(MANIFEST).file_size))
        signature = b"".join(_read_bounded(zf, SIGNATURE, zf.getinfo(SIGNATURE).file_size))
        try:
            manifest = json.loads(manifest_bytes)
        except ValueError as exc:
            raise BundleError(UNREADABLE, f"manifest.json is not JSON: {exc}") from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise BundleError(FORMAT_UNSUPPORTED, "manifest.json is not a Hesabu bundle manifest")
        if manifest.get("format_version") != FORMAT_VERSION:
            raise BundleError(FORMAT_UNSUPPORTED,
                              f"bundle format version {manifest.get('format_version')!r} is "
                              f"not supported (this software reads {FORMAT_VERSION})")
        key = public_key_for(manifest)
        if key is None:
            raise BundleError(KEY_UNKNOWN, f"no key is registered for {manifest.get('source')!r}"
                                           "; enrol that device (or check the server) first")
        if not verify(key, signature, manifest_bytes):
            raise BundleError(SIGNATURE_INVALID,
                              f"the signature is not by the registered key of "
                              f"{manifest.get('source')!r}: the bundle was altered or signed "
                              "by another device")
        members = manifest.get("members")
        if not isinstance(members, dict):
            raise BundleError(UNREADABLE, "the manifest lists no members")
        listed, present = set(members), names - {MANIFEST, SIGNATURE}
        if listed - present:
            raise BundleError(MEMBER_MISSING, f"member {sorted(listed - present)[0]} is "
                                              "missing: the bundle is truncated")
        if present - listed:
            raise BundleError(MEMBER_UNEXPECTED, f"member {sorted(present - listed)[0]} is "
                                                 "not in the manifest: the bundle was altered")
        for name in sorted(listed):
            expected = members[name]
            digest = hashlib.sha256()
            for block in _read_bounded(zf, name, int(expected["size"])):
                digest.update(block)
            if digest.hexdigest() != expected["sha256"]:
                raise BundleError(CHECKSUM_MISMATCH, f"member {name} does not match its SHA-256 "
                                                     "in the manifest: altered or damaged")
            if name.startswith(ATTACHMENT_PREFIX) and name[len(ATTACHMENT_PREFIX):] != \
                    expected["sha256"]:
                raise BundleError(CHECKSUM_MISMATCH, f"attachment {name} is not named by its "
                                                     "own SHA-256")
    except BaseException:
        zf.close()
        raise
    return VerifiedBundle(manifest, zf, limits)


def op_range(ops: list[dict[str, Any]]) -> dict[str, Any]:
    """The manifest's summary of the ops it carries."""
    if not ops:
        return {"count": 0}
    hlcs = sorted(op["hlc"] for op in ops)
    return {"count": len(ops), "first_op_id": ops[0]["op_id"], "last_op_id": ops[-1]["op_id"],
            "min_hlc": hlcs[0], "max_hlc": hlcs[-1]}


def form_versions(ops: list[dict[str, Any]]) -> list[list[str]]:
    return [list(p) for p in sorted({(op["form_id"], op["form_version"]) for op in ops})]
