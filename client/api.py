"""The sync API of the server, one method per endpoint (see docs/sync-protocol.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from client.errors import SyncError
from client.transport import HttpTransport, Response
from sync import bundle_crypto
from sync.messages import (
    GZIP,
    PROTOCOL_VERSION,
    UNNAMED_SERVER_PROTOCOL,
    BodyError,
    PullPage,
    PushResponse,
    QueuedOp,
    compress,
    encode_push,
)
from sync.ops import Op


@dataclass(frozen=True)
class PreparedPush:
    """A push request's body, made ahead of sending it (`SyncApi.prepare_push`)."""

    op_ids: tuple[str, ...]
    text: bytes  # the JSON, kept to compress again should the server refuse `coding`
    coding: str
    body: bytes


def _decode(resp: Response, what: str) -> Any:
    try:
        return resp.json()
    except ValueError as exc:
        raise SyncError(f"The server sent an unreadable {what} ({exc}).",
                        code="sync.bad_response", retryable=True) from exc


class SyncApi:
    """Typed calls over an `HttpTransport`; bodies are validated with `sync.messages`."""

    def __init__(self, transport: HttpTransport) -> None:
        self.transport = transport

    @property
    def protocol(self) -> int:
        """The version to speak: ours, or the server's if it is older. A server that has
        not named one (no `Hesabu-Protocol` header yet) is taken to speak 2: a newer
        body would be refused by an older server or hub as an unknown value."""
        named = self.transport.network.server_protocol
        return min(PROTOCOL_VERSION, named or UNNAMED_SERVER_PROTOCOL)

    def enrol(self, code: str, device_id: str, name: str,
              public_key: str | None = None, private_key: str | None = None
              ) -> dict[str, Any]:
        """Trade a one-time enrolment code for this device's token (and register the
        device's bundle signing key, if given). With the private key, the request
        carries a signature proving the device holds it: a server lets an id that is
        already enrolled enrol again only with that proof (or its current token)."""
        body = {"code": code, "device_id": device_id, "name": name}
        if public_key:
            body["public_key"] = public_key
            if private_key:
                body["signature"] = bundle_crypto.sign(
                    private_key, bundle_crypto.enrolment_proof_message(
                        code, device_id, public_key)).hex()
        resp = self.transport.request("POST", "/api/devices/enrol", json_body=body)
        data = _decode(resp, "enrolment answer")
        if not isinstance(data, dict) or not data.get("token"):
            raise SyncError("The server did not return a device token.",
                            code="sync.bad_response")
        self.transport.token = data["token"]
        return data

    def push(self, device_id: str, ops: list[Op]) -> PushResponse:
        """Push ops (encoded here; a device pushes its stored text with `push_queued`)."""
        return self.push_queued(device_id, [QueuedOp.of(op) for op in ops])

    def push_queued(self, device_id: str, ops: list[QueuedOp],
                    attempts: int | None = None) -> PushResponse:
        """Push stored ops as they are (`prepare_push`, then `send_push`)."""
        return self.send_push(self.prepare_push(device_id, ops), attempts)

    def prepare_push(self, device_id: str, ops: list[QueuedOp]) -> PreparedPush:
        """The body of a push of stored ops: built around their wire text
        (`sync.messages.encode_push`), compressed as the network calls for
        (`NetworkMeter.push_coding`: bzip2 on slow links). Uses no connection, so it
        can be made while another request is under way."""
        text = encode_push(device_id, ops, self.protocol)
        coding = self.transport.network.push_coding()
        return PreparedPush(tuple(op.op_id for op in ops), text, coding,
                            compress(text, coding))

    def send_push(self, prepared: PreparedPush, attempts: int | None = None) -> PushResponse:
        """Send a prepared push; the server's answer."""
        try:
            resp = self._post_push(prepared.body, prepared.coding, attempts)
        except SyncError as exc:
            if exc.status != 415 or prepared.coding == GZIP:
                raise
            # A server or proxy that does not take it: gzip from now on.
            self.transport.network.refused(prepared.coding)
            resp = self._post_push(compress(prepared.text, GZIP), GZIP, attempts)
        try:
            return PushResponse.from_wire(_decode(resp, "push answer"),
                                          sent=list(prepared.op_ids))
        except BodyError as exc:
            raise SyncError(f"The server's push answer breaks the protocol: {exc}",
                            code="sync.bad_response", retryable=True) from exc

    def _post_push(self, body: bytes, coding: str, attempts: int | None) -> Response:
        return self.transport.request(
            "POST", "/api/sync/push", body=body,
            headers={"Content-Type": "application/json", "Content-Encoding": coding},
            attempts=attempts)

    def pull(self, cursor: int, limit: int, max_bytes: int | None = None) -> PullPage:
        """One page of changes after `cursor`: at most `limit` of them and `max_bytes` of
        JSON; without `max_bytes`, as many bytes as the network meter chooses for this
        link (`NetworkMeter.pull_bytes`; the server's default on a fast link)."""
        network = self.transport.network
        if max_bytes is None:
            max_bytes = network.pull_bytes()
        query: dict[str, int] = {"cursor": cursor, "limit": limit, "protocol": self.protocol,
                                 "records": 0}
        if max_bytes is not None and not network.pull_bytes_refused:
            query["max_bytes"] = max_bytes
        try:
            resp = self.transport.request("GET", "/api/sync/pull", query=query)
        except SyncError as exc:
            fields = exc.details.get("fields")
            if "max_bytes" not in query or not isinstance(fields, dict) \
                    or "max_bytes" not in fields:
                raise
            # A server from before `max_bytes` refuses it as unknown: its pages are
            # bounded by `limit` only; ask it without from now on.
            network.pull_bytes_refused = True
            del query["max_bytes"]
            resp = self.transport.request("GET", "/api/sync/pull", query=query)
        try:
            return PullPage.from_wire(_decode(resp, "pull page"), cursor=cursor)
        except BodyError as exc:
            raise SyncError(f"The server's pull page breaks the protocol: {exc}",
                            code="sync.bad_response", retryable=True) from exc

    def form(self, form_id: str, version: str) -> dict[str, Any]:
        """The FormSpec JSON of one published form version."""
        resp = self.transport.request("GET", f"/api/forms/{form_id}/versions/{version}")
        data = _decode(resp, "form")
        return data.get("spec", data) if isinstance(data, dict) else data

    # -- attachments (resumable, tus-like) ----------------------------------------------
    def attachment_offset(self, sha256: str) -> int:
        """How many bytes of this attachment the server has (0 if none)."""
        resp = self.transport.request("HEAD", f"/api/attachments/{sha256}", accept=(404,))
        if resp.status == 404:
            return 0
        return int(resp.headers.get("upload-offset", "0"))

    def attachment_chunk(self, sha256: str, offset: int, length: int, chunk: bytes,
                         chunk_sha256: str) -> Response:
        """Append one chunk at `offset`. Not retried here: the caller re-asks the offset.

        Returns the response (204/200 with the new Upload-Offset, or 409 when the
        server's offset differs from ours).
        """
        return self.transport.request(
            "PATCH", f"/api/attachments/{sha256}", body=chunk, retry=False, accept=(409,),
            headers={"Upload-Offset": str(offset), "Upload-Length": str(length),
                     "Chunk-SHA256": chunk_sha256,
                     "Content-Type": "application/offset+octet-stream"})
