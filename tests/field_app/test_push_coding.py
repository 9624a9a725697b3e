"""How the field app compresses a push, end to end with the real server on loopback:
bzip2 on a slow link, gzip on a fast one, gzip again after a 415, and the compact
acks of protocol 3. The link's speed is what earlier syncs measured (`client.network`),
saved in the store; these tests set it as a slow link would have left it."""

from __future__ import annotations

import io
import random
import socket
import threading
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from flaskhub import FlaskHub
from tablets import enrolled_tablet

from client.api import SyncApi
from client.network import SLOW_RATE, SLOW_SNDBUF
from client.transport import HttpTransport, RetryPolicy
from field_app.core import outbox, records
from field_app.core.store import Store
from field_app.core.sync_runner import run_sync
from sync.ids import new_instance_id

NAMES = ["Amina", "Baraka", "Chipo", "Thandiwe", "Nomvula", "Otieno", "Wanjiru", "Kofi"]


def tablet(tmp_path: Path, hub: FlaskHub, households: int = 200, name: str = "a") -> Store:
    store = enrolled_tablet(tmp_path, name, hub)
    rng = random.Random(3)
    with store.transaction():
        for i in range(households):
            family = rng.choice(NAMES)
            records.create_record(store, "hh", "1", {
                "structure_number": f"KB-{i // 3:04d}", "head_name": f"{family} {i}",
                "household_size": rng.randint(1, 9), "tenure": rng.choice(["owner", "tenant"]),
                "members": [{"__id": new_instance_id(), "member_name": rng.choice(NAMES),
                             "member_age": rng.randint(0, 90)}
                            for _ in range(rng.randint(1, 6))]}, finalized=True)
    return store


def sync(store: Store, hub: FlaskHub) -> HttpTransport:
    transport = HttpTransport(hub.url, store.device.token,
                              retry=RetryPolicy(attempts=2, base_s=0.01))
    summary = run_sync(store, SyncApi(transport))
    transport.close()
    assert summary.ok, summary.describe()
    return transport


def link_key(hub: FlaskHub) -> str:
    return f"link {hub.url}"


def test_enrolment_teaches_the_tablet_the_servers_protocol_and_round_trip(
        tmp_path: Path, hub: FlaskHub) -> None:
    store = tablet(tmp_path, hub, households=0)
    state = store.get_setting(link_key(hub))
    assert state["server_protocol"] == 3
    assert 0 < state["rtt_s"] < 0.15  # loopback: a fast link, so gzip


def test_a_slow_link_sends_bzip2_and_a_fast_one_gzip(tmp_path: Path, hub: FlaskHub) -> None:
    store = tablet(tmp_path, hub)
    texts = [op.text for op in outbox.pending_queued(store)]
    store.set_setting(link_key(hub), {"server_protocol": 3, "upload_rate": SLOW_RATE / 8})
    slow = sync(store, hub)
    assert slow.stats.codings == {"bzip2": 1}
    assert len(hub.log) == len(texts) == 200 and outbox.pending_queued(store) == []
    # The compact acks: 200 op ids would be ~3.5 KB of gzip; "acked_rest" is a few bytes.
    assert slow.stats.bytes_received < 1500
    bzip2_bytes = slow.stats.bytes_sent

    # The same 200 households from a second tablet on a link measured fast: gzip, and
    # about a third more bytes for this data.
    other = tablet(tmp_path, hub, name="b")
    other.set_setting(link_key(hub), {"server_protocol": 3, "upload_rate": SLOW_RATE * 40})
    fast = sync(other, hub)
    assert fast.stats.codings == {"gzip": 1}
    assert fast.stats.bytes_sent > 1.15 * bzip2_bytes
    assert len(hub.log) == 400


def test_what_a_push_measured_is_kept_for_the_next_sync(tmp_path: Path, hub: FlaskHub) -> None:
    store = tablet(tmp_path, hub, households=600)  # a body big enough to measure a rate
    store.set_setting(link_key(hub), {"server_protocol": 3})  # nothing measured yet: slow
    first = sync(store, hub)
    assert first.stats.codings == {"bzip2": 1}
    state = store.get_setting(link_key(hub))
    # Loopback: the body's bytes over the link's share of the exchange (Server-Timing
    # takes the server's own work out) is far above the slow threshold.
    assert state["upload_rate"] > SLOW_RATE
    records.create_record(store, "hh", "1", {"head_name": "Late"}, finalized=True)
    second = sync(store, hub)
    assert second.stats.codings == {"gzip": 1}


def refuse_bzip2(app: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
    """A proxy in front of the server that does not let bzip2 bodies through."""

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("HTTP_CONTENT_ENCODING") == "bzip2":
            start_response("415 Unsupported Media Type", [("Content-Type", "text/plain")])
            return [b"bzip2? no"]
        return app(environ, start_response)

    return wsgi


def test_a_415_to_bzip2_falls_back_to_gzip_for_good(tmp_path: Path, hub: FlaskHub) -> None:
    hub.app.wsgi_app = refuse_bzip2(hub.app.wsgi_app)  # type: ignore[method-assign]
    store = tablet(tmp_path, hub)
    store.set_setting(link_key(hub), {"server_protocol": 3, "upload_rate": 1000.0})
    first = sync(store, hub)
    assert first.stats.codings == {"bzip2": 1, "gzip": 1}
    assert len(hub.log) == 200 and outbox.pending_queued(store) == []
    assert store.get_setting(link_key(hub))["refused"] == ["bzip2"]
    records.create_record(store, "hh", "1", {"head_name": "Late"}, finalized=True)
    assert sync(store, hub).stats.codings == {"gzip": 1}  # no second try of bzip2


def test_an_older_server_gets_gzip(tmp_path: Path, hub: FlaskHub) -> None:
    store = tablet(tmp_path, hub)
    # A server of protocol 2 named that version (or none) when the tablet enrolled.
    store.set_setting(link_key(hub), {"server_protocol": 2, "upload_rate": 1000.0})
    transport = HttpTransport(hub.url, store.device.token)
    api = SyncApi(transport)
    from field_app.core.sync_runner import restore_network

    restore_network(store, api)
    assert transport.network.push_coding() == "gzip"
    transport.close()



class _KeepAlive(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keeps the connection open, unlike the test server

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        pass


def test_on_a_slow_link_the_socket_send_buffer_is_kept_small() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _KeepAlive)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        for state, small in (({"server_protocol": 3, "rtt_s": 0.8}, True),
                             ({"server_protocol": 3, "rtt_s": 0.002}, False)):
            transport = HttpTransport(f"http://127.0.0.1:{server.server_address[1]}")
            transport.network.restore(state)
            transport.request("GET", "/api/sync/pull")
            sock = transport.socket
            assert sock is not None
            size = sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF)
            # Linux reports twice what was asked; untouched, the system's default.
            assert (size == 2 * SLOW_SNDBUF) is small, size
            transport.close()
    finally:
        server.shutdown()
        server.server_close()


def test_the_tablet_speaks_the_version_its_server_named(tmp_path: Path, hub: FlaskHub) -> None:
    """A server (or hub) that names no version is taken to speak 2: a newer tablet
    must not send it `protocol: 3`, which a protocol 2 server refuses."""
    import bz2
    import gzip
    import json

    sent: list[tuple[str, int]] = []
    inner = hub.app.wsgi_app
    old = {"server": True}

    def recording(environ: dict[str, Any], start_response: Callable[..., Any]):
        if environ["PATH_INFO"] == "/api/sync/push":
            raw = environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
            coding = environ.get("HTTP_CONTENT_ENCODING")
            body = json.loads(bz2.decompress(raw) if coding == "bzip2" else gzip.decompress(raw))
            sent.append((coding, body["protocol"]))
            environ["wsgi.input"] = io.BytesIO(raw)
        elif "protocol=" in environ.get("QUERY_STRING", ""):
            sent.append(("pull", int(environ["QUERY_STRING"].split("protocol=")[1][0])))

        def maybe_without_header(status: str, headers: list, exc_info: Any = None) -> Any:
            if old["server"]:  # a protocol 2 server sends no Hesabu-Protocol header
                headers = [h for h in headers if h[0] != "Hesabu-Protocol"]
            return start_response(status, headers, exc_info)

        return inner(environ, maybe_without_header)

    hub.app.wsgi_app = recording  # type: ignore[method-assign]
    store = tablet(tmp_path, hub, households=5)
    assert store.get_setting(link_key(hub))["server_protocol"] is None
    sync(store, hub)
    assert sent == [("gzip", 2), ("pull", 2)]

    old["server"] = False  # the server is upgraded; the tablet learns it from an answer
    sent.clear()
    records.create_record(store, "hh", "1", {"head_name": "Late"}, finalized=True)
    sync(store, hub)
    assert sent == [("gzip", 2), ("pull", 3)]
    sent.clear()
    records.create_record(store, "hh", "1", {"head_name": "Later"}, finalized=True)
    sync(store, hub)
    assert sent[0][1] == 3 and sent[1] == ("pull", 3)
    assert store.get_setting(link_key(hub))["server_protocol"] == 3
