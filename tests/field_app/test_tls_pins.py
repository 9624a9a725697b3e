"""TLS without a public authority: `hesabu serve --tls` serves HTTPS (cheroot) with a
certificate of its own, the enrolment QR code carries its pin, and the tablet trusts
exactly that certificate, on every connection.

Real servers on loopback throughout: the server of `hesabu serve --tls` (cheroot, its
certificate made in the instance folder), another one with a different certificate (a
machine on the office Wi-Fi pretending to be the server), and a TCP forwarder standing
for the network path (it sends the tablet's address to one or the other)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from faultproxy import FaultProxy
from flaskhub import FlaskHub
from test_tls import make_pki

from client.api import SyncApi
from client.errors import SyncError
from client.transport import HttpTransport, PinnedConnection
from field_app.core.app_state import BadEnrolmentError, parse_enrolment
from field_app.core.pins import server_pins
from field_app.core.store import Store, open_store
from field_app.core.sync_task import enrol_device, explain, sync_once
from server.services.device_accounts import enrolment_payload
from server.tls import given_certificate, prepare_next, self_signed, switch_to_next
from sync.pins import check_pin


def _tls_server(tmp_path_factory: pytest.TempPathFactory, name: str) -> FlaskHub:
    """A server as `hesabu serve --tls` runs it, with a certificate of its own."""
    instance = tmp_path_factory.mktemp(name)
    return FlaskHub(instance, tls=self_signed(instance, ["127.0.0.1"]))


@pytest.fixture(scope="module")
def central(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FlaskHub]:
    hub = _tls_server(tmp_path_factory, "central")
    yield hub
    hub.close()


@pytest.fixture(scope="module")
def impostor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FlaskHub]:
    """Another machine answering for the server's address, with another certificate."""
    hub = _tls_server(tmp_path_factory, "impostor")
    yield hub
    hub.close()


@pytest.fixture
def path(central: FlaskHub) -> Iterator[FaultProxy]:
    """The network between the tablet and the server (starts out honest)."""
    proxy = FaultProxy(central.port)
    yield proxy
    proxy.close()


def _url(proxy: FaultProxy) -> str:
    return f"https://127.0.0.1:{proxy.port}"


def _qr(central: FlaskHub, server_url: str) -> str:
    """The text of the enrolment QR code a leader shows (as the Devices page makes it)."""
    with central.app.app_context():
        from server.services.device_accounts import tls_pin

        return enrolment_payload(server_url, central.new_code(), tls_pin())


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(tmp_path / "tablet.db", device_name="tablet-9")
    yield s
    s.close()


def test_the_qr_code_carries_the_pin_and_the_tablet_enrols_and_syncs_by_it(
        central: FlaskHub, path: FaultProxy, store: Store) -> None:
    qr = _qr(central, _url(path))
    assert "&pin=sha256%2F" in qr
    enrolment = parse_enrolment(qr)
    assert enrolment.pin == central.app.config["HESABU_TLS_PIN"]
    outcome = enrol_device(store, enrolment.server, enrolment.code, enrolment.pin)
    assert outcome.ok, outcome
    assert server_pins(store) == (enrolment.pin,)
    synced = sync_once(store)
    assert synced.ok, synced
    assert store.device.enrolled and ("hh", "1") in {
        (f["form_id"], f["version"]) for f in store.query("SELECT * FROM forms")}


def test_an_impostor_gets_nothing_not_even_the_token(
        central: FlaskHub, impostor: FlaskHub, path: FaultProxy, store: Store) -> None:
    qr = parse_enrolment(_qr(central, _url(path)))
    assert enrol_device(store, qr.server, qr.code, qr.pin).ok
    token = store.device.token
    before = len(impostor.requests)
    path.target = ("127.0.0.1", impostor.port)  # the Wi-Fi now leads somewhere else
    outcome = sync_once(store)
    assert not outcome.ok
    assert outcome.headline == "This is not your server."
    assert "Nothing was sent" in outcome.advice
    assert len(impostor.requests) == before  # no request at all: no token, no record
    assert store.device.token == token and server_pins(store) == (qr.pin,)

    sleeps: list[float] = []
    with HttpTransport(qr.server, token, pins=(qr.pin,), sleep=sleeps.append) as transport, \
            pytest.raises(SyncError) as err:
        transport.request("GET", "/api/sync/pull", query={"cursor": 0})
    assert err.value.code == "sync.certificate_pin_mismatch"
    assert not err.value.retryable and sleeps == []
    assert err.value.details["found"] == impostor.app.config["HESABU_TLS_PIN"]
    assert len(impostor.requests) == before


def test_enrolling_through_an_impostor_sends_not_even_the_code(
        central: FlaskHub, impostor: FlaskHub, path: FaultProxy, store: Store) -> None:
    qr = parse_enrolment(_qr(central, _url(path)))
    path.target = ("127.0.0.1", impostor.port)
    before = len(impostor.requests)
    outcome = enrol_device(store, qr.server, qr.code, qr.pin)
    assert not outcome.ok and outcome.headline == "This is not your server."
    assert len(impostor.requests) == before and not store.device.enrolled


def test_without_the_pin_a_self_signed_server_is_untrusted(
        central: FlaskHub, path: FaultProxy, store: Store) -> None:
    outcome = enrol_device(store, _url(path), central.new_code())  # typed: no pin
    assert not outcome.ok and outcome.headline == "The server's certificate is not trusted."
    assert "enrol by reading your leader's QR code" in outcome.advice


def test_a_server_with_an_authority_signed_certificate_needs_no_pin(
        tmp_path: Path, store: Store) -> None:
    pki = make_pki(tmp_path)
    files = given_certificate(pki.cert_file, pki.key_file)
    assert files.pin is None
    hub = FlaskHub(tmp_path / "ca-signed", tls=files)
    try:
        qr = parse_enrolment(_qr(hub, hub.url))
        assert qr.pin == "" and "pin=" not in _qr(hub, hub.url)
        api = SyncApi(HttpTransport(qr.server, ca_file=str(pki.ca_file)))
        try:
            from field_app.core.sync_runner import enrol

            enrol(store, api, qr.code)
            assert ("hh", "1") in api.pull(0, 10).forms
        finally:
            api.transport.close()
        assert server_pins(store) == ()
    finally:
        hub.close()


def test_a_damaged_pin_in_a_qr_code_is_refused_in_plain_words() -> None:
    text = "hesabu://enrol?server=https%3A%2F%2F10.0.0.2%3A5000&code=AB-CD&pin=sha256%2Fabc"
    with pytest.raises(BadEnrolmentError, match="certificate pin is not complete"):
        parse_enrolment(text)
    assert enrolment_payload("http://10.0.0.2:5000", "AB", "sha256/" + "A" * 43) == \
        "hesabu://enrol?server=http%3A%2F%2F10.0.0.2%3A5000&code=AB"  # no pin over http


def test_the_pin_mismatch_has_its_own_explanation() -> None:
    mismatch = explain(SyncError("x", code="sync.certificate_pin_mismatch"))
    assert mismatch[0] == "This is not your server."
    assert mismatch != explain(SyncError("x", code="sync.certificate_untrusted"))


def test_hesabu_serve_tls_makes_its_certificate_and_serves_https(tmp_path: Path) -> None:
    """The command itself: HTTPS on a port the system chose, the pin printed, the
    certificate kept in the instance with a key only its owner reads."""
    exe = Path(sys.executable).parent / "hesabu"
    proc = subprocess.Popen(
        [str(exe), "serve", "--tls", "--port", "0", "--instance", str(tmp_path),
         "--tls-name", "127.0.0.1"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        lines: list[str] = []
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("Hesabu server on"):
                break
        text = "".join(lines)
        pin = check_pin(re.search(r"pin \(in every enrolment QR code\): (\S+)", text)[1])
        url = re.search(r"on (https://\S+)", text)[1]
        assert "(made now;" in text
        assert (tmp_path / "tls" / "key.pem").stat().st_mode & 0o777 == 0o600
        with HttpTransport(url, pins=(pin,)) as transport:
            answer = transport.request("GET", "/api/sync/pull", accept=(401,))
        assert answer.status == 401 and answer.json()["error"]["code"] == "auth.token_invalid"
        assert self_signed(tmp_path).pin == pin  # kept: the next start serves the same
    finally:
        proc.terminate()
        proc.communicate(timeout=30)  # reads what is left and closes the pipe


def test_a_new_certificate_reaches_the_tablets_while_the_old_one_is_served(
        tmp_path: Path, store: Store) -> None:
    """Renewal with a new key: the server announces the next pin to each device that
    syncs (over the connection pinned to the current key); after the switch those
    devices connect by the new pin and forget the old one. A device that did not sync
    in between is refused, as any other certificate would be."""
    instance = tmp_path / "server"
    old = FlaskHub(instance, tls=self_signed(instance, ["127.0.0.1"]))
    path = FaultProxy(old.port)
    late = open_store(tmp_path / "late.db", device_name="late")
    try:
        for tablet in (store, late):
            qr = parse_enrolment(_qr(old, _url(path)))
            assert enrol_device(tablet, qr.server, qr.code, qr.pin).ok
        first = qr.pin
        nxt = prepare_next(instance)
        assert self_signed(instance).next_pin == nxt.pin != first
        old.app.config["HESABU_TLS_NEXT_PIN"] = nxt.pin  # as `hesabu serve --tls` sets it
        with HttpTransport(_url(path), pins=(first,)) as anonymous:  # no token: not told
            assert anonymous.request("GET", "/api/sync/pull", accept=(401,)).status == 401
            assert anonymous.next_pin is None and anonymous.pin_used == first
        assert sync_once(store).ok
        assert server_pins(store) == (first, nxt.pin)
        assert server_pins(late) == (first,)
        old.close()

        switched = switch_to_next(instance)
        assert switched.pin == nxt.pin and switched.next_pin is None
        new = FlaskHub(instance, tls=switched)
        try:
            path.target = ("127.0.0.1", new.port)  # the same address, the new certificate
            assert sync_once(store).ok
            assert server_pins(store) == (nxt.pin,)  # the old pin is forgotten
            missed = sync_once(late)
            assert missed.headline == "This is not your server."
        finally:
            new.close()
    finally:
        late.close()
        path.close()


def test_a_body_over_the_limit_is_the_apps_json_413_over_tls(central: FlaskHub) -> None:
    """cheroot has no body limit of its own: the app answers from Content-Length, in the
    API's error shape, before the body is sent (as a client sending `Expect` would)."""
    with HttpTransport(central.url, pins=central.pins) as transport:
        token = SyncApi(transport).enrol(central.new_code(), "tab-413", "t")["token"]
    conn = PinnedConnection("127.0.0.1", central.port, pins=central.pins, timeout=30)
    try:
        conn.putrequest("POST", "/api/sync/push")
        for name, value in (("Content-Type", "application/json"),
                            ("Content-Length", str(8 * 1024 * 1024 + 1)),
                            ("Authorization", f"Bearer {token}")):
            conn.putheader(name, value)
        conn.endheaders()
        answer = conn.getresponse()
        body = answer.read()
    finally:
        conn.close()
    assert answer.status == 413
    assert json.loads(body)["error"]["code"] == "sync.batch_too_large"
