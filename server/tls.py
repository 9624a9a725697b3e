"""`hesabu serve --tls`: the server's certificate and HTTPS with cheroot.

    files = self_signed(instance, names)            # made once, kept, reused
    files = given_certificate(cert_path, key_path)  # e.g. from Let's Encrypt
    server = https_server(app, host, port, files)   # cheroot with its builtin TLS
    server.prepare(); server.serve()

A self-signed certificate lives in `<instance>/tls/` (`cert.pem`, and `key.pem` readable
by its owner only). A new key (a stolen laptop, a policy) is rolled over without
re-enrolling tablets: `prepare_next` makes the next pair in `<instance>/tls/next/`, the
running server announces its pin to every device that syncs (`Hesabu-Next-Pin`, on
answers to requests made with the device's token over the connection pinned to the
current key), and `switch_to_next` serves it from the next start on; the old pair is
kept in `<instance>/tls/previous/`. It is made on the first start with the names and addresses given
(else the machine's name, `localhost` and its addresses) and reused on every start, so
its pin stays the same; when it has less than RENEW_BEFORE left it is made again with
the same key (same pin), so tablets never notice. Tablets trust it by its pin, which the
enrolment QR code carries (sync/pins.py); a certificate signed by an authority is
trusted by the tablet's CA bundle and needs no pin.

waitress (plain `hesabu serve`) has no TLS; cheroot (CherryPy's server, pure Python,
Linux and Windows) does, with the standard library's ssl module.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from sync.pins import NEXT_PIN_HEADER, pin_of_certificate

__all__ = ["NEXT_PIN_HEADER", "TlsError", "TlsFiles", "given_certificate", "https_server",
           "note_serving", "prepare_next", "self_signed", "serving_pin", "switch_to_next"]

#: A self-signed certificate is valid this long (the most browsers accept for a
#: certificate a person trusted by hand is 825 days).
VALID_DAYS = 825
#: ... and is made again (same key, same pin) when less than this is left.
RENEW_BEFORE = dt.timedelta(days=30)
TLS_DIR = "tls"
#: What the running server serves, for `hesabu server enrol-code` in another process.
SERVING_FILE = "serving.json"
NEXT_DIR = "next"


class TlsError(ValueError):
    """A certificate or key that cannot be used; the message says why."""


@dataclass(frozen=True)
class TlsFiles:
    """A certificate and key to serve, and the pin tablets are given (None: the
    certificate is signed by an authority, so tablets check it against their CA bundle)."""

    cert: Path
    key: Path
    pin: str | None
    not_after: dt.datetime
    created: bool = False
    #: The pin of the pair prepared to replace this one (`prepare_next`), announced to
    #: devices while this one is served.
    next_pin: str | None = None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def local_names(host: str = "") -> list[str]:
    """This machine's names and addresses for a certificate: its host name, `localhost`,
    loopback, the address `host` it listens on (unless it is every address) and the
    address its default route leaves from (no packet is sent to find it)."""
    names = [socket.gethostname(), "localhost", "127.0.0.1", "::1"]
    if host and host not in ("0.0.0.0", "::", ""):
        names.append(host)
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))  # a documentation address: UDP connect sends nothing
        names.append(probe.getsockname()[0])
    except OSError:
        pass  # no route (an office laptop on no network yet)
    finally:
        probe.close()
    return list(dict.fromkeys(n for n in names if n))


def _alt_names(names: Iterable[str]) -> list[x509.GeneralName]:
    found: list[x509.GeneralName] = []
    for name in names:
        try:
            found.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            found.append(x509.DNSName(name))
    return found


def _issue(key: ec.EllipticCurvePrivateKey, names: Sequence[str]) -> x509.Certificate:
    now = _now()
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0][:64]),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Hesabu")])
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=VALID_DAYS))
            .add_extension(x509.SubjectAlternativeName(_alt_names(names)), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .sign(key, hashes.SHA256()))


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    """The key in a file only its owner can read (made so, never widened after)."""
    data = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.replace(tmp, path)


def _write_cert(path: Path, cert: x509.Certificate) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    os.replace(tmp, path)


def _load_key(path: Path) -> Any:
    try:
        return serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise TlsError(f"cannot use the key {path}: {exc}") from exc


def _load_cert(path: Path) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise TlsError(f"cannot use the certificate {path}: {exc}") from exc


def self_signed(instance: str | Path, names: Sequence[str] = ()) -> TlsFiles:
    """The instance's own certificate: made on the first call (for `names`, else
    `local_names()`), then reused; re-issued with the same key when it nears its end."""
    folder = Path(instance) / TLS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    created = False
    if key_path.exists():
        key = _load_key(key_path)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise TlsError(f"{key_path} is not the EC key `hesabu serve --tls` makes")
    else:
        key = ec.generate_private_key(ec.SECP256R1())
        _write_key(key_path, key)
        cert_path.unlink(missing_ok=True)  # a certificate without its key is of no use
    cert = _load_cert(cert_path) if cert_path.exists() else None
    if cert is not None and cert.public_key() != key.public_key():
        raise TlsError(f"{cert_path} does not belong to {key_path}: move both away to "
                       "make a new pair (tablets then need the new pin)")
    if cert is None or cert.not_valid_after_utc - _now() < RENEW_BEFORE:
        kept = list(names) or _names_of(cert) or local_names()
        cert = _issue(key, kept)
        _write_cert(cert_path, cert)
        created = True
    nxt = folder / NEXT_DIR / "cert.pem"
    next_pin = pin_of_certificate(_load_cert(nxt)) if nxt.exists() else None
    return TlsFiles(cert_path, key_path, pin_of_certificate(cert), cert.not_valid_after_utc,
                    created, next_pin)


def prepare_next(instance: str | Path, names: Sequence[str] = ()) -> TlsFiles:
    """The pair that will replace the instance's certificate: a new key, a certificate
    for the same names (or `names`). Made once; asking again gives the same pair."""
    current = self_signed(instance)
    folder = Path(instance) / TLS_DIR / NEXT_DIR
    if (folder / "key.pem").exists() and (folder / "cert.pem").exists():
        cert = _load_cert(folder / "cert.pem")
        return TlsFiles(folder / "cert.pem", folder / "key.pem", pin_of_certificate(cert),
                        cert.not_valid_after_utc)
    folder.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _issue(key, list(names) or _names_of(_load_cert(current.cert)) or local_names())
    _write_key(folder / "key.pem", key)
    _write_cert(folder / "cert.pem", cert)
    return TlsFiles(folder / "cert.pem", folder / "key.pem", pin_of_certificate(cert),
                    cert.not_valid_after_utc, created=True)


def switch_to_next(instance: str | Path) -> TlsFiles:
    """Serve the prepared pair from the next start on; the old one goes to previous/."""
    folder = Path(instance) / TLS_DIR
    nxt, previous = folder / NEXT_DIR, folder / "previous"
    if not (nxt / "cert.pem").exists() or not (nxt / "key.pem").exists():
        raise TlsError("no next certificate prepared: run `hesabu server tls-next` first, "
                       "and let the tablets sync while the old one is still served")
    previous.mkdir(exist_ok=True)
    for name in ("cert.pem", "key.pem"):
        os.replace(folder / name, previous / name)
    for name in ("key.pem", "cert.pem"):
        os.replace(nxt / name, folder / name)
    nxt.rmdir()
    return self_signed(instance)


def _names_of(cert: x509.Certificate | None) -> list[str]:
    if cert is None:
        return []
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [str(v) for v in san.get_values_for_type(x509.DNSName)] + \
        [str(v) for v in san.get_values_for_type(x509.IPAddress)]


def given_certificate(cert_path: str | Path, key_path: str | Path) -> TlsFiles:
    """A certificate and key made elsewhere. A self-signed one is pinned like ours; one
    signed by an authority is not (tablets check it against their CA bundle)."""
    cert_path, key_path = Path(cert_path), Path(key_path)
    cert, key = _load_cert(cert_path), _load_key(key_path)
    if cert.public_key() != key.public_key():
        raise TlsError(f"the key {key_path} does not belong to the certificate {cert_path}")
    if cert.not_valid_after_utc <= _now():
        raise TlsError(f"the certificate {cert_path} expired on "
                       f"{cert.not_valid_after_utc:%Y-%m-%d}")
    pin = pin_of_certificate(cert) if cert.issuer == cert.subject else None
    return TlsFiles(cert_path, key_path, pin, cert.not_valid_after_utc)


def https_server(app: Any, host: str, port: int, files: TlsFiles, threads: int = 8) -> Any:
    """A cheroot WSGI server for `app` over TLS (not started: `prepare()` binds the
    port, then `serve()`; `stop()` ends it)."""
    from cheroot import wsgi
    from cheroot.ssl.builtin import BuiltinSSLAdapter

    server = wsgi.Server((host, port), app, numthreads=threads, server_name="hesabu")
    # No body limit here: the app answers a body over MAX_CONTENT_LENGTH with its own
    # JSON 413 from the Content-Length, before reading it.
    server.ssl_adapter = BuiltinSSLAdapter(str(files.cert), str(files.key))
    return server


def note_serving(instance: str | Path, files: TlsFiles | None) -> None:
    """Tell other commands on this instance (`hesabu server enrol-code`) what the server
    serves: the pin of its certificate, or nothing (plain HTTP, or an authority's)."""
    path = Path(instance) / TLS_DIR / SERVING_FILE
    if files is None:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"pin": files.pin, "cert": str(files.cert)}), encoding="utf-8")


def serving_pin(instance: str | Path) -> str | None:
    """The pin the last `hesabu serve --tls` on this instance gave tablets, if any."""
    try:
        data = json.loads((Path(instance) / TLS_DIR / SERVING_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    pin = data.get("pin") if isinstance(data, dict) else None
    return pin if isinstance(pin, str) else None
