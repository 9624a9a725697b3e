"""The migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import Connection, create_engine, inspect, select, text

from hesabu.cli import main
from server.extensions import Base
from server.migrate import current_revision, head_revision, upgrade
from server.models import ServerSeq


def test_a_fresh_database_upgrades_to_a_schema_matching_the_models(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        assert inspect(engine).get_table_names() == []  # really from nothing
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, Base.metadata)
            assert diff == [], diff
            assert conn.execute(select(ServerSeq.value)).scalar_one() == 0
        upgrade(engine)  # again: nothing to do, the counter row is not duplicated
        with engine.connect() as conn:
            assert conn.execute(select(ServerSeq.id)).scalars().all() == [1]
    finally:
        engine.dispose()


def test_db_upgrade_command_creates_the_sqlite_file(tmp_path: Path) -> None:
    target = tmp_path / "hub" / "hesabu.db"
    target.parent.mkdir()
    result = CliRunner().invoke(main, ["db", "upgrade", "--database-url",
                                       f"sqlite:///{target}"])
    assert result.exit_code == 0, result.output
    assert f"revision {head_revision()}" in result.output
    engine = create_engine(f"sqlite:///{target}")
    try:
        assert "ops" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_0008_adds_the_enrolment_failures_table_to_a_0007_database(db_url: str) -> None:
    """A database made before 0008 (at 0007, as deployed) gains the shared enrolment
    failure count with its indexes; the downgrade takes it away again."""
    from alembic import command

    from server.migrate import alembic_config

    engine = create_engine(db_url)
    try:
        upgrade(engine)
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0007")
        assert current_revision(engine) == "0007"
        assert "enrolment_failures" not in inspect(engine).get_table_names()
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        indexes = {ix["name"]: ix["column_names"]
                   for ix in inspect(engine).get_indexes("enrolment_failures")}
        assert indexes == {"ix_enrolment_failures_client": ["client", "failed_at"],
                           "ix_enrolment_failures_failed_at": ["failed_at"]}
    finally:
        engine.dispose()


def test_0009_identifies_bundles_by_signer_and_id_and_keeps_refusals(db_url: str) -> None:
    """Issue 19: a 0008 database keeps its imported bundles; afterwards the same bundle
    id signed by another device is a row of its own, and refusals have a table. The
    downgrade keeps the first import of each bundle id."""
    from alembic import command
    from sqlalchemy import text

    from server.migrate import alembic_config

    bundle = "019b76da-a7fb-7119-9717-2b7ff7ccc15e"
    insert = text("INSERT INTO bundle_imports (bundle_id, device_id, ops, attachments, cursor, "
                  "rejected, imported_at) VALUES (:b, :d, 3, 0, 0, '[]', :t)")
    engine = create_engine(db_url)
    try:
        upgrade(engine, "0008")
        with engine.begin() as conn:
            conn.execute(insert, {"b": bundle, "d": "tab-b", "t": "2026-12-01 10:00:00+00:00"})
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        with engine.begin() as conn:
            conn.execute(insert, {"b": bundle, "d": "tab-a", "t": "2026-12-01 11:00:00+00:00"})
            assert sorted(conn.execute(text("SELECT device_id, ops FROM bundle_imports"))) == [
                ("tab-a", 3), ("tab-b", 3)]
        assert inspect(engine).get_pk_constraint("bundle_imports")["constrained_columns"] == [
            "device_id", "bundle_id"]
        assert inspect(engine).get_pk_constraint("op_refusals")["constrained_columns"] == [
            "device_id", "op_id"]
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0008")
        with engine.connect() as conn:
            assert list(conn.execute(text("SELECT device_id FROM bundle_imports"))) == [
                ("tab-b",)]
        assert "op_refusals" not in inspect(engine).get_table_names()
        upgrade(engine)
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_0013_adds_and_removes_the_records_table_sort_keys(db_url: str) -> None:
    """0013 adds record_values (the records table's question sort keys, a cache made
    from the records when first needed) and its marks; the downgrade drops both."""
    from alembic import command

    from server.migrate import alembic_config

    engine = create_engine(db_url)
    try:
        upgrade(engine)
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0012")
        assert current_revision(engine) == "0012"
        tables = set(inspect(engine).get_table_names())
        assert not tables & {"record_values", "record_value_columns"}
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        indexes = {ix["name"]: ix["column_names"]
                   for ix in inspect(engine).get_indexes("record_values")}
        assert indexes == {"ix_record_values_number": ["form_id", "path", "number",
                                                       "record_id"],
                           "ix_record_values_folded": ["form_id", "path", "folded",
                                                       "record_id"],
                           "ix_record_values_value": ["form_id", "path", "value"]}
        assert inspect(engine).get_pk_constraint("record_value_columns")[
            "constrained_columns"] == ["form_id", "path"]
    finally:
        engine.dispose()


def test_0014_compresses_with_lz4_and_its_downgrade_lists_compact_heads(db_url: str) -> None:
    """0014 sets lz4 on the big JSON columns (PostgreSQL with lz4 only); going back to
    0013 rewrites heads in the "all+deleted" form as the listed form older code reads."""
    import json

    from alembic import command
    from sqlalchemy import text

    from server.migrate import alembic_config
    from server.services.apply import decode_heads, encode_heads

    a = "01964c02-0000-7000-8000-00000000000a"
    fields = {"consent": "yes", "household/size": 3}
    heads = {path: {a: (a, "h", "t", value)} for path, value in fields.items()}
    heads["__deleted__"] = {a: (a, "h", "t", False)}
    stored = encode_heads(heads, fields)
    assert stored["won"] == "all+deleted"
    engine = create_engine(db_url)
    try:
        upgrade(engine)
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                methods = _compression(conn, ("fields", "answers", "heads", "payload"))
                expected = "l" if _lz4(conn) else ""
                assert methods == {"records.fields": expected, "records.answers": expected,
                                   "records.heads": expected, "ops.payload": expected}
            for rid, form_heads in (("r1", stored), ("r2", {"ops": [[a, "h", "t"]],
                                                            "won": "all", "fields": {}})):
                conn.execute(text(
                    "INSERT INTO records (record_id, form_id, form_version, latest_hlc, "
                    "latest_op_id, fields, answers, deleted, created_seq, server_seq, heads) "
                    "VALUES (:rid, 'f', '1', 'h', :a, :fields, '{}', false, 1, 1, :heads)"),
                    {"rid": rid, "a": a, "fields": json.dumps(fields),
                     "heads": json.dumps(form_heads)})
            command.downgrade(alembic_config(conn), "0013")
        with engine.connect() as conn:
            rows = dict(conn.execute(text("SELECT record_id, heads FROM records")).all())
            if conn.dialect.name == "postgresql":
                assert set(conn.execute(text(
                    "SELECT attcompression FROM pg_attribute WHERE attrelid = "
                    "'records'::regclass AND attname = 'fields'")).scalars()) == {""}
        listed = rows["r1"] if isinstance(rows["r1"], dict) else json.loads(rows["r1"])
        assert listed["won"] == [["consent", "household/size", "__deleted__"]]
        assert decode_heads(listed, fields, deleted=False) == heads
        kept = rows["r2"] if isinstance(rows["r2"], dict) else json.loads(rows["r2"])
        assert kept["won"] == "all"
        upgrade(engine)
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_0015_keeps_payloads_and_answers_as_text_on_postgresql_and_back(db_url: str) -> None:
    """0015 turns ops.payload and records.answers into text on PostgreSQL (SQLite keeps
    its JSON columns), with the values intact both ways; the models read them alike."""
    import json

    from alembic import command
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from server.migrate import alembic_config
    from server.models import Op, Record

    answers = {"household": {"size": 3, "head": "Wanjiru \u00e9 \\ \"q\""},
               "members": [{"__id": "m1", "age": 41.5}], "big": 12345678901234567890123}
    payload = {"op_id": "o15", "answers": answers}
    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), "0014")
            _store_record(conn, "r15", answers=json.dumps(answers))
            conn.execute(text(
                "INSERT INTO ops (op_id, server_seq, device_id, pushed_by, record_id, "
                "form_id, form_version, hlc, kind, payload, received_at) VALUES ('o15', 1, "
                "'t', 't', 'r15', 'f', '1', 'h', 'answers', :payload, CURRENT_TIMESTAMP)"),
                {"payload": json.dumps(payload)})

        def column_types() -> dict[str, str]:
            with engine.connect() as conn:
                found = {f"{t}.{c['name']}": str(c["type"]).lower()
                         for t in ("records", "ops") for c in inspect(conn).get_columns(t)
                         if c["name"] in ("answers", "payload")}
                if conn.dialect.name == "postgresql":
                    expected = "l" if _lz4(conn) else ""
                    assert set(_compression(conn, ("answers", "payload")).values()) \
                        == {expected}
                return found

        upgrade(engine)
        postgresql = engine.dialect.name == "postgresql"
        assert set(column_types().values()) == ({"text"} if postgresql else {"json"})
        with Session(engine) as session:
            assert session.get(Record, "r15").answers == answers
            assert session.get(Op, "o15").payload == payload
            session.add(Op(op_id="o16", server_seq=2, device_id="t", pushed_by="t",
                           record_id="r15", form_id="f", form_version="1", hlc="h2",
                           kind="answers", payload={"op_id": "o16", "n": [1.5, None]}))
            session.commit()
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0014")
        assert set(column_types().values()) == {"json"}
        with engine.connect() as conn:
            stored = dict(conn.execute(text(
                "SELECT op_id, payload FROM ops WHERE op_id IN ('o15', 'o16')")).all())
        loads = (lambda v: v) if postgresql else json.loads
        assert {k: v if isinstance(v, dict) else loads(v) for k, v in stored.items()} == {
            "o15": payload, "o16": {"op_id": "o16", "n": [1.5, None]}}
        upgrade(engine)
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def _store_record(conn: Connection, record_id: str, *, fields: str = "{}",
                  answers: str = "{}") -> None:
    """A record row written by SQL, past the models (whatever the schema's revision)."""
    conn.execute(text(
        "INSERT INTO records (record_id, form_id, form_version, latest_hlc, latest_op_id, "
        "fields, answers, deleted, created_seq, server_seq, heads) VALUES (:rid, 'f', '1', "
        "'h', :op_id, :fields, :answers, false, 1, 1, '{}')"),
        {"rid": record_id, "op_id": f"o-{record_id}", "fields": fields, "answers": answers})


def _lz4(conn: Connection) -> bool:
    """Was this PostgreSQL built with lz4?"""
    return bool(conn.execute(text(
        "SELECT 'lz4' = ANY(enumvals) FROM pg_settings "
        "WHERE name = 'default_toast_compression'")).scalar())


def _compression(conn: Connection, columns: tuple[str, ...]) -> dict[str, str]:
    """`table.column`: PostgreSQL's compression method letter ("" for the default) of
    these columns of records and ops."""
    return dict(conn.execute(text(
        "SELECT attrelid::regclass::text || '.' || attname, attcompression "
        "FROM pg_attribute WHERE attname = ANY(:columns) "
        "AND attrelid::regclass::text IN ('records', 'ops')"),
        {"columns": list(columns)}).all())


def test_0016_keeps_a_households_record_row_whole_on_postgresql(db_url: str) -> None:
    """After 0016 PostgreSQL stores a household-sized record row as it comes (nothing
    compressed or moved out of line); before it, the same row was compressed. SQLite
    has no such setting and keeps working alike."""
    import json

    from alembic import command

    from server.migrate import alembic_config

    fields = {f"household/member_{i}/name": f"Member number {i} of the household"
              for i in range(60)}  # ~3.5 kB of JSON: past the 2 kB threshold

    def store(conn: Connection, record_id: str) -> None:
        _store_record(conn, record_id, fields=json.dumps(fields))

    def compressed(conn: Connection, record_id: str) -> bool:
        return conn.execute(text(
            "SELECT pg_column_compression(fields) IS NOT NULL FROM records "
            "WHERE record_id = :rid"), {"rid": record_id}).scalar_one()

    engine = create_engine(db_url)
    try:
        upgrade(engine)  # from wherever the module's database is, to 0015
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0015")
            store(conn, "before")
        with engine.begin() as conn:  # (0017 rewrites the table: stop before it)
            command.upgrade(alembic_config(conn), "0016")
            store(conn, "after")
            assert conn.execute(text(
                "SELECT record_id FROM records WHERE record_id IN ('after', 'before') "
                "ORDER BY record_id")).scalars().all() == ["after", "before"]
            if conn.dialect.name == "postgresql":
                assert (compressed(conn, "before"), compressed(conn, "after")) \
                    == (True, False)
                assert conn.execute(text(
                    "SELECT reloptions FROM pg_class WHERE relname = 'records'"
                )).scalar_one() == ["toast_tuple_target=8160"]
            stored = conn.execute(text(
                "SELECT fields FROM records WHERE record_id = 'after'")).scalar_one()
            assert (stored if isinstance(stored, dict) else json.loads(stored)) == fields
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0015")
            if conn.dialect.name == "postgresql":
                assert conn.execute(text(
                    "SELECT reloptions FROM pg_class WHERE relname = 'records'"
                )).scalar_one() is None
        upgrade(engine)
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_0017_keeps_records_fields_as_text_on_postgresql_queried_as_json(db_url: str) -> None:
    """0017 turns records.fields into text on PostgreSQL (SQLite keeps its JSON column)
    with the values intact both ways; SQL still looks into it through `json_of`, and
    the model reads it alike."""
    import json

    from alembic import command
    from sqlalchemy.orm import Session

    from server.migrate import alembic_config
    from server.models import Record
    from server.models.types import json_of

    fields = {"structure_number": "KB-0007", "household/head": "Wanjiru \u00e9 \\ \"q\"",
              "household/size": 3, "members[m1]/age": 41.5, "water/sources": ["tap", "well"],
              "big": 12345678901234567890123, "note": None}
    engine = create_engine(db_url)
    try:
        upgrade(engine)  # from wherever the module's database is
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0016")
            _store_record(conn, "r17", fields=json.dumps(fields))

        def fields_type() -> str:
            with engine.connect() as conn:
                if conn.dialect.name == "postgresql":
                    expected = "l" if _lz4(conn) else ""
                    assert _compression(conn, ("fields",)) == {"records.fields": expected}
                return next(str(c["type"]).lower() for c in inspect(conn).get_columns("records")
                            if c["name"] == "fields")

        def looked_into() -> tuple[str, ...]:
            with Session(engine) as session:
                doc = json_of(Record.fields)
                return session.execute(select(
                    doc["structure_number"].as_string(), doc["household/size"].as_integer(),
                    doc["water/sources"][1].as_string(), doc["members[m1]/age"].as_float())
                    .where(Record.record_id == "r17")).one()

        upgrade(engine)
        postgresql = engine.dialect.name == "postgresql"
        assert fields_type() == ("text" if postgresql else "json")
        assert looked_into() == ("KB-0007", 3, "well", 41.5)
        with Session(engine) as session:
            assert session.get(Record, "r17").fields == fields
            session.add(Record(record_id="r18", form_id="f", form_version="1", latest_hlc="h",
                               latest_op_id="o18", fields={"n": [1.5, None], "s": "\u00e3"},
                               answers={}, deleted=False, created_seq=2, server_seq=2))
            session.commit()
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0016")
        assert fields_type() == "json"
        with engine.connect() as conn:
            stored = dict(conn.execute(text(
                "SELECT record_id, fields FROM records WHERE record_id IN ('r17', 'r18')")).all())
        assert {k: v if isinstance(v, dict) else json.loads(v) for k, v in stored.items()} == {
            "r17": fields, "r18": {"n": [1.5, None], "s": "\u00e3"}}
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        assert looked_into() == ("KB-0007", 3, "well", 41.5)
    finally:
        engine.dispose()
