"""The certificate of `hesabu serve --tls` (server/tls.py): made once in the instance
folder with a key only its owner reads, reused, renewed with the same key (so the pin
tablets hold stays right), and a given certificate checked before it is served."""

from __future__ import annotations

import datetime as dt
import ipaddress
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from server.tls import TlsError, given_certificate, self_signed, serving_pin
from sync.pins import PinError, check_pin, pin_of_certificate


def _cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def test_the_certificate_is_made_once_for_the_names_and_kept(tmp_path: Path) -> None:
    first = self_signed(tmp_path, ["hub.local", "192.168.1.10"])
    assert first.created and first.key.stat().st_mode & 0o777 == 0o600
    san = _cert(first.cert).extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert san.value.get_values_for_type(x509.DNSName) == ["hub.local"]
    assert san.value.get_values_for_type(x509.IPAddress) == [
        ipaddress.ip_address("192.168.1.10")]
    assert first.not_after - dt.datetime.now(dt.UTC) > dt.timedelta(days=800)
    again = self_signed(tmp_path, ["other.name"])
    assert not again.created and again.pin == first.pin == check_pin(first.pin)
    assert again.cert.read_bytes() == first.cert.read_bytes()


def test_a_certificate_near_its_end_is_renewed_with_the_same_key_and_pin(
        tmp_path: Path) -> None:
    first = self_signed(tmp_path, ["hub.local"])
    key = serialization.load_pem_private_key(first.key.read_bytes(), password=None)
    now = dt.datetime.now(dt.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hub.local")])
    ending = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
              .public_key(key.public_key()).serial_number(x509.random_serial_number())
              .not_valid_before(now - dt.timedelta(days=800))
              .not_valid_after(now + dt.timedelta(days=10))
              .add_extension(x509.SubjectAlternativeName([x509.DNSName("hub.local")]),
                             critical=False)
              .sign(key, hashes.SHA256()))
    first.cert.write_bytes(ending.public_bytes(serialization.Encoding.PEM))
    renewed = self_signed(tmp_path)
    assert renewed.created and renewed.pin == first.pin
    assert renewed.not_after - now > dt.timedelta(days=800)
    san = _cert(renewed.cert).extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert san.value.get_values_for_type(x509.DNSName) == ["hub.local"]  # names kept


def test_a_certificate_that_is_not_its_keys_is_refused(tmp_path: Path) -> None:
    files = self_signed(tmp_path / "a", ["a"])
    other = self_signed(tmp_path / "b", ["b"])
    with pytest.raises(TlsError, match="does not belong to the certificate"):
        given_certificate(files.cert, other.key)
    (tmp_path / "a" / "tls" / "cert.pem").write_bytes(other.cert.read_bytes())
    with pytest.raises(TlsError, match="does not belong to"):
        self_signed(tmp_path / "a")
    with pytest.raises(TlsError, match="cannot use the certificate"):
        given_certificate(tmp_path / "missing.pem", files.key)


def test_a_given_self_signed_certificate_is_pinned(tmp_path: Path) -> None:
    files = self_signed(tmp_path, ["x"])
    given = given_certificate(files.cert, files.key)
    assert given.pin == files.pin == pin_of_certificate(_cert(files.cert))
    assert serving_pin(tmp_path) is None  # nothing served yet


def test_an_expired_given_certificate_is_refused(tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "old")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(now - dt.timedelta(days=30))
            .not_valid_after(now - dt.timedelta(days=1)).sign(key, hashes.SHA256()))
    (tmp_path / "c.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "k.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    with pytest.raises(TlsError, match="expired on"):
        given_certificate(tmp_path / "c.pem", tmp_path / "k.pem")


@pytest.mark.parametrize("text", ["", "sha256/short", "sha1/" + "A" * 43,
                                  "sha256/" + "A" * 42 + "+"])
def test_a_text_that_is_not_a_pin_is_refused(text: str) -> None:
    with pytest.raises(PinError, match="not a certificate pin"):
        check_pin(text)


def test_tls_next_and_tls_switch_roll_the_key_over(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from hesabu.cli import main

    current = self_signed(tmp_path, ["hub.local"])
    early = CliRunner().invoke(main, ["server", "tls-switch", "--instance", str(tmp_path)])
    assert early.exit_code == 1 and "no next certificate prepared" in early.output
    made = CliRunner().invoke(main, ["server", "tls-next", "--instance", str(tmp_path)])
    assert made.exit_code == 0, made.output
    nxt = check_pin(made.output.split("next pin: ")[1].split()[0])
    assert nxt != current.pin and self_signed(tmp_path).next_pin == nxt
    again = CliRunner().invoke(main, ["server", "tls-next", "--instance", str(tmp_path)])
    assert f"next pin: {nxt}" in again.output and "already prepared" in again.output
    switched = CliRunner().invoke(main, ["server", "tls-switch", "--instance", str(tmp_path)])
    assert switched.exit_code == 0 and nxt in switched.output
    served = self_signed(tmp_path)
    assert served.pin == nxt and served.next_pin is None and not served.created
    assert (tmp_path / "tls" / "previous" / "key.pem").stat().st_mode & 0o777 == 0o600
    assert served.key.stat().st_mode & 0o777 == 0o600
    san = _cert(served.cert).extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert san.value.get_values_for_type(x509.DNSName) == ["hub.local"]


def test_the_qr_pin_of_a_server_behind_a_proxy_comes_from_the_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from server.app import create_app
    from server.extensions import db
    from server.services.device_accounts import tls_pin

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'h.db'}",
                      "INSTANCE_PATH": str(tmp_path)})
    pin = self_signed(tmp_path / "proxy", ["x"]).pin
    with app.app_context():
        assert tls_pin() is None
        monkeypatch.setenv("HESABU_TLS_PIN", pin)
        assert tls_pin() == pin
        monkeypatch.setenv("HESABU_TLS_PIN", "sha256/short")
        with pytest.raises(PinError):
            tls_pin()
        db.engine.dispose()


def test_the_pins_a_device_keeps_through_a_key_rollover() -> None:
    from sync.pins import pins_after

    old, new = "sha256/" + "A" * 43, "sha256/" + "B" * 43
    assert pins_after((old,), old, None) == (old,)
    assert pins_after((old,), old, new) == (old, new)  # announced: both kept
    assert pins_after((old, new), None, None) == (old, new)  # never connected: unchanged
    assert pins_after((old, new), new, None) == (new,)  # switched: the old one goes
    assert pins_after((), None, new) == ()  # not pinned (a CA's certificate): none learnt
