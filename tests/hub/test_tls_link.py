"""An office hub linking with a central server on `hesabu serve --tls`: it pins the
central's certificate (`hesabu hub link --cert-pin`), keeps the pin, and every later round
(`hesabu hub sync-once`, the background worker) trusts exactly that certificate.

The central server is real (cheroot over TLS on loopback, its certificate made in its
instance folder), and so is the hub (a SQLite database driven by the commands)."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from harness import close_app, enrolment_code, make_server, publish_test_form

from hesabu.cli import main
from server.tls import https_server, self_signed


class TlsCentral:
    """A central server on HTTPS with a certificate of its own; it notes every request."""

    def __init__(self, instance: Path) -> None:
        self.app = make_server(f"sqlite:///{instance / 'hesabu.db'}", instance)
        publish_test_form(self.app)
        self.files = self_signed(instance, ["127.0.0.1"])
        self.requests: list[str] = []
        self._server = https_server(self._wsgi, "127.0.0.1", 0, self.files, threads=2)
        self._server.prepare()
        self.url = f"https://127.0.0.1:{self._server.bind_addr[1]}"
        self._thread = threading.Thread(target=self._server.serve, daemon=True)
        self._thread.start()

    def _wsgi(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        self.requests.append(f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}")
        return self.app(environ, start_response)

    def close(self) -> None:
        self._server.stop()
        self._thread.join(timeout=10)
        close_app(self.app)


@pytest.fixture(scope="module")
def central(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsCentral]:
    server = TlsCentral(tmp_path_factory.mktemp("central"))
    yield server
    server.close()


def _hub(tmp_path: Path) -> list[str]:
    return ["--database-url", f"sqlite:///{tmp_path / 'hub.db'}",
            "--instance", str(tmp_path / "hub")]


def _cli(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def test_a_hub_pins_the_central_server_and_syncs_by_the_pin(
        central: TlsCentral, tmp_path: Path) -> None:
    linked = _cli("hub", "link", "--upstream", central.url, "--code",
                  enrolment_code(central.app), "--hub-id", "hub-tls", "--cert-pin",
                  central.files.pin, *_hub(tmp_path))
    assert linked.exit_code == 0, linked.output
    once = _cli("hub", "sync-once", *_hub(tmp_path))
    assert once.exit_code == 0, once.output
    assert json.loads(once.output)["ok"]
    assert "GET /api/sync/pull" in central.requests


def test_a_hub_refuses_a_central_server_with_another_certificate(
        central: TlsCentral, tmp_path: Path) -> None:
    other = self_signed(tmp_path / "other", ["127.0.0.1"])
    before = len(central.requests)
    linked = _cli("hub", "link", "--upstream", central.url, "--code",
                  enrolment_code(central.app), "--cert-pin", other.pin, *_hub(tmp_path))
    assert linked.exit_code == 1
    assert "is not the one this device was enrolled with" in linked.output
    assert "Nothing was sent" in linked.output
    assert len(central.requests) == before  # not even the enrolment code went out
    status = _cli("hub", "status", *_hub(tmp_path))
    assert json.loads(status.output) == {"linked": False}


def test_without_a_pin_the_self_signed_central_server_is_untrusted(
        central: TlsCentral, tmp_path: Path) -> None:
    linked = _cli("hub", "link", "--upstream", central.url, "--code",
                  enrolment_code(central.app), *_hub(tmp_path))
    assert linked.exit_code == 1 and "certificate is not trusted" in linked.output
    bad = _cli("hub", "link", "--upstream", central.url, "--code", "x", "--cert-pin",
               "sha256/abc", *_hub(tmp_path))
    assert bad.exit_code == 2 and "not a certificate pin" in bad.output


def test_a_hub_learns_the_next_pin_its_central_server_announces(
        central: TlsCentral, tmp_path: Path) -> None:
    linked = _cli("hub", "link", "--upstream", central.url, "--code",
                  enrolment_code(central.app), "--cert-pin", central.files.pin, *_hub(tmp_path))
    assert linked.exit_code == 0, linked.output
    nxt = self_signed(tmp_path / "next", ["127.0.0.1"]).pin  # stands for tls-next's pair
    central.app.config["HESABU_TLS_NEXT_PIN"] = nxt
    try:
        once = _cli("hub", "sync-once", *_hub(tmp_path))
        assert once.exit_code == 0, once.output
    finally:
        central.app.config.pop("HESABU_TLS_NEXT_PIN")
    with sqlite3.connect(tmp_path / "hub.db") as conn:
        kept = json.loads(conn.execute("SELECT tls_pins FROM hub_link").fetchone()[0])
    conn.close()
    assert kept == [central.files.pin, nxt]
