"""Turning encryption on for a device store, and the key's life after that.

`encrypt_store(store, pin)` is the first PIN's step (and the upgrade of a store that an
older app left in clear): it makes the vault (`field_app.core.vault`), seals every value
in `SEALED_COLUMNS` in one transaction (a crash leaves the store in clear and complete;
the next PIN entry encrypts again), forgets the old PIN hash, then rewrites the file
(`VACUUM` with `secure_delete`, the WAL truncated) so no page keeps the old text.

What stays in clear, because the app needs it before the PIN or to sort and sync
without opening every record: ids, form ids and versions, states, timestamps, sequence
numbers, field paths (question names and repeat ids, never answers), settings (language,
text size, server address), the forms, and the server token.
"""

from __future__ import annotations

import json
import sqlite3
from typing import TYPE_CHECKING

from field_app.core import attachments
from field_app.core.errors import StoreError
from field_app.core.vault import (
    Cipher,
    Keystore,
    create_vault,
    open_with_pin,
    open_with_recovery,
    rewrap_pin,
    rewrap_recovery,
)

if TYPE_CHECKING:
    from field_app.core.store import Store

#: The settings key of the vault (the wrapped data key and the scrypt parameters).
VAULT_SETTING = "vault"
SCRUB_WAIT_MS = 1000
#: Set while the file may still hold text from before encryption (see `scrub`).
SCRUB_PENDING = "vault_scrub_pending"
#: Set, with the vault, until every photo of the store is sealed (see `encrypt_store`).
SEAL_PENDING = "vault_seal_pending"
#: (table, key columns, sealed columns): every column that holds what people answered.
SEALED_COLUMNS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("records", ("record_id",), ("answers",)),
    ("fields", ("record_id", "path"), ("value", "heads")),
    ("conflict_notices", ("id",), ("values_json",)),
    ("outbox_ops", ("seq",), ("op",)),
    ("review_notes", ("record_id",), ("comment",)),
)


def encrypt_store(store: Store, pin: str, keystore: Keystore | None = None, *,
                  n: int | None = None) -> str:
    """Encrypt a store that is in clear under a new data key; returns the recovery key
    (show it once, for the leader to write down)."""
    if store.encrypted:
        raise StoreError("this store is encrypted already")
    made = create_vault(pin, keystore, **({"n": n} if n else {}))
    cipher = Cipher(made.data_key)
    with store.transaction() as db:
        for table, keys, columns in SEALED_COLUMNS:
            rows = db.execute(f"SELECT {', '.join(keys + columns)} FROM {table}").fetchall()
            updates = [
                (*(cipher.seal(v) if isinstance(v, str) else v
                   for v in row[len(keys):]), *row[:len(keys)])
                for row in rows]
            db.conn.executemany(
                f"UPDATE {table} SET {', '.join(f'{c} = ?' for c in columns)} "
                f"WHERE {' AND '.join(f'{k} = ?' for k in keys)}", updates)
        db.execute("UPDATE device SET pin_hash = NULL WHERE id = 1")
        db.conn.executemany("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) "
                            "DO UPDATE SET value = excluded.value",
                            [(VAULT_SETTING, json.dumps(made.record)),
                             (SEAL_PENDING, json.dumps(True))])
    store.use_key(made.data_key)
    scrub(store)
    _seal_photos(store)
    return made.recovery_key


def _seal_photos(store: Store) -> None:
    """Seal the photos left in clear when the store was encrypted, each file atomically;
    after a crash half way, the next unlock finishes (`SEAL_PENDING`, set with the vault)."""
    attachments.seal_files(store)
    store.set_setting(SEAL_PENDING, None)


def scrub(store: Store) -> bool:
    """Rewrite the file so that no free page, no slack in a page and no WAL frame keeps
    text that was replaced or deleted (SQLite leaves it there otherwise). False when
    another connection kept it from finishing (the app's first sync, reading): then
    it is done at the next unlock (the `SCRUB_PENDING` setting)."""
    with store._lock:
        db = store.db
        usual_wait = db.execute("PRAGMA busy_timeout").fetchone()[0]
        try:
            with db.ensure_autocommit_on():
                # Wait for other connections' readers a second, not the usual ten.
                db.execute(f"PRAGMA busy_timeout={SCRUB_WAIT_MS}")
                db.execute("PRAGMA secure_delete=ON")
                db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                db.execute("VACUUM")
                busy = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        except sqlite3.OperationalError:  # locked by another connection
            busy = 1
        finally:
            db.execute(f"PRAGMA busy_timeout={int(usual_wait)}")
    store.set_setting(SCRUB_PENDING, True if busy else None)
    return not busy


def unlock(store: Store, pin: str, keystore: Keystore | None = None) -> bool:
    key = open_with_pin(store.vault_record(), pin, keystore)
    if key is None:
        return False
    store.use_key(key)
    if store.get_setting(SEAL_PENDING):  # a crash while encrypting left some in clear
        _seal_photos(store)
    if store.get_setting(SCRUB_PENDING):
        scrub(store)
    return True


def unlock_with_recovery(store: Store, recovery_key: str) -> bool:
    key = open_with_recovery(store.vault_record(), recovery_key)
    if key is None:
        return False
    store.use_key(key)
    return True


def new_recovery_key(store: Store) -> str:
    """A new recovery key for the (unlocked) store, to show once; the old one stops
    working (it was lost, or the first one was never written down)."""
    record, recovery_key = rewrap_recovery(store.vault_record(), store.data_key)
    store.set_setting(VAULT_SETTING, record)
    return recovery_key


def change_pin(store: Store, pin: str, keystore: Keystore | None = None) -> None:
    """Wrap the (unlocked) store's data key with a new PIN; the recovery key stays."""
    record = rewrap_pin(store.vault_record(), store.data_key, pin, keystore)
    store.set_setting(VAULT_SETTING, record)
