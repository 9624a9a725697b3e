"""Certificate pins: what a tablet (or a hub) trusts instead of a public authority.

A pin is `sha256/` and the SHA-256 of the certificate's SubjectPublicKeyInfo (its public
key, algorithm included) in unpadded base64url: 50 characters, the form OkHttp and
HPKP made familiar. The key, not the whole certificate: a certificate renewed with the
same key (the default of `hesabu serve --tls`) keeps its pin, so only a new key needs
a new pin on the tablets (docs/deploy.md, "Renewing the certificate").
"""

from __future__ import annotations

import base64
import hashlib
import re

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

PREFIX = "sha256/"
#: The answer header by which a server announces the pin of its next certificate to an
#: authenticated device (over a connection pinned to the current one).
NEXT_PIN_HEADER = "Hesabu-Next-Pin"
PIN_RE = re.compile(r"^sha256/[A-Za-z0-9_-]{43}$")


class PinError(ValueError):
    """A text that is not a pin."""


def pin_of_key(spki_der: bytes) -> str:
    """The pin of a SubjectPublicKeyInfo (DER)."""
    digest = hashlib.sha256(spki_der).digest()
    return PREFIX + base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def pin_of_certificate(cert: x509.Certificate) -> str:
    """The pin of a certificate's public key."""
    return pin_of_key(cert.public_key().public_bytes(Encoding.DER,
                                                     PublicFormat.SubjectPublicKeyInfo))


def pin_of_der(der: bytes) -> str:
    """The pin of a certificate in DER (what a TLS connection shows of its peer)."""
    return pin_of_certificate(x509.load_der_x509_certificate(der))


def check_pin(text: str) -> str:
    """`text` as a pin (spaces around it dropped), or PinError."""
    pin = (text or "").strip()
    if not PIN_RE.match(pin):
        raise PinError(f"not a certificate pin: {text!r} (want sha256/ and 43 characters "
                       "of base64url, as `hesabu serve --tls` prints it)")
    return pin


def pins_after(pins: tuple[str, ...], used: str | None, announced: str | None
               ) -> tuple[str, ...]:
    """The pins a device keeps after talking to its server: the one the server's
    certificate matched (or all it had, when it never connected) and the next one the
    server announced. So both are kept while the server announces its next key, and the
    old one is dropped once the server serves the new one."""
    if not pins:
        return pins
    kept = [used] if used else list(pins)
    if announced and announced not in kept:
        kept.append(announced)
    return tuple(kept)
