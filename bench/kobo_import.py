"""How fast `hesabu import kobo` takes a federation's history: a Kobo XLSX export of N SDI
households (bench/export_files.py: the submissions sheet and the members repeat sheet,
group-path headers) imported into a fresh server database, then imported again (which
must change nothing).

    .venv/bin/python bench/kobo_import.py                       # 10,000 households, SQLite
    .venv/bin/python bench/kobo_import.py --households 2000 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_import

Prints one JSON object on stdout and a line on stderr. The PostgreSQL database must
exist and be empty.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]
if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.append(str(Path(__file__).resolve().parent))

from export_files import Submission, kobo_xlsx  # noqa: E402
from households import load_household_form, make_household  # noqa: E402


def make_export(path: Path, households: int, seed: int = 7) -> Path:
    spec = load_household_form()
    rng = random.Random(seed)
    subs = [Submission(str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                       f"2019-{1 + i % 12:02d}-{1 + i % 28:02d}T10:00:00",
                       make_household(spec, rng, f"KB-{i // 3:04d}"))
            for i in range(households)]
    return kobo_xlsx(path, spec, subs)


def run(households: int, folder: Path, database_url: str | None = None,
        seed: int = 7) -> dict[str, Any]:
    """Write the export, import it twice; the measurements."""
    from server.app import create_app
    from server.extensions import db
    from server.models import Record
    from server.services.accounts import create_federation
    from server.services.forms import publish_form
    from server.services.imports import import_export

    started = time.perf_counter()
    export = make_export(folder / "kobo-households.xlsx", households, seed)
    written = time.perf_counter() - started
    url = database_url or f"sqlite:///{folder / 'import.db'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(folder / "inst")})
    with app.app_context():
        try:
            publish_form(load_household_form())
            create_federation("Bench federation")
            started = time.perf_counter()
            first = import_export(export, "kobo", "sdi_household_enumeration")
            first_s = time.perf_counter() - started
            started = time.perf_counter()
            again = import_export(export, "kobo", "sdi_household_enumeration")
            again_s = time.perf_counter() - started
            records = db.session.query(Record).count()
            db.session.rollback()
        finally:
            db.session.remove()
            db.engine.dispose()
    if first.problems or first.created != households or again.unchanged != households \
            or records != households:
        raise RuntimeError(f"import went wrong: {first} / {again} / {records} records")
    return {"households": households, "database": url.split(":", 1)[0],
            "file_bytes": export.stat().st_size, "export_written_s": round(written, 2),
            "import_s": round(first_s, 2),
            "households_per_s": round(households / first_s, 1),
            "import_again_s": round(again_s, 2)}


def describe(result: dict[str, Any]) -> str:
    return (f"Kobo export of {result['households']} households "
            f"({result['file_bytes'] / 1e6:.1f} MB) imported into {result['database']} in "
            f"{result['import_s']} s ({result['households_per_s']} households/s); "
            f"imported again (nothing to do) in {result['import_again_s']} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--households", type=int, default=10_000)
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default: "
                        "a SQLite file in a temporary folder)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="hesabu-import-") as tmp:
        result = run(args.households, Path(tmp), args.database_url, args.seed)
    print(describe(result), file=sys.stderr)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
