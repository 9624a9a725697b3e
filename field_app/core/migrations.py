"""The device schema, one transactional migration per version.

Every shipped schema version keeps a real database file under
`tests/data/store/` and a test upgrades each of them to the latest version.
Never edit a migration that has shipped: add the next one.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from field_app.core.errors import SchemaTooNewError

#: The name of our migration set inside `_sqlite_migrations`.
MIGRATION_SET = "hesabu_device"

device_migrations = Migrations(MIGRATION_SET)


@device_migrations(name="0001_initial")
def _v1(db: Database) -> None:
    db.executescript(
        """
        -- Exactly one row: who this tablet is, where it syncs, its token.
        CREATE TABLE device (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            device_id TEXT NOT NULL,
            name TEXT NOT NULL DEFAULT '',
            server_url TEXT,
            token TEXT,
            enrolled_at TEXT,
            pin_hash TEXT,
            created_at TEXT NOT NULL
        );
        CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE forms (
            form_id TEXT NOT NULL,
            version TEXT NOT NULL,
            spec TEXT NOT NULL,
            received_at TEXT NOT NULL,
            PRIMARY KEY (form_id, version)
        );
        CREATE TABLE records (
            record_id TEXT PRIMARY KEY,
            form_id TEXT NOT NULL,
            form_version TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'finalized')),
            answers TEXT NOT NULL DEFAULT '{}',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            deleted INTEGER NOT NULL DEFAULT 0,
            settlement_id TEXT,
            structure_id TEXT,
            review_status TEXT,
            review_comment TEXT
        );
        CREATE INDEX records_form ON records (form_id, status);
        -- Per record field: the interim value and the heads (concurrent versions).
        CREATE TABLE fields (
            record_id TEXT NOT NULL,
            path TEXT NOT NULL,
            value TEXT,
            heads TEXT NOT NULL DEFAULT '[]',
            conflict INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (record_id, path)
        ) WITHOUT ROWID;
        -- Which op ids some stored op names as a parent of a field: a late-arriving
        -- ancestor must be recognised as already superseded (see sync.merge).
        CREATE TABLE field_parents (
            record_id TEXT NOT NULL,
            path TEXT NOT NULL,
            op_id TEXT NOT NULL,
            PRIMARY KEY (record_id, path, op_id)
        ) WITHOUT ROWID;
        -- Ops waiting to be acked by the server; `ready` is 0 while the record is a draft.
        CREATE TABLE outbox (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            op_id TEXT NOT NULL UNIQUE,
            record_id TEXT NOT NULL,
            op TEXT NOT NULL,
            ready INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL,
            sent_at TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT
        );
        CREATE INDEX outbox_pending ON outbox (sent_at, ready, seq);
        CREATE INDEX outbox_record ON outbox (record_id);
        -- One cursor per peer (the server, later a hub): a server sequence number.
        CREATE TABLE pull_cursor (
            peer TEXT PRIMARY KEY,
            cursor INTEGER NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE attachments (
            sha256 TEXT PRIMARY KEY,
            path TEXT NOT NULL,
            size INTEGER NOT NULL,
            uploaded_offset INTEGER NOT NULL DEFAULT 0,
            record_id TEXT,
            created_at TEXT NOT NULL,
            uploaded_at TEXT
        );
        CREATE TABLE conflict_notices (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            record_id TEXT NOT NULL,
            path TEXT NOT NULL,
            values_json TEXT NOT NULL,
            created_at TEXT NOT NULL,
            seen_at TEXT,
            UNIQUE (record_id, path)
        );
        """
    )


@device_migrations(name="0002_review_notes")
def _v2(db: Database) -> None:
    # The newest review of each record a leader reviewed on the server (pulled as
    # `type: "review"` changes; see field_app/core/reviews.py).
    db.executescript(
        """
        CREATE TABLE review_notes (
            record_id TEXT PRIMARY KEY,
            state TEXT NOT NULL,
            comment TEXT NOT NULL DEFAULT '',
            reviewer TEXT NOT NULL DEFAULT '',
            reviewed_at TEXT NOT NULL,
            seq INTEGER NOT NULL,
            seen_at TEXT
        );
        """
    )


@device_migrations(name="0003_outbox_op_text")
def _v3(db: Database) -> None:
    # The op text (~1.5 KB for a household) moves to its own table, so the outbox rows
    # that sync updates (attempts, sent_at, ready) are ~100 bytes and an UPDATE rewrites
    # only those. Same seq as the outbox row; every other column keeps its meaning.
    # SQLite cannot drop a column before 3.35, so the table is rebuilt (new table, copy,
    # drop, rename), all inside this migration's transaction.
    row = db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'").fetchone()
    high_water = row[0] if row else 0
    db.executescript(
        """
        -- The canonical JSON text of each outbox op, keyed by the outbox row's seq.
        CREATE TABLE outbox_ops (
            seq INTEGER PRIMARY KEY,
            op TEXT NOT NULL
        );
        INSERT INTO outbox_ops (seq, op) SELECT seq, op FROM outbox ORDER BY seq;
        CREATE TABLE outbox_new (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            op_id TEXT NOT NULL UNIQUE,
            record_id TEXT NOT NULL,
            ready INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL,
            sent_at TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT
        );
        INSERT INTO outbox_new
            (seq, op_id, record_id, ready, created_at, sent_at, attempts, last_error)
            SELECT seq, op_id, record_id, ready, created_at, sent_at, attempts, last_error
            FROM outbox ORDER BY seq;
        DROP TABLE outbox;
        ALTER TABLE outbox_new RENAME TO outbox;
        CREATE INDEX outbox_pending ON outbox (sent_at, ready, seq);
        CREATE INDEX outbox_record ON outbox (record_id);
        """
    )
    # An outbox row that goes (a folded draft, a deleted draft) takes its text along.
    db.execute("CREATE TRIGGER outbox_ops_follow AFTER DELETE ON outbox "
               "BEGIN DELETE FROM outbox_ops WHERE seq = old.seq; END")
    # Seq numbers are never reused (AUTOINCREMENT): keep the old table's high-water mark.
    db.execute("UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = 'outbox'",
               [high_water])
    db.execute("INSERT INTO sqlite_sequence (name, seq) SELECT 'outbox', ? WHERE ? > 0 "
               "AND NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'outbox')",
               [high_water, high_water])


@device_migrations(name="0004_record_times")
def _v4(db: Database) -> None:
    # When a record was made and last changed by whoever wrote it, as the enumerator
    # understands dates: created_at/updated_at are when *this* tablet stored it, which
    # for a record pulled from the server is the time of the sync. Times come from the
    # ops' hybrid clocks (13 digits of Unix ms at the start of every HLC).
    db.executescript(
        """
        ALTER TABLE records ADD COLUMN made_at TEXT;
        ALTER TABLE records ADD COLUMN changed_at TEXT;
        UPDATE records SET changed_at = (
            SELECT strftime('%Y-%m-%dT%H:%M:%fZ',
                            CAST(substr(max(json_extract(h.value, '$.hlc')), 1, 13)
                                 AS INTEGER) / 1000.0, 'unixepoch')
            FROM fields f, json_each(f.heads) h WHERE f.record_id = records.record_id);
        UPDATE records SET changed_at = updated_at WHERE changed_at IS NULL;
        -- A record made here has its own ops in the outbox: created_at is its making.
        -- One pulled from the server was made no later than its oldest current value.
        UPDATE records SET made_at = CASE
            WHEN EXISTS (SELECT 1 FROM outbox o WHERE o.record_id = records.record_id)
            THEN created_at
            ELSE coalesce((
                SELECT strftime('%Y-%m-%dT%H:%M:%fZ',
                                CAST(substr(min(json_extract(h.value, '$.hlc')), 1, 13)
                                     AS INTEGER) / 1000.0, 'unixepoch')
                FROM fields f, json_each(f.heads) h WHERE f.record_id = records.record_id),
                created_at)
            END;
        """
    )


@device_migrations(name="0005_relay_refusals_wait")
def _v5(db: Database) -> None:
    # `hub.relay_forbidden` is retryable now (issue 19): a leader fixes it by allowing
    # the hub, and a tablet's own op is never "written by another device". A tablet
    # parked its ops for it only when a server handed it another device's refusals (a
    # copy of its bundle signed by another tablet): they go back in the queue, keeping
    # their last reason until the server accepts them.
    db.execute(
        "UPDATE outbox SET ready = 1 WHERE ready = 2 AND sent_at IS NULL AND CASE WHEN "
        "json_valid(last_error) THEN json_extract(last_error, '$.code') END = "
        "'hub.relay_forbidden'")


@device_migrations(name="0006_first_op_fields")
def _v6(db: Database) -> None:
    # A record pulled as one op in nested answers (a household made on another tablet)
    # keeps that op's id, clock and device in `first_op` instead of ~53 field rows, each
    # repeating its value in its heads: its fields are its answers, each headed by that
    # op alone (records.py writes the rows when the record is next edited or merged).
    # Existing records keep their rows (first_op NULL): nothing to convert.
    db.execute("ALTER TABLE records ADD COLUMN first_op TEXT")


#: Migration names in order; the schema version is the number applied.
MIGRATION_NAMES = tuple(m.name for m in device_migrations._migrations)
SCHEMA_VERSION = len(MIGRATION_NAMES)


def schema_version(db: Database) -> int:
    """How many of our migrations this database has applied (0 for a new file)."""
    applied = {m.name for m in device_migrations.applied(db)}
    unknown = applied - set(MIGRATION_NAMES)
    if unknown:
        raise SchemaTooNewError(
            f"This store was written by a newer Hesabu (migrations {sorted(unknown)}); "
            "update the app before opening it."
        )
    return len(applied)


def migrate(db: Database) -> int:
    """Apply every pending migration, each in its own transaction; return the version."""
    schema_version(db)
    device_migrations.apply(db)
    return schema_version(db)
