"""HTTPS from the tablet: certificates checked against certifi's bundle (or a named CA
file), and an untrusted certificate said as such, at once, never as a weak signal.

A real Hesabu server serves HTTPS on loopback with a certificate from a test authority
made here with `cryptography`; the tablet trusts it only when given that CA file."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import certifi
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from flaskhub import FlaskHub

from client.api import SyncApi
from client.errors import SyncError
from client.transport import HttpTransport, tls_context
from field_app.core.store import Store, open_store
from field_app.core.sync_runner import enrol
from field_app.core.sync_task import enrol_device, explain


@dataclass(frozen=True)
class Pki:
    ca_file: Path
    cert_file: Path
    key_file: Path


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def make_pki(folder: Path) -> Pki:
    """A test certificate authority and a server certificate for 127.0.0.1 it signed."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("Hesabu test CA"))
          .issuer_name(_name("Hesabu test CA")).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(hours=1))
          .not_valid_after(now + dt.timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False,
                                       False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                         critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(_name("127.0.0.1"))
            .issuer_name(ca.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pki = Pki(folder / "ca.pem", folder / "server.pem", folder / "server.key")
    pki.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    pki.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pki.key_file.write_bytes(_pem_key(key))
    return pki


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def https_hub(tmp_path_factory: pytest.TempPathFactory, pki: Pki) -> Iterator[FlaskHub]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki.cert_file, pki.key_file)
    hub = FlaskHub(tmp_path_factory.mktemp("hub"), ssl_context=context)
    yield hub
    hub.close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(tmp_path / "tablet.db", device_name="tablet-7")
    yield s
    s.close()


def test_certifi_is_the_default_trust(pki: Pki) -> None:
    default = tls_context()
    assert default.verify_mode == ssl.CERT_REQUIRED and default.check_hostname
    assert default.get_ca_certs() == ssl.create_default_context(
        cafile=certifi.where()).get_ca_certs()
    assert [c["subject"] for c in tls_context(str(pki.ca_file)).get_ca_certs()] == [
        ((("commonName", "Hesabu test CA"),),)]


def test_an_untrusted_certificate_is_its_own_error_and_not_retried(
        https_hub: FlaskHub) -> None:
    sleeps: list[float] = []
    with HttpTransport(https_hub.url, sleep=sleeps.append) as transport, \
            pytest.raises(SyncError) as err:
        transport.request("GET", "/api/sync/pull", query={"cursor": 0})
    assert err.value.code == "sync.certificate_untrusted"
    assert str(err.value).startswith("The server's certificate is not trusted (")
    assert https_hub.url in str(err.value)
    assert sleeps == [] and not err.value.retryable


def test_enrolment_with_an_untrusted_server_says_so(https_hub: FlaskHub, store: Store) -> None:
    outcome = enrol_device(store, https_hub.url, https_hub.new_code())
    assert not outcome.ok
    assert outcome.headline == "The server's certificate is not trusted."
    assert "signal" not in outcome.advice and "No connection" not in outcome.headline
    assert not store.device.enrolled


def test_a_trusted_certificate_enrols_and_syncs(https_hub: FlaskHub, pki: Pki,
                                                store: Store) -> None:
    api = SyncApi(HttpTransport(https_hub.url, ca_file=str(pki.ca_file)))
    try:
        enrol(store, api, https_hub.new_code())
        page = api.pull(0, 10)
    finally:
        api.transport.close()
    assert store.device.enrolled and store.device.server_url == https_hub.url
    assert ("hh", "1") in page.forms
    assert "POST /api/devices/enrol" in https_hub.requests


def test_the_explanation_is_not_the_weak_signal_one() -> None:
    headline, advice = explain(SyncError("x", code="sync.certificate_untrusted"))
    network = explain(SyncError("x", code="sync.network"))
    assert headline == "The server's certificate is not trusted."
    assert (headline, advice) != network and "signal" not in advice
