"""The device store: one SQLite file per tablet, opened with `open_store(path)`.

Everything the tablet knows lives here: its identity and server token, the forms it
received, the records and their per-field state, the outbox of ops waiting for the
server, the pull cursor and attachments. Writes go through `Store.transaction()`,
which serialises them (the sync thread and the UI share one connection), commits or
rolls back as a whole, and turns "disk full" into `StoreFullError`.

The file runs in WAL mode with `synchronous=FULL`: a commit is on disk before the
call returns, so an edit the enumerator saw saved survives a battery pull together
with its outbox op.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from field_app.core.errors import StoreError, StoreLockedError, translate_sqlite_error
from field_app.core.migrations import migrate
from field_app.core.vault import Cipher
from sync.hlc import HybridClock, wall_clock_ms
from sync.ids import new_uuid7

#: The peer name of the central server (or hub) in `pull_cursor`.
SERVER_PEER = "server"
#: JSON text of stored values (`json.dumps(value, ensure_ascii=False)`, made by one
#: encoder instead of a new one per call; values from the form engine or the wire are
#: never circular, so the check for that is skipped).
_json_text = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class DeviceInfo:
    """Who this tablet is and where it syncs."""

    device_id: str
    name: str
    server_url: str | None
    token: str | None
    enrolled_at: str | None

    @property
    def enrolled(self) -> bool:
        return bool(self.token)


class Store:
    """An open device store. Create it with `open_store`; close it with `close()`."""

    def __init__(self, db: Database, path: Path, now_ms: Callable[[], int] = wall_clock_ms):
        self.db = db
        self.path = path
        self._lock = threading.RLock()
        self._now_ms = now_ms
        #: Fixed for the life of the store (made once, at creation).
        self.device_id = self.device.device_id
        self.clock = HybridClock(self.device_id, now_ms=now_ms,
                                 last=self.get_setting("hlc_last"))
        #: Whether answers are sealed (a vault exists).
        self.encrypted = self.get_setting("vault") is not None
        #: The data key's cipher: None while locked, or in clear.
        self._cipher: Cipher | None = None
        #: Where a second connection gets the data key once another one encrypted the
        #: store under it (the app's first sync runs while the PIN is chosen).
        self.key_source: Callable[[], bytes | None] | None = None

    # -- encryption at rest (field_app/core/encryption.py, vault.py) -----------------
    @property
    def locked(self) -> bool:
        return self.encrypted and self._cipher is None

    def vault_record(self) -> dict[str, Any]:
        record = self.get_setting("vault")
        if record is None:
            raise StoreError("this store is not encrypted")
        return record

    def use_key(self, data_key: bytes) -> None:
        """Unlock with the data key itself (a second connection of an unlocked app)."""
        self._cipher = Cipher(data_key)
        self.encrypted = True

    @property
    def data_key(self) -> bytes | None:
        return self._cipher.key if self._cipher is not None else None

    def seal(self, text: str) -> str | bytes:
        """A value to store in a sealed column (`encryption.SEALED_COLUMNS`)."""
        if not self.encrypted:
            return text
        return self._cipher_or_raise().seal(text)

    def unseal(self, value: str | bytes | None) -> str | None:
        """The text of a sealed column's value (text in clear passes through)."""
        if not isinstance(value, bytes):
            return value
        return self._cipher_or_raise().open(value)

    def _cipher_or_raise(self) -> Cipher:
        if self._cipher is None:
            key = self.key_source() if self.key_source is not None else None
            if key is None:
                raise StoreLockedError("The store is locked: type the PIN first.")
            self.use_key(key)
        assert self._cipher is not None
        return self._cipher

    def seal_bytes(self, data: bytes) -> bytes:
        """A file's content sealed under the data key (the store must be encrypted)."""
        return self._cipher_or_raise().seal_bytes(data)

    def unseal_bytes(self, blob: bytes) -> bytes:
        return self._cipher_or_raise().open_bytes(blob)

    def seal_json(self, data: Any) -> str | bytes:
        return self.seal(_json_text(data))

    def load_json(self, value: str | bytes) -> Any:
        return json.loads(self.unseal(value))

    # -- plumbing ---------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[Database]:
        """One atomic unit of work; disk errors become StoreFullError / StoreIOError.

        Nested calls join the outer transaction (a savepoint), so helpers can be
        combined into one commit.
        """
        with self._lock:
            clock_before = self.clock.state()
            outermost = not self.db.conn.in_transaction
            try:
                with self.db.atomic():
                    if outermost and not self.encrypted:
                        self._follow_encryption()
                    yield self.db
            except sqlite3.Error as exc:
                self._restore_clock(clock_before)
                translated = translate_sqlite_error(exc)
                if translated is not None:
                    raise translated from exc
                raise
            except BaseException:
                self._restore_clock(clock_before)
                raise

    def _follow_encryption(self) -> None:
        """Inside a write transaction on a store in clear: if another connection has
        encrypted it since, seal from now on with the key from `key_source`."""
        if self.db.execute("SELECT 1 FROM settings WHERE key = 'vault'").fetchone():
            self.encrypted = True
            self._cipher_or_raise()

    def _restore_clock(self, state: tuple[int, int]) -> None:
        # A rolled-back edit must not leave the clock ahead of what was persisted;
        # harmless either way (the clock only moves forward), but keeps it exact.
        if not self.db.conn.in_transaction:
            self.clock.rewind(state)

    def query(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.db.query(sql, params))

    def close(self) -> None:
        with self._lock:
            self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def now(self) -> str:
        return datetime.fromtimestamp(self._now_ms() / 1000, UTC).isoformat(
            timespec="milliseconds").replace("+00:00", "Z")

    # -- identity -----------------------------------------------------------------
    @property
    def device(self) -> DeviceInfo:
        row = self.query("SELECT * FROM device WHERE id = 1")[0]
        return DeviceInfo(row["device_id"], row["name"], row["server_url"], row["token"],
                          row["enrolled_at"])

    def set_server(self, url: str | None = None, token: str | None = None,
                   name: str | None = None) -> DeviceInfo:
        """Remember the server url, the token it issued at enrolment, the device name."""
        with self.transaction() as db:
            if url is not None:
                db.execute("UPDATE device SET server_url = ? WHERE id = 1", [url.rstrip("/")])
            if name is not None:
                db.execute("UPDATE device SET name = ? WHERE id = 1", [name])
            if token is not None:
                db.execute("UPDATE device SET token = ?, enrolled_at = ? WHERE id = 1",
                           [token, utc_now()])
        return self.device

    # -- settings -------------------------------------------------------------------
    def get_setting(self, key: str, default: Any = None) -> Any:
        rows = self.query("SELECT value FROM settings WHERE key = ?", [key])
        return json.loads(rows[0]["value"]) if rows else default

    def set_setting(self, key: str, value: Any) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [key, json.dumps(value)],
            )

    def push_drafts(self, form_id: str) -> bool:
        """Whether drafts of this form are sent before they are finalized (default no)."""
        return bool(self.get_setting(f"push_drafts:{form_id}", self.get_setting(
            "push_drafts", False)))

    # -- forms ------------------------------------------------------------------------
    def save_form(self, spec: Mapping[str, Any]) -> None:
        """Keep a FormSpec (as its JSON dict); published versions are immutable."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO forms (form_id, version, spec, received_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (form_id, version) DO NOTHING",
                [spec["id"], str(spec["version"]), json.dumps(spec, ensure_ascii=False),
                 utc_now()],
            )

    def form(self, form_id: str, version: str | None = None) -> dict[str, Any] | None:
        """A stored FormSpec dict: the given version, else the latest received."""
        if version is None:
            rows = self.query("SELECT spec FROM forms WHERE form_id = ? "
                              "ORDER BY received_at DESC, version DESC LIMIT 1", [form_id])
        else:
            rows = self.query("SELECT spec FROM forms WHERE form_id = ? AND version = ?",
                              [form_id, str(version)])
        return json.loads(rows[0]["spec"]) if rows else None

    # -- pull cursor --------------------------------------------------------------------
    def cursor(self, peer: str = SERVER_PEER) -> int:
        rows = self.query("SELECT cursor FROM pull_cursor WHERE peer = ?", [peer])
        return int(rows[0]["cursor"]) if rows else 0

    def save_cursor(self, cursor: int, peer: str = SERVER_PEER) -> None:
        """Store the cursor; call inside the transaction that applied its page."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO pull_cursor (peer, cursor, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (peer) DO UPDATE SET cursor = excluded.cursor, "
                "updated_at = excluded.updated_at",
                [peer, int(cursor), utc_now()],
            )

    # -- the clock ------------------------------------------------------------------------
    def receive_hlc(self, remote: str) -> None:
        """Move the clock past a timestamp seen from the server (inside a transaction)."""
        self.clock.receive(remote)
        self.persist_clock()

    def persist_clock(self) -> None:
        """Save the clock's last HLC (inside the transaction of the op that used it)."""
        self.db.execute(
            "INSERT INTO settings (key, value) VALUES ('hlc_last', ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [json.dumps(self.clock.last)],
        )


def _configure(db: Database) -> None:
    with db.ensure_autocommit_on():
        mode = db.execute("PRAGMA journal_mode=wal").fetchone()[0]
    if mode != "wal":
        raise StoreError(f"could not switch the store to WAL mode (got {mode!r})")
    # FULL: the WAL is fsynced at every commit, so a saved edit and its op survive power loss.
    db.execute("PRAGMA synchronous=FULL")
    db.execute("PRAGMA foreign_keys=ON")
    db.execute("PRAGMA busy_timeout=10000")


def open_store(path: str | Path, now_ms: Callable[[], int] = wall_clock_ms,
               device_name: str = "",
               key_source: Callable[[], bytes | None] | None = None) -> Store:
    """Open (creating and migrating if needed) the device store at `path`.

    `now_ms` is the physical clock for HLCs and timestamps; tests inject a wrong one.
    An encrypted store opens locked: `encryption.unlock(store, pin)`, or pass a
    `key_source` that gives the data key of a connection that is unlocked when it is
    needed (the app's sync thread, which may start before the PIN is chosen).
    """
    path = Path(path)
    try:
        conn = sqlite3.connect(str(path), check_same_thread=False, timeout=10)
        db = Database(conn)
        _configure(db)
        migrate(db)
        if not db.execute("SELECT 1 FROM device WHERE id = 1").fetchall():
            with db.atomic():
                db.execute(
                    "INSERT INTO device (id, device_id, name, created_at) VALUES (1, ?, ?, ?)",
                    [new_uuid7(), device_name, utc_now()],
                )
    except sqlite3.Error as exc:
        translated = translate_sqlite_error(exc)
        if translated is not None:
            raise translated from exc
        raise
    store = Store(db, path, now_ms=now_ms)
    store.key_source = key_source
    return store
