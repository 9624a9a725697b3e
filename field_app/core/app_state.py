"""What the app remembers about itself: enrolled or not, the PIN, language, text size.

All of it is in the device store, so a reinstalled app with the same store opens the
same way. The PIN is never stored: it unlocks the store's data key (scrypt, and on
Android the Keystore too; field_app/core/vault.py), so a wrong PIN opens nothing.
Stores from before encryption kept a salted PBKDF2 hash of the PIN: the first right
PIN typed there encrypts the store and the hash goes (`pending_recovery_key`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs, urlparse

from field_app.core import encryption, records
from field_app.core.encryption import change_pin, new_recovery_key
from field_app.core.i18n import DEFAULT_LANGUAGE, LANGUAGES, _
from field_app.core.store import Store
from field_app.core.vault import Keystore
from sync.pins import PinError, check_pin

PIN_ITERATIONS = 120_000
#: Wrong PINs in a row before each try waits; the first wait; the longest (seconds).
FREE_TRIES, FIRST_WAIT_S, MAX_WAIT_S = 5, 30, 3600
PIN_FAILURES, PIN_WAIT_UNTIL = "pin_failures", "pin_wait_until"
TEXT_SIZES = {"normal": 1.0, "large": 1.25, "largest": 1.5}


class BadPinError(ValueError):
    """A PIN that is not 4 to 8 digits."""


class PinWaitError(ValueError):
    """Too many wrong PINs: the next try must wait `seconds`."""

    def __init__(self, seconds: int) -> None:
        super().__init__(_("Too many wrong PINs. Try again in {seconds} seconds.").format(
            seconds=seconds))
        self.seconds = seconds


class BadEnrolmentError(ValueError):
    """An enrolment QR code or text that does not hold a server address and a code."""


def _hash(pin: str, salt: bytes) -> str:
    """The PIN hash apps before encryption kept (read by `_check_old_hash`)."""
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, PIN_ITERATIONS)
    return f"pbkdf2_sha256${PIN_ITERATIONS}${salt.hex()}${digest.hex()}"


class AppState:
    """The app's settings in the store."""

    def __init__(self, store: Store, keystore: Keystore | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self._clock = clock
        #: The Android Keystore wrap of the data key (None on a desktop).
        self.keystore = keystore
        #: A recovery key made while unlocking an old store (it was encrypted then):
        #: the app shows it once, for the leader to write down.
        self.pending_recovery_key: str | None = None

    @property
    def enrolled(self) -> bool:
        return self.store.device.enrolled

    # -- PIN ------------------------------------------------------------------------------
    @property
    def has_pin(self) -> bool:
        return self.store.encrypted or bool(self._pin_hash())

    def _pin_hash(self) -> str | None:
        return self.store.query("SELECT pin_hash FROM device WHERE id = 1")[0]["pin_hash"]

    def set_pin(self, pin: str, repeat: str | None = None) -> str | None:
        """Choose the PIN: the first time it encrypts the store and returns the recovery
        key (show it once); on an unlocked store (after a recovery) it replaces the PIN."""
        pin = pin.strip()
        if not (pin.isdigit() and 4 <= len(pin) <= 8):
            raise BadPinError(_("The PIN must be 4 to 8 digits."))
        if repeat is not None and repeat.strip() != pin:
            raise BadPinError(_("The two PINs are not the same. Type them again."))
        if self.store.encrypted:
            change_pin(self.store, pin, self.keystore)  # locked: StoreLockedError
            return None
        return encryption.encrypt_store(self.store, pin, self.keystore)

    def check_pin(self, pin: str) -> bool:
        """Unlock the store with the PIN; False if it is wrong. After `FREE_TRIES` wrong
        PINs in a row each further try waits (30 s, doubling, at most an hour):
        PinWaitError says how long. 10,000 four-digit PINs then take days to try."""
        wait = self.pin_wait_s()
        if wait > 0:
            raise PinWaitError(wait)
        if self.store.encrypted:
            right = encryption.unlock(self.store, pin, self.keystore)
        else:
            right = self._check_old_hash(pin)
            if right and self._pin_hash():  # an old store in clear: encrypt it now
                self.pending_recovery_key = encryption.encrypt_store(self.store, pin, self.keystore)
        failures = 0 if right else int(self.store.get_setting(PIN_FAILURES) or 0) + 1
        self.store.set_setting(PIN_FAILURES, failures or None)
        if failures >= FREE_TRIES:
            delay = min(FIRST_WAIT_S * 2 ** (failures - FREE_TRIES), MAX_WAIT_S)
            self.store.set_setting(PIN_WAIT_UNTIL, self._clock() + delay)
        return right

    def pin_wait_s(self) -> int:
        """Seconds before the next PIN may be tried (0: now)."""
        until = self.store.get_setting(PIN_WAIT_UNTIL)
        return max(0, math.ceil(until - self._clock())) if until else 0

    def new_recovery_key(self) -> str:
        """Replace the recovery key (unlocked store); returns the new one to show."""
        return new_recovery_key(self.store)

    @property
    def upgrade_pending(self) -> bool:
        """A store in clear from an older app: the right PIN encrypts it (seconds for
        thousands of records: the app does it off the UI thread)."""
        return not self.store.encrypted and bool(self._pin_hash())

    def recover(self, recovery_key: str) -> bool:
        """Unlock with the recovery key the leader wrote down (then choose a new PIN)."""
        return self.store.encrypted and encryption.unlock_with_recovery(self.store, recovery_key)

    def _check_old_hash(self, pin: str) -> bool:
        stored = self._pin_hash()
        if not stored:
            return True
        try:
            _scheme, iterations, salt, digest = stored.split("$")
            got = hashlib.pbkdf2_hmac("sha256", pin.strip().encode(), bytes.fromhex(salt),
                                      int(iterations)).hex()
        except ValueError:
            return False
        return hmac.compare_digest(got, digest)

    # -- preferences -----------------------------------------------------------------------
    @property
    def language(self) -> str:
        code = self.store.get_setting("app:language", DEFAULT_LANGUAGE)
        return code if code in LANGUAGES else DEFAULT_LANGUAGE

    @language.setter
    def language(self, code: str) -> None:
        if code not in LANGUAGES:
            raise ValueError(f"unknown language {code!r}")
        self.store.set_setting("app:language", code)

    @property
    def language_chosen(self) -> bool:
        return self.store.get_setting("app:language") is not None

    @property
    def text_size(self) -> str:
        size = self.store.get_setting("app:text_size", "normal")
        return size if size in TEXT_SIZES else "normal"

    @text_size.setter
    def text_size(self, size: str) -> None:
        if size not in TEXT_SIZES:
            raise ValueError(f"unknown text size {size!r}")
        self.store.set_setting("app:text_size", size)

    @property
    def font_scale(self) -> float:
        return TEXT_SIZES[self.text_size]

    # -- the record open ----------------------------------------------------------------
    @property
    def open_record(self) -> str | None:
        """The record open on the form screen when the app last stopped (Android may
        kill an app in the background): after the PIN it opens again, on its page."""
        record_id = self.store.get_setting("app:open_record")
        if record_id and records.get_record(self.store, record_id) is not None:
            return record_id
        return None

    @open_record.setter
    def open_record(self, record_id: str | None) -> None:
        self.store.set_setting("app:open_record", record_id)

    # -- what to show first ----------------------------------------------------------------
    def first_screen(self) -> str:
        """The screen the app opens on: setting up, unlocking, or home."""
        if not self.language_chosen:
            return "language"
        if not self.enrolled:
            return "enrol"
        if not self.has_pin:
            return "pin_set"
        return "pin_unlock"


@dataclass(frozen=True)
class Enrolment:
    server: str
    code: str
    #: The server certificate's pin (sync/pins.py), "" when the server needs none.
    pin: str = ""


def parse_enrolment(text: str) -> Enrolment:
    """Server address and code from a QR code's text.

    Accepts `hesabu://enrol?server=<url>&code=<code>[&pin=sha256/...]` and the same as
    JSON (`{"server": ..., "code": ..., "pin": ...}`).
    """
    text = (text or "").strip()
    server = code = pin = ""
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            data = {}
        if isinstance(data, dict):
            server, code = str(data.get("server", "")), str(data.get("code", ""))
            pin = str(data.get("pin") or "")
    elif text.lower().startswith("hesabu://"):
        query = parse_qs(urlparse(text).query)
        server = (query.get("server") or [""])[0]
        code = (query.get("code") or [""])[0]
        pin = (query.get("pin") or [""])[0]
    server = server.strip()
    if not code.strip() or not server.startswith(("http://", "https://")):
        raise BadEnrolmentError(_(
            "This is not a Hesabu enrolment code. Ask your federation leader for the "
            "QR code on the Devices page, or type the address and code."))
    if pin:
        try:
            pin = check_pin(pin)
        except PinError as exc:
            raise BadEnrolmentError(_(
                "This enrolment code is damaged (its certificate pin is not complete). "
                "Read the QR code again, or ask your leader for a new one.")) from exc
    return Enrolment(server.rstrip("/"), code.strip(), pin)


def check_server_address(text: str) -> str:
    """A typed server address made usable: http:// added when missing."""
    text = text.strip().rstrip("/")
    if not text:
        raise BadEnrolmentError(_("Type the server address, like http://192.168.1.10:5000."))
    if "://" not in text:
        text = "http://" + text
    if not text.startswith(("http://", "https://")) or not urlparse(text).hostname:
        raise BadEnrolmentError(_("Type the server address, like http://192.168.1.10:5000."))
    return text
