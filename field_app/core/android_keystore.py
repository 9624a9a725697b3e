"""The Android Keystore as a `vault.Keystore`: a second wrap of the PIN-wrapped data key.

    keystore = default_keystore(platform == "android")   # None on a desktop
    blob = keystore.wrap(secret); keystore.unwrap(blob) == secret

The AES-256 key (alias `KEY_ALIAS`) is made in the "AndroidKeyStore" provider the first
time and never leaves it (on tablets with a TEE or StrongBox, it never leaves that
hardware): a copy of the store file alone cannot be tried against every PIN on a
computer, because each try needs this key, on this tablet. The wrap is AES/GCM with
the IV the keystore chooses: `blob = iv (12 bytes) + ciphertext + tag`.

`jnius` is a parameter so a test can play the Java side.
"""

from __future__ import annotations

import logging
from typing import Any

KEY_ALIAS = "hesabu-store-key"
PROVIDER = "AndroidKeyStore"
IV_BYTES = 12
TAG_BITS = 128


def _as_bytes(array: Any) -> bytes:
    """A Java byte[] from pyjnius (bytes, or a sequence of signed ints) as bytes."""
    if isinstance(array, bytes | bytearray):
        return bytes(array)
    return bytes(b & 0xFF for b in array)


class AndroidKeystore:
    """Wraps and unwraps secrets with a non-exportable AES key of the Android Keystore."""

    name = "android-keystore"

    def __init__(self, jnius: Any = None) -> None:
        if jnius is None:
            import jnius
        autoclass = jnius.autoclass
        self._cipher = autoclass("javax.crypto.Cipher")
        self._gcm_spec = autoclass("javax.crypto.spec.GCMParameterSpec")
        keystore = autoclass("java.security.KeyStore").getInstance(PROVIDER)
        keystore.load(None)
        if not keystore.containsAlias(KEY_ALIAS):
            props = autoclass("android.security.keystore.KeyProperties")
            builder = autoclass("android.security.keystore.KeyGenParameterSpec$Builder")
            spec = (builder(KEY_ALIAS, props.PURPOSE_ENCRYPT | props.PURPOSE_DECRYPT)
                    .setBlockModes([props.BLOCK_MODE_GCM])
                    .setEncryptionPaddings([props.ENCRYPTION_PADDING_NONE])
                    .setKeySize(256).build())
            generator = autoclass("javax.crypto.KeyGenerator").getInstance(
                props.KEY_ALGORITHM_AES, PROVIDER)
            generator.init(spec)
            generator.generateKey()
        self._key = keystore.getKey(KEY_ALIAS, None)

    def wrap(self, data: bytes) -> bytes:
        cipher = self._cipher.getInstance("AES/GCM/NoPadding")
        cipher.init(self._cipher.ENCRYPT_MODE, self._key)
        iv = _as_bytes(cipher.getIV())
        return iv + _as_bytes(cipher.doFinal(data))

    def unwrap(self, blob: bytes) -> bytes:
        cipher = self._cipher.getInstance("AES/GCM/NoPadding")
        cipher.init(self._cipher.DECRYPT_MODE, self._key,
                    self._gcm_spec(TAG_BITS, blob[:IV_BYTES]))
        return _as_bytes(cipher.doFinal(blob[IV_BYTES:]))


def default_keystore(android: bool) -> AndroidKeystore | None:
    """The Android Keystore on a tablet; None on a desktop (or if it cannot start:
    the PIN's scrypt wrap still protects the store, and the app still opens)."""
    if not android:
        return None
    try:
        return AndroidKeystore()
    except Exception:  # any failure of the Java side: the app must still open
        logging.getLogger(__name__).warning(
            "the Android Keystore did not start: the store is protected by the PIN's "
            "scrypt wrap alone", exc_info=True)
        return None
