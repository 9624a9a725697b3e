"""A reference sync server for client tests: `sync.replica.Replica` behind real HTTP.

It follows the HTTP contract of docs/sync-protocol.md (enrol, push, pull, resumable
attachments) with the protocol's own reference merge, so client behaviour can be
tested before and independently of the Flask server.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sync.hlc import HybridClock, wall_clock_ms
from sync.messages import PullPage, PushRequest, PushResponse, decode_body, op_changes
from sync.ops import Op
from sync.replica import Replica

ENROL_CODE = "KIBERA-2024"


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that hang up (timeouts, killed apps) are what these tests are about.
        pass


class RefServer:
    def __init__(self, now_ms: Any = wall_clock_ms) -> None:
        self.now_ms = now_ms
        self.replica = Replica("server", HybridClock("server", now_ms=now_ms))
        self.log: list[Op] = []  # ops in server_seq order (seq = index + 1)
        self.tokens: dict[str, str] = {}
        self.blobs: dict[str, bytearray] = {}
        self.sizes: dict[str, int] = {}
        self.requests: list[str] = []
        self.before_push_reply: Any = None
        self.lock = threading.Lock()
        self.httpd = _QuietServer(("127.0.0.1", 0), self._handler())
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def seq(self) -> int:
        """The latest server sequence number."""
        return len(self.log)

    def new_code(self) -> str:
        return ENROL_CODE

    def blob(self, sha256: str) -> bytes | None:
        data = self.blobs.get(sha256)
        return bytes(data) if data is not None and len(data) == self.sizes[sha256] else None

    def op_count(self, op_id: str) -> int:
        return sum(1 for op in self.log if op.op_id == op_id)

    # -- endpoints --------------------------------------------------------------------
    def enrol(self, body: dict) -> tuple[int, dict]:
        if body.get("code") != ENROL_CODE:
            return 401, {"error": {"code": "auth.enrolment_code_invalid",
                                   "message": "The enrolment code is wrong.", "details": {}}}
        token = hashlib.sha256(body["device_id"].encode()).hexdigest()
        self.tokens[token] = body["device_id"]
        return 200, {"token": token, "device_id": body["device_id"]}

    def push(self, body: Any) -> tuple[int, dict]:
        request, bad = PushRequest.from_wire(body)
        with self.lock:
            outcome = self.replica.push(request.ops, now_ms=self.now_ms(),
                                        form_known=lambda f, v: True)
            for op in request.ops:
                if op.op_id in outcome.acked and not any(o.op_id == op.op_id for o in self.log):
                    self.log.append(op)
            answer = PushResponse(outcome.acked, (*bad, *outcome.rejected), len(self.log),
                                  outcome.conflicts, self.replica.clock.tick())
        if self.before_push_reply is not None:
            self.before_push_reply()
        return 200, answer.to_wire()

    def pull(self, cursor: int, limit: int) -> tuple[int, dict]:
        with self.lock:
            ops = self.log[cursor:cursor + limit]
            page = PullPage(op_changes(ops, cursor + 1), cursor + len(ops),
                            cursor + len(ops) < len(self.log), self.replica.clock.tick())
        return 200, page.to_wire()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _reply(self, status: int, payload: dict | None,
                       headers: dict[str, str] | None = None) -> None:
                data = gzip.compress(json.dumps(payload).encode()) if payload is not None else b""
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                if payload is not None:
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Encoding", "gzip")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            def _body(self) -> bytes:
                n = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(n) if n else b""

            def _authorised(self) -> bool:
                token = (self.headers.get("Authorization") or "")[len("Bearer "):]
                if token in server.tokens:
                    return True
                self._reply(401, {"error": {"code": "auth.token_invalid",
                                            "message": "The device token is wrong.",
                                            "details": {}}})
                return False

            def do_POST(self) -> None:
                server.requests.append(f"POST {self.path}")
                raw = self._body()
                body = decode_body(raw, gzipped=self.headers.get("Content-Encoding") == "gzip")
                if self.path == "/api/devices/enrol":
                    self._reply(*server.enrol(body))
                elif self.path == "/api/sync/push" and self._authorised():
                    self._reply(*server.push(body))

            def do_GET(self) -> None:
                server.requests.append(f"GET {self.path}")
                if not self._authorised():
                    return
                if self.path.startswith("/api/sync/pull"):
                    from urllib.parse import parse_qs, urlsplit
                    q = parse_qs(urlsplit(self.path).query)
                    self._reply(*server.pull(int(q["cursor"][0]), int(q["limit"][0])))
                else:
                    self._reply(404, {"error": {"code": "request.not_found", "message": "no",
                                                "details": {}}})

            def do_HEAD(self) -> None:
                server.requests.append(f"HEAD {self.path}")
                sha = self.path.rsplit("/", 1)[-1]
                if sha not in server.blobs:
                    self._reply(404, None)
                else:
                    self._reply(200, None, {"Upload-Offset": str(len(server.blobs[sha])),
                                            "Upload-Length": str(server.sizes[sha])})

            def do_PATCH(self) -> None:
                server.requests.append(f"PATCH {self.path}")
                sha = self.path.rsplit("/", 1)[-1]
                chunk = self._body()
                offset = int(self.headers["Upload-Offset"])
                blob = server.blobs.setdefault(sha, bytearray())
                server.sizes[sha] = int(self.headers["Upload-Length"])
                if offset != len(blob):
                    self._reply(409, {"error": {"code": "attachment.offset_mismatch",
                                                "message": "offset", "details": {
                                                    "offset": len(blob)}}},
                                {"Upload-Offset": str(len(blob))})
                    return
                if hashlib.sha256(chunk).hexdigest() != self.headers["Chunk-SHA256"]:
                    self._reply(422, {"error": {"code": "attachment.checksum_mismatch",
                                                "message": "checksum", "details": {}}})
                    return
                blob.extend(chunk)
                self._reply(204, None, {"Upload-Offset": str(len(blob))})

        return Handler
