"""Encryption at rest of the device store: the data key and the ways to unlock it.

A store with a vault keeps the answers, op texts, conflict values and review comments
sealed with AES-256-GCM under one random 256-bit *data key* (`Cipher`). The data key is
never stored in clear; the settings key `vault` holds it wrapped twice:

- by the PIN: a key derived from the PIN with scrypt (`SCRYPT_N`, `SCRYPT_R`, `SCRYPT_P`
  and a random salt), and on Android that wrapped key is wrapped once more by a key
  of the Android Keystore (`Keystore`), which never leaves the tablet's hardware: a
  copy of the file alone cannot be tried against the 10^4..10^8 PINs on a computer;
- by the recovery key: 160 random bits shown once when the PIN is chosen, for the
  enumerator's leader to write down (`format_recovery_key`). With it a leader opens the
  store when the PIN is forgotten, on the tablet or from a copy of the file
  (`hesabu device recover`), and sets a new PIN: unsent work is never lost.

Values are sealed as `b"\\x01" + nonce (12 bytes) + ciphertext + tag (16 bytes)`, a
BLOB; a text value (str) is a store without a vault. Nonces are random: a tablet seals
far fewer than the 2^32 values one key may take with random 96-bit nonces.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from dataclasses import dataclass
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from field_app.core.i18n import _

#: scrypt cost for the PIN: 2^15 x 8 x 128 bytes = 32 MiB of memory and ~0.1 s on a
#: desktop core, ~0.3-0.6 s on a 2020-era tablet. The memory is what makes trying PINs on
#: GPUs expensive; more would risk an out-of-memory kill on a 2 GB tablet running Kivy.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 15, 8, 1
VAULT_VERSION = 1
SEALED = b"\x01"
NONCE = 12
RECOVERY_BYTES = 20  # 160 bits: 32 base32 letters, written as 8 groups of 4


class VaultError(ValueError):
    """A sealed value or a vault that cannot be read (damaged, or the wrong key)."""


class Keystore(Protocol):
    """Wraps a secret under a key that stays in the device's hardware (Android Keystore).

    `name` is kept in the vault so unlocking knows the wrap is there."""

    name: str

    def wrap(self, data: bytes) -> bytes: ...

    def unwrap(self, blob: bytes) -> bytes: ...


class Cipher:
    """Seals and opens values under the data key (AES-256-GCM)."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise VaultError("the data key must be 32 bytes")
        self.key = key
        self._aead = AESGCM(key)

    def seal_bytes(self, data: bytes) -> bytes:
        nonce = os.urandom(NONCE)
        return SEALED + nonce + self._aead.encrypt(nonce, data, None)

    def open_bytes(self, blob: bytes) -> bytes:
        if blob[:1] != SEALED or len(blob) < 1 + NONCE + 16:
            raise VaultError("not a sealed value")
        try:
            return self._aead.decrypt(blob[1:1 + NONCE], blob[1 + NONCE:], None)
        except InvalidTag as exc:
            raise VaultError("a sealed value does not open with this store's key "
                             "(damaged, or from another store)") from exc

    def seal(self, text: str) -> bytes:
        return self.seal_bytes(text.encode("utf-8"))

    def open(self, blob: bytes) -> str:
        return self.open_bytes(blob).decode("utf-8")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"))


def _wrap(kek: bytes, secret: bytes, label: bytes) -> bytes:
    nonce = os.urandom(NONCE)
    return nonce + AESGCM(kek).encrypt(nonce, secret, label)


def _unwrap(kek: bytes, blob: bytes, label: bytes) -> bytes | None:
    try:
        return AESGCM(kek).decrypt(blob[:NONCE], blob[NONCE:], label)
    except (InvalidTag, ValueError):
        return None


def pin_key(pin: str, kdf: dict[str, Any]) -> bytes:
    """The key derived from a PIN with the vault's scrypt parameters."""
    return Scrypt(salt=_unb64(kdf["salt"]), length=32, n=int(kdf["n"]), r=int(kdf["r"]),
                  p=int(kdf["p"])).derive(pin.strip().encode("utf-8"))


def _recovery_kek(raw: bytes) -> bytes:
    # 160 random bits need no slow KDF: HKDF only separates this key from other uses.
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=b"hesabu device recovery").derive(raw)


def format_recovery_key(raw: bytes) -> str:
    letters = base64.b32encode(raw).decode("ascii").rstrip("=")
    return "-".join(letters[i:i + 4] for i in range(0, len(letters), 4))


def parse_recovery_key(text: str) -> bytes | None:
    """The recovery key's bytes from what a leader typed (groups, spaces, any case)."""
    letters = "".join(ch for ch in text.upper() if ch.isalnum())
    letters = letters.replace("0", "O").replace("1", "I").replace("8", "B")
    try:
        raw = base64.b32decode(letters + "=" * (-len(letters) % 8))
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == RECOVERY_BYTES else None


@dataclass(frozen=True)
class NewVault:
    """A vault just made: what to keep (`record`), the key, the recovery key to show."""

    record: dict[str, Any]
    data_key: bytes
    recovery_key: str


def _pin_wrap(data_key: bytes, pin: str, keystore: Keystore | None,
              n: int) -> dict[str, Any]:
    kdf = {"name": "scrypt", "n": n, "r": SCRYPT_R, "p": SCRYPT_P,
           "salt": _b64(os.urandom(16))}
    wrapped = _wrap(pin_key(pin, kdf), data_key, b"hesabu pin")
    if keystore is not None:
        wrapped = keystore.wrap(wrapped)
    return {"kdf": kdf, "pin": _b64(wrapped),
            "keystore": keystore.name if keystore is not None else None}


def create_vault(pin: str, keystore: Keystore | None = None, *,
                 n: int = SCRYPT_N) -> NewVault:
    """A new data key, wrapped by the PIN (and the keystore) and by a recovery key."""
    data_key = secrets.token_bytes(32)
    raw = secrets.token_bytes(RECOVERY_BYTES)
    record = {"version": VAULT_VERSION, **_pin_wrap(data_key, pin, keystore, n),
              "recovery": _b64(_wrap(_recovery_kek(raw), data_key, b"hesabu recovery"))}
    return NewVault(record, data_key, format_recovery_key(raw))


def rewrap_recovery(record: dict[str, Any], data_key: bytes) -> tuple[dict[str, Any], str]:
    """The vault with a new recovery key (the old one stops opening it), and that key."""
    raw = secrets.token_bytes(RECOVERY_BYTES)
    wrapped = _wrap(_recovery_kek(raw), data_key, b"hesabu recovery")
    return {**record, "recovery": _b64(wrapped)}, format_recovery_key(raw)


def rewrap_pin(record: dict[str, Any], data_key: bytes, pin: str,
               keystore: Keystore | None = None) -> dict[str, Any]:
    """The vault with the data key wrapped by a new PIN (the recovery wrap is kept)."""
    return {**record, **_pin_wrap(data_key, pin, keystore, int(record["kdf"]["n"]))}


def open_with_pin(record: dict[str, Any], pin: str,
                  keystore: Keystore | None = None) -> bytes | None:
    """The data key, or None when the PIN is wrong."""
    if record.get("version") != VAULT_VERSION:
        raise VaultError(f"unknown vault version {record.get('version')!r}")
    wrapped = _unb64(record["pin"])
    if record.get("keystore"):
        try:
            if keystore is None:
                raise LookupError("no keystore here")
            wrapped = keystore.unwrap(wrapped)
        except Exception as exc:  # Java's AEADBadTagException, a keystore that was reset
            raise VaultError(_(
                "This tablet's keystore cannot open the records (another tablet, or a "
                "reset). Use the recovery key: press \"Forgot the PIN?\".")) from exc
    return _unwrap(pin_key(pin, record["kdf"]), wrapped, b"hesabu pin")


def open_with_recovery(record: dict[str, Any], recovery_key: str) -> bytes | None:
    """The data key, or None when the recovery key is not this store's."""
    raw = parse_recovery_key(recovery_key)
    if raw is None:
        return None
    return _unwrap(_recovery_kek(raw), _unb64(record["recovery"]), b"hesabu recovery")
