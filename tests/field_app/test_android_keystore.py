"""The Android Keystore wrap on pyjnius, with the Java side played here (the one fake:
the Android API exists only on a tablet). The fake keeps its AES key in its own
"hardware" dict, as the Keystore keeps it out of the app's reach."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from field_app.core import records
from field_app.core.android_keystore import KEY_ALIAS, AndroidKeystore, default_keystore
from field_app.core.app_state import AppState
from field_app.core.store import open_store
from field_app.core.vault import VaultError


class FakeJnius:
    """`jnius.autoclass` for the classes android_keystore.py uses."""

    def __init__(self) -> None:
        self.hardware: dict[str, bytes] = {}  # alias -> key, never seen by the app
        self.generated = 0

    def autoclass(self, name: str) -> Any:
        return {"java.security.KeyStore": _KeyStore, "javax.crypto.KeyGenerator": _Generator,
                "javax.crypto.Cipher": _Cipher, "javax.crypto.spec.GCMParameterSpec": _Gcm,
                "android.security.keystore.KeyProperties": _Props,
                "android.security.keystore.KeyGenParameterSpec$Builder": _Builder,
                }[name].bind(self)


class _Bound:
    jnius: FakeJnius

    @classmethod
    def bind(cls, jnius: FakeJnius) -> type:
        return type(cls.__name__, (cls,), {"jnius": jnius})


class _Props(_Bound):
    PURPOSE_ENCRYPT, PURPOSE_DECRYPT = 1, 2
    BLOCK_MODE_GCM, ENCRYPTION_PADDING_NONE, KEY_ALGORITHM_AES = "GCM", "NoPadding", "AES"


class _Builder(_Bound):
    def __init__(self, alias: str, purposes: int) -> None:
        assert purposes == 3
        self.alias, self.size = alias, 0

    def setBlockModes(self, modes: list[str]) -> _Builder:  # Java names, as pyjnius sees them
        assert modes == ["GCM"]
        return self

    def setEncryptionPaddings(self, paddings: list[str]) -> _Builder:
        return self

    def setKeySize(self, size: int) -> _Builder:
        self.size = size
        return self

    def build(self) -> _Builder:
        return self


class _KeyStore(_Bound):
    @classmethod
    def getInstance(cls, provider: str) -> _KeyStore:
        assert provider == "AndroidKeyStore"
        return cls()

    def load(self, _param: None) -> None:
        pass

    def containsAlias(self, alias: str) -> bool:
        return alias in self.jnius.hardware

    def getKey(self, alias: str, _password: None) -> str:
        return alias  # a handle: the key itself stays in the hardware


class _Generator(_Bound):
    @classmethod
    def getInstance(cls, algorithm: str, provider: str) -> _Generator:
        assert (algorithm, provider) == ("AES", "AndroidKeyStore")
        return cls()

    def init(self, spec: _Builder) -> None:
        self.spec = spec

    def generateKey(self) -> None:
        self.jnius.hardware[self.spec.alias] = AESGCM.generate_key(self.spec.size)
        self.jnius.generated += 1


class _Gcm(_Bound):
    def __init__(self, bits: int, iv: bytes) -> None:
        assert bits == 128
        self.iv = iv


class _Cipher(_Bound):
    ENCRYPT_MODE, DECRYPT_MODE = 1, 2

    @classmethod
    def getInstance(cls, transformation: str) -> _Cipher:
        assert transformation == "AES/GCM/NoPadding"
        return cls()

    def init(self, mode: int, key: str, spec: _Gcm | None = None) -> None:
        self.mode, self.aead = mode, AESGCM(self.jnius.hardware[key])
        # The keystore picks the IV when encrypting (a caller may not).
        self.iv = os.urandom(12) if spec is None else spec.iv

    def getIV(self) -> list[int]:
        return [b - 256 if b > 127 else b for b in self.iv]  # a Java byte[]: signed

    def doFinal(self, data: bytes) -> bytes:
        if self.mode == self.ENCRYPT_MODE:
            return self.aead.encrypt(self.iv, bytes(data), None)
        return self.aead.decrypt(self.iv, bytes(data), None)  # AEADBadTagException


def test_the_keystore_key_is_made_once_and_wraps_and_unwraps() -> None:
    jnius = FakeJnius()
    keystore = AndroidKeystore(jnius)
    blob = keystore.wrap(b"secret" * 8)
    assert b"secret" not in blob and len(blob) == 12 + 48 + 16
    again = AndroidKeystore(jnius)  # the app started again: the same key, not a new one
    assert again.unwrap(blob) == b"secret" * 8
    assert jnius.generated == 1 and list(jnius.hardware) == [KEY_ALIAS]
    with pytest.raises(InvalidTag):
        AndroidKeystore(FakeJnius()).unwrap(blob)  # another tablet


def test_a_store_wrapped_by_the_keystore_opens_only_on_its_tablet(tmp_path: Path) -> None:
    jnius = FakeJnius()
    path = tmp_path / "tablet.db"
    with open_store(path) as store:
        rid = records.create_record(store, "hh", "1", {"head_name": "Amina"}, finalized=True)
        recovery = AppState(store, AndroidKeystore(jnius)).set_pin("2468")
        assert store.vault_record()["keystore"] == "android-keystore"
    with open_store(path) as store:
        assert not AppState(store, AndroidKeystore(jnius)).check_pin("1357")
        assert AppState(store, AndroidKeystore(jnius)).check_pin("2468")
        assert records.get_record(store, rid)["answers"] == {"head_name": "Amina"}
    with open_store(path) as store:
        jnius.hardware.clear()  # e.g. the tablet's keystore was reset
        with pytest.raises(VaultError, match="Use the recovery key"):
            AppState(store, AndroidKeystore(jnius)).check_pin("2468")
        assert AppState(store).recover(recovery)


def test_a_desktop_has_no_keystore(caplog: pytest.LogCaptureFixture) -> None:
    assert default_keystore(android=False) is None
    with caplog.at_level(logging.WARNING, logger="field_app.core.android_keystore"):
        assert default_keystore(android=True) is None  # no jnius here: the app still opens
    assert "the Android Keystore did not start" in caplog.text  # said, not swallowed
