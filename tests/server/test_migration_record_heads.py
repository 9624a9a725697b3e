"""Migration 0005 moves field heads from rows (field_versions) into records.heads."""

from __future__ import annotations

from alembic import command
from sqlalchemy import JSON, bindparam, create_engine, text

from server.migrate import alembic_config, upgrade
from server.services.apply import decode_heads, encode_heads

R1 = "019b76da-a7fb-7119-9717-2b7ff7ccc15e"
A = "019b76da-a800-736f-9eeb-60adcb33135e"
B = "019b76da-a801-736f-9eeb-60adcb33135e"


def test_heads_rows_become_the_records_heads_and_back(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        upgrade(engine, "0001")
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO records (record_id, form_id, form_version, latest_hlc, "
                "latest_op_id, fields, answers, deleted, created_seq, server_seq) VALUES "
                "(:r, 'household', '1', 'h', :b, '{}', '{}', :no, 1, 2)"), {"r": R1, "b": B,
                                                                            "no": False})
            rows = [(A, "toilet", "shared", True), (B, "toilet", "none", True),
                    (A, "name", "Amina", False), (B, "name", "Amina O.", True)]
            for op_id, path, value, is_head in rows:
                conn.execute(text(
                    "INSERT INTO field_versions (record_id, path, op_id, hlc, device_id, value, "
                    "is_head, parents, server_seq) VALUES (:r, :p, :o, :h, 'tab', :v, :head, "
                    "'[]', 1)").bindparams(bindparam("v", type_=JSON())),
                    {"r": R1, "p": path, "o": op_id, "h": f"hlc-{op_id[-4:]}", "v": value,
                     "head": is_head})
        upgrade(engine)
        with engine.connect() as conn:
            stored = conn.execute(text("SELECT heads FROM records").columns(
                heads=JSON())).scalar_one()
        heads = decode_heads(stored)
        assert {p: {o: v[3] for o, v in versions.items()} for p, versions in heads.items()} == {
            "toilet": {A: "shared", B: "none"}, "name": {B: "Amina O."}}
        assert heads["toilet"][A][1:3] == ("hlc-" + A[-4:], "tab")
        # What the server writes now: single heads by op ("won"), values in `fields`.
        with engine.begin() as conn:
            conn.execute(text("UPDATE records SET heads = :h, fields = :f").bindparams(
                bindparam("h", type_=JSON()), bindparam("f", type_=JSON())),
                {"h": encode_heads(heads), "f": {"name": "Amina O.", "toilet": "none"}})
        assert ["name"] in encode_heads(heads)["won"]
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0005-1")
        with engine.connect() as conn:
            back = sorted(conn.execute(text(
                "SELECT path, op_id, is_head, value FROM field_versions").columns(
                    value=JSON())).all())
        assert back == sorted([("toilet", A, True, "shared"), ("toilet", B, True, "none"),
                               ("name", B, True, "Amina O.")])
    finally:
        engine.dispose()
