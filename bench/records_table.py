"""Benchmark: the records table leaders work in, at 100,000 household records.

Writes N household records (answers from bench/households.py's realistic pool, fields
flattened as a push stores them) with the op that created each (so "submitted",
"enumerator" and "device" are real joins), 40 tablets of 40 enumerators in one
federation, record scopes, reviews for a third of the records and a few hundred open
conflicts, straight into the database (as if pushed), then times what a leader does in
the table, as `records_page` runs it for the web page, each the median of `--repeat`
runs (a first run is made before, so caches are warm as on a working server):

- the first page, newest first; the last page; a page in the middle,
- sorted by a number question (members), by a text question (head's name), by
  enumerator, by review state, by open conflicts,
- filtered by a choice (tenure), a number range (members 4 to 6), review state,
  enumerator, a text search in the answers, open conflicts; and several at once,
- a bulk review of 50 records,
- once each: the first sort on a question (its keys are made from every record) and a
  sorted page after 50 records changed (their keys are brought up to date first).

One JSON object on stdout, a table on stderr.

    .venv/bin/python bench/records_table.py                       # 100,000 on PostgreSQL
    .venv/bin/python bench/records_table.py --households 2000 --database-url sqlite:///x.db
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# bench/sync.py would shadow the sync package: run from the repository root instead.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

FORM = "sdi_household_enumeration"
_BATCH = 5000
PEOPLE = 40
SETTLEMENTS = 20


def uuid(kind: int, n: int) -> str:
    return f"0196{kind:04x}-0000-7000-8000-{n:012d}"


def _households_module() -> Any:
    found = importlib.util.spec_from_file_location("bench_households",
                                                   ROOT / "bench" / "households.py")
    assert found is not None and found.loader is not None
    module = importlib.util.module_from_spec(found)
    found.loader.exec_module(module)
    return module


def build(app: Any, households: int, seed: int) -> dict[str, Any]:
    """Write the federation, its tablets and `households` records (bench only: the
    tests push ops through the real path)."""
    from sqlalchemy import insert, update

    from field_app.core.session import with_instance_ids
    from forms import load_form
    from server.extensions import db
    from server.models import (
        Conflict,
        Device,
        DeviceAccount,
        Federation,
        Op,
        Record,
        RecordScope,
        Review,
        ServerSeq,
        Settlement,
        User,
    )
    from server.services.forms import publish_form
    from sync.fields import flatten

    module = _households_module()
    rng = random.Random(seed)
    spec = module.load_household_form()
    pool = []
    for i in range(400):
        answers = with_instance_ids(module.make_household(spec, rng, f"B-{i:04d}"))
        pool.append((answers, flatten(answers)))
    started = time.perf_counter()
    start_time = datetime(2026, 9, 1, tzinfo=UTC)
    with app.app_context():
        publish_form(load_form(ROOT / "forms" / "definitions" / f"{FORM}.xlsx"))
        federation = Federation(id=uuid(9, 1), name="Bench federation", city="Benchville")
        db.session.add(federation)
        db.session.add_all(Settlement(id=uuid(1, s), federation_id=federation.id,
                                      name=f"Settlement {s}", city="Benchville")
                           for s in range(SETTLEMENTS))
        db.session.add_all(User(id=uuid(8, p), federation_id=federation.id,
                                username=f"enumerator{p}", display_name=f"Enumerator {p:02d}",
                                role="enumerator", password_hash="-")
                           for p in range(PEOPLE))
        db.session.add(User(id=uuid(8, 999), federation_id=federation.id, username="leader",
                            display_name="Leader", role="leader", password_hash="-"))
        db.session.flush()
        db.session.add_all(Device(id=f"tab-{p:02d}", name=f"Tablet {p:02d}",
                                  token_hash=f"{p:064d}") for p in range(PEOPLE))
        db.session.flush()
        db.session.add_all(DeviceAccount(device_id=f"tab-{p:02d}", user_id=uuid(8, p),
                                         federation_id=federation.id) for p in range(PEOPLE))
        db.session.commit()
        seq = 0
        version = spec.version
        batches: dict[str, list[dict[str, Any]]] = {"records": [], "ops": [], "scopes": [],
                                                    "reviews": [], "conflicts": []}
        tables = {"records": Record, "ops": Op, "scopes": RecordScope, "reviews": Review,
                  "conflicts": Conflict}

        def flush(force: bool = False) -> None:
            if not force and len(batches["records"]) < _BATCH:
                return
            for name in ("records", "ops", "scopes", "reviews", "conflicts"):
                if batches[name]:
                    db.session.execute(insert(tables[name]), batches[name])
                    batches[name] = []
            db.session.commit()

        for h in range(households):
            answers, fields = pool[h % len(pool)]
            record_id = uuid(3, h)
            person = h % PEOPLE
            seq += 1
            hlc = f"{1_780_000_000_000 + h * 1000:013d}-000000-tab-{person:02d}"
            fields = {**fields, "structure_id": uuid(2, h)}
            batches["records"].append({
                "record_id": record_id, "form_id": FORM, "form_version": version,
                "latest_hlc": hlc, "latest_op_id": record_id, "fields": fields,
                "answers": {**answers, "structure_id": uuid(2, h)}, "deleted": False,
                "created_seq": seq, "server_seq": seq})
            batches["ops"].append({
                "op_id": record_id, "server_seq": seq, "device_id": f"tab-{person:02d}",
                "pushed_by": f"tab-{person:02d}", "record_id": record_id, "form_id": FORM,
                "form_version": version, "hlc": hlc, "kind": "edit",
                "payload": {"fields": {}}, "received_at": start_time + timedelta(minutes=h)})
            batches["scopes"].append({"record_id": record_id, "form_id": FORM,
                                      "parent_id": uuid(2, h),
                                      "settlement_id": uuid(1, h % SETTLEMENTS)})
            if h % 3 == 0:
                seq += 1
                batches["reviews"].append({
                    "record_id": record_id, "server_seq": seq, "reviewer": "leader",
                    "state": rng.choice(["approved", "approved", "has_issues", "rejected"]),
                    "comment": "checked", "reviewed_at": start_time})
            if h % 250 == 7:
                batches["conflicts"].append({
                    "record_id": record_id, "path": "household/tenure",
                    "head_op_ids": [record_id], "versions": [], "opened_at": start_time,
                    "opened_at_seq": seq})
            flush()
        flush(force=True)
        db.session.execute(update(ServerSeq).values(value=seq))
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            # What autovacuum does after a bulk load: statistics for the planner, the
            # visibility map for index-only scans.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
    return {"load_s": round(time.perf_counter() - started, 1), "records": households}


def timed(run: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    run()  # warm, as a working server is
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - started)
    return round(statistics.median(times) * 1000, 1), result


def run(args: argparse.Namespace) -> dict[str, Any]:
    from sqlalchemy import select, update

    from server.app import create_app
    from server.extensions import db
    from server.models import Record, ServerSeq, User
    from server.services.exports.records import latest_spec
    from server.services.records_table import Query, question_columns, records_page, review_many
    from server.services.scoping import visible_record_ids

    made = None
    url = args.database_url
    if url is None:
        sys.path.insert(0, str(ROOT / "tests" / "server"))
        import pg_databases

        made = pg_databases.create_pg_database()
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{made}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": tempfile.mkdtemp()})
    result: dict[str, Any] = {"database": url.split(":")[0], "households": args.households,
                              "load_average_before": os.getloadavg()[0]}
    try:
        result.update(build(app, args.households, args.seed))
        with app.test_request_context():
            leader = db.session.get(User, uuid(8, 999))
            visible = visible_record_ids(leader)
            spec = latest_spec(db.session, FORM)
            by_path = {c.path: c for c in question_columns(spec)}
            columns = [by_path[p] for p in ("household/head_name", "household/members_count",
                                            "household/tenure", "household/water_source")]
            pages = -(-args.households // 50)

            def page(**kw: Any) -> Callable[[], Any]:
                return lambda: records_page(Query(form_id=FORM, columns=columns, **kw),
                                            visible)

            cases = {
                "first_page": page(),
                "last_page": page(offset=(pages - 1) * 50),
                "middle_page": page(offset=(pages // 2) * 50),
                "sort_members": page(sort="q:household/members_count"),
                "sort_head_name": page(sort="q:household/head_name", descending=False),
                "sort_enumerator": page(sort="enumerator", descending=False),
                "sort_review": page(sort="review"),
                "sort_conflicts": page(sort="conflicts"),
                "filter_tenure": page(answers=[("household/tenure", "eq", "tenant")]),
                "filter_members_4_to_6": page(answers=[("household/members_count", "min", 4),
                                                       ("household/members_count", "max", 6)]),
                "filter_not_reviewed": page(state=""),
                "filter_enumerator": page(enumerator=uuid(8, 3)),
                "filter_conflicts": page(conflicts=True),
                "search_text": page(text="B-0042"),
                "filters_combined": page(state="approved", enumerator=uuid(8, 5),
                                         answers=[("household/tenure", "eq", "owner")],
                                         sort="q:household/members_count"),
            }
            # A question sorted on for the first time: its keys are made (once per server).
            started = time.perf_counter()
            cases["sort_members"]()
            result["first_sort_on_a_question_ms"] = round(
                (time.perf_counter() - started) * 1000, 1)
            db.session.rollback()
            for name, case in cases.items():
                took, (_rows, total) = timed(case, args.repeat)
                result[f"{name}_ms"] = took
                result[f"{name}_total"] = total
                db.session.rollback()
            assert result["first_page_total"] == args.households
            # 50 records changed since (a push): the next sorted page brings their keys
            # up to date first.
            seq = db.session.execute(select(ServerSeq.value)).scalar_one()
            db.session.execute(update(Record).where(Record.record_id.in_(
                [uuid(3, h) for h in range(0, args.households, args.households // 50)][:50]))
                .values(server_seq=seq + 1))
            db.session.execute(update(ServerSeq).values(value=seq + 1))
            db.session.commit()
            started = time.perf_counter()
            cases["sort_members"]()
            result["sort_after_50_changed_ms"] = round((time.perf_counter() - started) * 1000, 1)
            db.session.rollback()
            ids = [r.record_id for r in records_page(
                Query(form_id=FORM, state="", limit=50), visible)[0]]
            db.session.rollback()
            started = time.perf_counter()
            done = review_many(ids, "has_issues", "Ages missing", "leader", visible)
            result["bulk_review_50_ms"] = round((time.perf_counter() - started) * 1000, 1)
            assert len(done) == len(ids)
            db.session.remove()
            db.engine.dispose()
    finally:
        if made is not None:
            pg_databases.drop_pg_database(made)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--database-url", default=None,
                        help="an EMPTY database (default: a new PostgreSQL database on "
                             "127.0.0.1:5432, dropped afterwards)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    result = run(args)
    result["load_average_after"] = os.getloadavg()[0]  # the machine may be shared
    print(json.dumps(result))
    width = max(len(k) for k in result)
    for key, value in result.items():
        print(f"{key:<{width}}  {value}", file=sys.stderr)


if __name__ == "__main__":
    main()
