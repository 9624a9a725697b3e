"""Ed25519 keys and signatures for bundles, as hex strings (no I/O).

A device makes its key pair when it enrols and sends the public half with the
enrolment request; a server (or hub) keeps its own pair in its instance folder. Keys
travel and are stored as 64 lowercase hex digits (32 raw bytes).
"""

from __future__ import annotations

import re

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

KEY_RE = re.compile(r"^[0-9a-f]{64}$")


def new_private_key() -> str:
    """A fresh private key (hex of its 32 raw bytes)."""
    return Ed25519PrivateKey.generate().private_bytes_raw().hex()


def public_key(private_hex: str) -> str:
    """The public key (hex) belonging to a private key (hex)."""
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(private_hex))
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def sign(private_hex: str, data: bytes) -> bytes:
    """The 64-byte Ed25519 signature of `data`."""
    return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(private_hex)).sign(data)


def verify(public_hex: str, signature: bytes, data: bytes) -> bool:
    """Whether `signature` is `data` signed by the private half of `public_hex`."""
    if not is_public_key(public_hex) or len(signature) != 64:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex)).verify(signature, data)
    except InvalidSignature:
        return False
    return True


def is_public_key(value: object) -> bool:
    return isinstance(value, str) and bool(KEY_RE.match(value))


#: What a device signs to prove, at enrolment, that it holds its key (a version tag, so
#: a signature made for anything else never counts as one).
ENROL_PROOF_TAG = "hesabu enrolment proof 1"


def normalise_code(code: str) -> str:
    """An enrolment code as it is compared: without case, spaces or dashes."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def enrolment_proof_message(code: str, device_id: str, public_key_hex: str) -> bytes:
    """The bytes a device signs when it enrols: the one-time code (as the server
    compares it, `normalise_code`), its id and its public key. The code is spent by the
    enrolment, so a signature cannot be replayed with another code."""
    return "\n".join((ENROL_PROOF_TAG, normalise_code(code), device_id,
                      public_key_hex)).encode("utf-8")
