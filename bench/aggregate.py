"""Benchmark: indicators of a synthetic city and record exports.

Builds a city of N settlements, their structures and M households (answers shaped by
the SDI forms; a pool of realistic households from bench/households.py reused with new
ids) written straight into the records table, as if pushed, then times:

- the first facts refresh (every record read once; later refreshes read only changes),
- a city profile with all its settlement profiles (the issue's target: under 1 s for
  1,000,000 households in 5,000 settlements on PostgreSQL),
- the household CSV export (zip: households + members), rows per second (target at
  least 20,000 households/s), and the settlement profiles CSV,

with the process's peak RSS after each phase (if the export streams, it does not
raise the high-water mark left by loading). One JSON object on stdout, a table on
stderr.

    .venv/bin/python bench/aggregate.py --settlements 500 --households 100000
    .venv/bin/python bench/aggregate.py --settlements 5000 --households 1000000 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/hesabu_bench
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# bench/sync.py would shadow the sync package: run from the repository root instead.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

CITY = "Benchville"
_BATCH = 5000


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def uuid(kind: int, n: int) -> str:
    return f"0196{kind:04x}-0000-7000-8000-{n:012d}"


def profile_answers(rng: random.Random, template: dict[str, Any], n: int) -> dict[str, Any]:
    answers = copy.deepcopy(template)
    lat, lon = -1.2 - rng.random() * 0.2, 36.7 + rng.random() * 0.3
    answers["section_B"]["B1_GPS"] = f"{lat:.5f} {lon:.5f} 1700 5"
    d = 0.002
    answers["verification"]["A0_Boundary"] = ";".join(
        f"{a:.5f} {b:.5f} 0 0" for a, b in ((lat + d, lon - d), (lat + d, lon + d),
                                            (lat - d, lon + d), (lat - d, lon - d),
                                            (lat + d, lon - d)))
    answers["section_B"]["B5_City"] = CITY
    answers["section_B"]["B7_Settlement_Name_Community"] = f"Settlement {n}"
    answers["section_B"]["B2a_Area_sqmt"] = rng.randint(20_000, 600_000)
    answers["section_B"]["B14_Status"] = rng.choice(
        ["declared_legal_protected", "undeclared_illegal_unprotected", "resettled"])
    answers["section_C"]["C12_Total_Population"] = rng.randint(2_000, 40_000)
    answers["section_C"]["C9_Households"] = rng.randint(500, 9_000)
    answers["section_E"]["E2A_Current_Eviction_Threat"] = rng.choice(["yes", "no"])
    answers["section_G"]["G8_Working"] = rng.randint(0, 150)
    answers["section_F"]["F1_Working"] = rng.randint(0, 24)
    return answers


def build(app: Any, settlements: int, households: int, seed: int) -> dict[str, float]:
    """Write the synthetic city into the records table (bench only: tests push ops)."""
    import importlib.util

    from sqlalchemy import insert, update

    from server.extensions import db
    from server.models import Record, ServerSeq

    found = importlib.util.spec_from_file_location("bench_households",
                                                   ROOT / "bench" / "households.py")
    assert found is not None and found.loader is not None
    households_module = importlib.util.module_from_spec(found)
    found.loader.exec_module(households_module)
    rng = random.Random(seed)
    spec = households_module.load_household_form()
    pool = [households_module.make_household(spec, rng, f"B-{i:04d}") for i in range(300)]
    template = json.loads((ROOT / "forms/examples/sdi_settlement_profile/"
                           "mashimoni_nairobi.json").read_text(encoding="utf-8"))
    structures = max(settlements, households // 2)
    seq = 0
    started = time.perf_counter()

    def rows(form_id: str, items: Any) -> Any:
        nonlocal seq
        for record_id, answers in items:
            seq += 1
            yield {"record_id": record_id, "form_id": form_id, "form_version": "bench",
                   "latest_hlc": f"{1_700_000_000_000 + seq:013d}-000000-bench",
                   "latest_op_id": record_id, "fields": {}, "answers": answers,
                   "deleted": False, "created_seq": seq, "server_seq": seq}

    def write(batch: list[dict[str, Any]]) -> None:
        db.session.execute(insert(Record), batch)
        db.session.commit()

    def chunks(generator: Any) -> None:
        batch: list[dict[str, Any]] = []
        for row in generator:
            batch.append(row)
            if len(batch) >= _BATCH:
                write(batch)
                batch = []
        if batch:
            write(batch)

    with app.app_context():
        chunks(rows("sdi_settlement_profile", (
            (uuid(1, s), profile_answers(rng, template, s)) for s in range(settlements))))
        chunks(rows("sdi_structure_numbering", (
            (uuid(2, t), {"settlement_id": uuid(1, t % settlements),
                          "structure_number": f"B-{t:06d}", "structure_use": "residential",
                          "gps": "-1.3 36.8 1700 4", "households": 2})
            for t in range(structures))))

        def household_items() -> Any:
            for h in range(households):
                answers = dict(pool[h % len(pool)])
                answers["structure_id"] = uuid(2, h % structures)
                yield uuid(3, h), answers

        chunks(rows("sdi_household_enumeration", household_items()))
        db.session.execute(update(ServerSeq).values(value=seq))
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            # What autovacuum does after a bulk load; without it the planner guesses.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("ANALYZE")
    members = sum(len(pool[h % len(pool)]["household"]["members"]) for h in range(households))
    return {"load_s": round(time.perf_counter() - started, 2), "records": seq,
            "structures": structures, "member_rows": members}


def consume(download: Any) -> int:
    size = 0
    for chunk in download.chunks:
        size += len(chunk)
    return size


def run(args: argparse.Namespace) -> dict[str, Any]:
    from server.app import create_app
    from server.extensions import db
    from server.services import exports
    from server.services.indicators.facts import refresh_facts
    from server.services.indicators.profiles import Filters, Viewer, city_profile

    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url,
                      "INSTANCE_PATH": tempfile.mkdtemp()})
    result: dict[str, Any] = {"database": url.split(":")[0], "settlements": args.settlements,
                              "households": args.households}
    result.update(build(app, args.settlements, args.households, args.seed))
    result["peak_rss_mb_after_load"] = peak_rss_mb()
    admin, official = Viewer(), Viewer(aggregates_only=True)
    with app.test_request_context():
        from forms import load_form
        from server.services.forms import publish_form

        publish_form(load_form(ROOT / "forms/definitions/sdi_household_enumeration.xlsx"))
        started = time.perf_counter()
        refreshed = refresh_facts(db.session)
        took = time.perf_counter() - started
        result["facts_refresh_s"] = round(took, 2)
        result["facts_refresh_records_per_s"] = round(refreshed / took)
        result["peak_rss_mb_after_refresh"] = peak_rss_mb()

        for label, viewer in (("admin", admin), ("official", official)):
            times = []
            for _ in range(3):
                started = time.perf_counter()
                found = city_profile(viewer, CITY)
                times.append(time.perf_counter() - started)
            assert found is not None
            assert found["from_settlement_profiles"]["settlements_profiled"] == args.settlements
            assert found["enumeration"]["households"] in (args.households, None)
            result[f"city_profile_{label}_s"] = round(min(times), 3)
            result[f"city_profile_{label}_first_s"] = round(times[0], 3)
        result["peak_rss_mb_after_profiles"] = peak_rss_mb()

        started = time.perf_counter()
        size = consume(exports.settlements_download(admin, Filters(), "csv"))
        result["settlements_csv_s"] = round(time.perf_counter() - started, 3)
        result["settlements_csv_bytes"] = size

        started = time.perf_counter()
        size = consume(exports.records_download(admin, "sdi_household_enumeration", "csv"))
        took = time.perf_counter() - started
        result["household_export_s"] = round(took, 2)
        result["household_export_households_per_s"] = round(args.households / took)
        # Every CSV row: a household's and one per member (the members file).
        result["household_export_rows_per_s"] = round(
            (args.households + result["member_rows"]) / took)
        result["household_export_zip_bytes"] = size
        result["peak_rss_mb_after_export"] = peak_rss_mb()
        db.session.remove()
        db.engine.dispose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--settlements", type=int, default=500)
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--database-url", default=None,
                        help="an EMPTY database (default: a new SQLite file)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    result = run(args)
    print(json.dumps(result))
    width = max(len(k) for k in result)
    for key, value in result.items():
        print(f"{key:<{width}}  {value}", file=sys.stderr)


if __name__ == "__main__":
    main()
