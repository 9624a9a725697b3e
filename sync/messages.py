"""The bodies of the sync HTTP requests and responses, as values (no HTTP here).

This is the one encoder and decoder of the wire, at both ends. An op's wire text is
`encode_op` (canonical JSON of `Op.to_wire`): a device stores that text in its outbox
when it makes the op (`QueuedOp`) and a push sends it as it is (`encode_push`, which
`PushRequest.encode` uses too); a server reads a push with `PushRequest.from_wire` and
answers a `PushResponse`; a pull page is a `PullPage`. Decoded ops are validated `Op`s
(`sync.admission.decode_ops`), which keep the nested answers they came in (`Op.answers`).
Bodies travel compressed (`compress` / `decompress`; `encode_body` / `decode_body` for
gzip). See docs/sync-protocol.md for the HTTP contract.
"""

from __future__ import annotations

import bz2
import gzip
import json
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sync.admission import decode_ops
from sync.canonical import canonical_bytes, canonical_json
from sync.codes import Rejection
from sync.hlc import is_hlc
from sync.ops import Op, wire_fields

#: The protocol this code speaks. 2 leaves empty parent lists and an empty meta out of
#: ops (`Op.to_wire`); a client says its version (`protocol: N` in its push body,
#: `protocol=N` on pull), and a server answers a client that does not say it (a
#: protocol 1 device) with ops in the old form (`Op.to_wire_v1`). 3 (this version):
#: a push answer may say `"acked_rest": true` instead of listing every acked op id
#: (`PushResponse.to_wire`), and a server accepts push bodies with
#: `Content-Encoding: bzip2` (`BZIP2`). A server names its version in the
#: `Hesabu-Protocol` header of every answer, so a client knows what it may send (a
#: server that names none is taken to speak 2, the last version without the header).
PROTOCOL_VERSION = 3
#: What a client assumes of a server that has not named its version.
UNNAMED_SERVER_PROTOCOL = 2
#: The answer header that carries the server's protocol version.
PROTOCOL_HEADER = "Hesabu-Protocol"
#: Protocol 3: servers accept bzip2 bodies, answer `acked_rest`, and leave a device's
#: own ops out of its pulls.
PROTOCOL_3 = 3
GZIP, BZIP2 = "gzip", "bzip2"

#: A decompressed body larger than this is refused (a small gzip can inflate hugely).
MAX_BODY_BYTES = 16 * 1024 * 1024


class BodyError(ValueError):
    """A request or response body that is not what the protocol says."""


class BodyTooLarge(BodyError):
    """A compressed body that inflates past the limit."""


def encode_body(value: Any) -> bytes:
    """gzip(canonical JSON): what goes on the wire with `Content-Encoding: gzip`."""
    return gzip.compress(canonical_bytes(value), compresslevel=6, mtime=0)


def compress(raw: bytes, encoding: str) -> bytes:
    """`raw` in a content coding of the protocol: gzip (level 6: fast, for fast links)
    or bzip2 (level 9: about 40% fewer bytes than gzip on a batch of household ops, for
    about 8x the CPU time; worth it below a few Mbit/s)."""
    if encoding == GZIP:
        return gzip.compress(raw, compresslevel=6, mtime=0)
    if encoding == BZIP2:
        return bz2.compress(raw, 9)
    raise ValueError(f"unknown content coding {encoding!r}")


def decompress(data: bytes, encoding: str, limit: int = MAX_BODY_BYTES) -> bytes:
    """Undo `compress`, refusing (BodyError) a body that is not valid in its coding, is
    truncated, has trailing bytes, or inflates past `limit` bytes (a bomb is stopped
    after `limit` + 1 bytes, not after inflating all of it)."""
    if encoding == GZIP:
        inflater: Any = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        error: type[Exception] = zlib.error
    elif encoding == BZIP2:
        inflater, error = bz2.BZ2Decompressor(), OSError
    else:
        raise BodyError(f"unknown content coding {encoding!r}")
    try:
        raw = inflater.decompress(data, max_length=limit + 1)
    except (error, EOFError, ValueError) as exc:
        raise BodyError(f"body is not valid {encoding}: {exc}") from None
    if len(raw) > limit:
        raise BodyTooLarge(f"body inflates past {limit} bytes")
    if not inflater.eof or inflater.unused_data:
        raise BodyError(f"the {encoding} body is truncated or has trailing data")
    return raw


def decode_body(data: bytes, *, gzipped: bool = True, limit: int = MAX_BODY_BYTES) -> Any:
    """Decode a body, refusing one that inflates past `limit` bytes."""
    raw = decompress(data, GZIP, limit) if gzipped else data
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        raise BodyError(f"body is not JSON: {exc}") from None


def encode_op(op: Op | Mapping[str, Any]) -> str:
    """An op's wire text: canonical JSON of its protocol 2 form (`Op.to_wire`: nested
    answers where exact, empty parents and meta left out). A mapping is an op already
    in that form, as a server stores it."""
    return canonical_json(op.to_wire(copy=False) if isinstance(op, Op) else op)


def encode_push(device_id: str, ops: Sequence[QueuedOp], protocol: int) -> bytes:
    """A push body (before compression) around the ops' stored wire text: the same
    bytes as canonical JSON of the `PushRequest`, without parsing or encoding an op."""
    return ('{"device_id":' + canonical_json(device_id) + ',"ops":['
            + ",".join(op.text for op in ops) + '],"protocol":' + str(int(protocol))
            + "}").encode("utf-8")


def _int(data: Mapping[str, Any], key: str, minimum: int = 0) -> int:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise BodyError(f"{key} must be an integer >= {minimum}")
    return value


def _optional_hlc(data: Mapping[str, Any]) -> str | None:
    value = data.get("server_hlc")
    if value is not None and not is_hlc(value):
        raise BodyError("server_hlc must be an HLC")
    return value


@dataclass(frozen=True)
class QueuedOp:
    """An op as a device or hub stored it: its id and its canonical JSON text, ready for
    the wire.

    Ops were validated when they were made, so pushing sends the stored text as is
    instead of parsing and re-validating thousands of ops. `wire_size` lets
    `sync.batching.plan_batches` size batches exactly as it sizes `Op`s.
    """

    op_id: str
    text: str

    @classmethod
    def of(cls, op: Op) -> QueuedOp:
        """The op as it is queued: its wire text (`encode_op`)."""
        return cls(op.op_id, encode_op(op))

    def wire_size(self) -> int:
        return len(self.text.encode("utf-8"))


@dataclass(frozen=True)
class PushRequest:
    device_id: str
    ops: tuple[Op, ...]
    protocol: int = PROTOCOL_VERSION  # what the client speaks with this server

    def to_wire(self) -> dict[str, Any]:
        return {"device_id": self.device_id, "protocol": self.protocol,
                "ops": [op.to_wire() for op in self.ops]}

    def encode(self) -> bytes:
        """The body as it goes on the wire (before compression); see `encode_push`."""
        return encode_push(self.device_id, [QueuedOp.of(op) for op in self.ops],
                           self.protocol)

    @classmethod
    def from_wire(cls, data: Any) -> tuple[PushRequest, list[Rejection]]:
        """The request with its valid ops, and a rejection for each invalid op. A body
        that does not name its protocol is protocol 1 (the first devices')."""
        if not isinstance(data, Mapping) or not isinstance(data.get("ops"), list):
            raise BodyError('a push body is {"device_id": str, "ops": [op, ...]}')
        device_id = data.get("device_id")
        if not isinstance(device_id, str) or not device_id:
            raise BodyError("device_id must be a non-empty string")
        protocol = data.get("protocol", 1)
        if isinstance(protocol, bool) or not isinstance(protocol, int) or protocol < 1:
            raise BodyError("protocol must be an integer >= 1")
        ops, rejected = decode_ops(data["ops"])
        return cls(device_id, tuple(ops), protocol), rejected


@dataclass(frozen=True)
class PushResponse:
    """`acked` holds applied and replayed op ids: the device may drop them from its outbox."""

    acked: tuple[str, ...]
    rejected: tuple[Rejection, ...]
    server_seq: int
    conflicts: int
    server_hlc: str | None = None

    def to_wire(self, sent: Sequence[str] | None = None) -> dict[str, Any]:
        """The answer; given the op ids of the request (`sent`, to a protocol 3 client),
        `"acked_rest": true` replaces the list when every op that was not rejected is
        acked: on a batch of 1,000 ops that list is ~16 KB of gzip the slow link
        carries back for nothing."""
        out: dict[str, Any] = {"acked": list(self.acked)}
        if sent is not None:
            refused = {r.op_id for r in self.rejected}
            rest = [i for i in sent if i not in refused]
            if len(rest) == len(self.acked) and set(rest) == set(self.acked):
                out = {"acked_rest": True}
        return {**out, "rejected": [r.to_wire() for r in self.rejected],
                "server_seq": self.server_seq, "conflicts": self.conflicts,
                "server_hlc": self.server_hlc}

    @classmethod
    def from_wire(cls, data: Any, sent: Sequence[str] = ()) -> PushResponse:
        """Read an answer to a push of the op ids `sent` (needed for `acked_rest`)."""
        if not isinstance(data, Mapping):
            raise BodyError("a push response is an object")
        rejected = tuple(Rejection.from_wire(r) for r in data.get("rejected", []))
        if data.get("acked_rest") is True:
            refused = {r.op_id for r in rejected}
            acked: Any = [i for i in sent if i not in refused]
        elif isinstance(data.get("acked"), list):
            acked = data["acked"]
        else:
            raise BodyError("a push response needs an acked list or acked_rest")
        return cls(
            acked=tuple(str(i) for i in acked),
            rejected=rejected,
            server_seq=_int(data, "server_seq"),
            conflicts=_int(data, "conflicts"),
            server_hlc=_optional_hlc(data),
        )


OP_CHANGE = "op"
FORM_CHANGE = "form"


@dataclass(frozen=True)
class Change:
    """One entry of a pull page. Types a client does not know are kept but not applied."""

    seq: int
    type: str
    op: Op | None = None
    data: Mapping[str, Any] = field(default_factory=dict)

    def to_wire(self) -> dict[str, Any]:
        if self.type == OP_CHANGE and self.op is not None:
            return {"seq": self.seq, "type": OP_CHANGE, "op": self.op.to_wire()}
        return {"seq": self.seq, "type": self.type, **dict(self.data)}


@dataclass(frozen=True)
class PullPage:
    changes: tuple[Change, ...]
    next_cursor: int
    has_more: bool
    server_hlc: str | None = None

    @property
    def ops(self) -> list[Op]:
        return [c.op for c in self.changes if c.op is not None]

    @property
    def forms(self) -> list[tuple[str, str]]:
        """(form_id, version) of forms published or changed, for the device to download."""
        return [(str(c.data.get("form_id")), str(c.data.get("version")))
                for c in self.changes if c.type == FORM_CHANGE]

    def to_wire(self) -> dict[str, Any]:
        return {"changes": [c.to_wire() for c in self.changes], "next_cursor": self.next_cursor,
                "has_more": self.has_more, "server_hlc": self.server_hlc}

    @classmethod
    def from_wire(cls, data: Any, *, cursor: int = 0) -> PullPage:
        """Validate a page fetched after `cursor`; BodyError if the server broke the contract."""
        if not isinstance(data, Mapping) or not isinstance(data.get("changes"), list):
            raise BodyError("a pull page needs a changes list")
        has_more = data.get("has_more")
        if not isinstance(has_more, bool):
            raise BodyError("has_more must be true or false")
        next_cursor = _int(data, "next_cursor")
        if next_cursor < cursor:
            raise BodyError(f"next_cursor {next_cursor} goes back before cursor {cursor}")
        changes: list[Change] = []
        last = cursor
        for entry in data["changes"]:
            if not isinstance(entry, Mapping) or not isinstance(entry.get("type"), str):
                raise BodyError("each change needs a type")
            seq = _int(entry, "seq", minimum=1)
            if seq <= last or seq > next_cursor:
                raise BodyError(f"change seq {seq} out of order (after {last}, "
                                f"up to {next_cursor})")
            last = seq
            if entry["type"] == OP_CHANGE:
                ops, rejected = decode_ops([entry.get("op")])
                if rejected:
                    raise BodyError(f"change {seq}: {rejected[0].message}")
                changes.append(Change(seq, OP_CHANGE, op=ops[0]))
            else:
                rest = {k: v for k, v in entry.items() if k not in ("seq", "type")}
                changes.append(Change(seq, entry["type"], data=rest))
        return cls(tuple(changes), next_cursor, has_more, _optional_hlc(data))


def v1_op_payload(payload: Mapping[str, Any]) -> dict[str, Any]:
    """A stored (protocol 2) op as a protocol 1 client expects it: a parents entry for
    every path and a meta object. Works on the stored dict, without re-validating."""
    parents = payload.get("parents") or {}
    out = dict(payload)
    out.pop("answers", None)
    out["fields"] = wire_fields(payload)
    out["parents"] = {path: list(parents.get(path, ())) for path in out["fields"]}
    out["meta"] = dict(payload.get("meta") or {})
    return out


def op_changes(ops: Sequence[Op], first_seq: int) -> tuple[Change, ...]:
    """Op changes numbered from `first_seq` (helper for servers and tests)."""
    return tuple(Change(first_seq + i, OP_CHANGE, op=op) for i, op in enumerate(ops))
