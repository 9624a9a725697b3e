"""The OpenRosa and import benchmarks still work, with tiny numbers: Hesabu's real
OpenRosa endpoint behind the counting link (HEAD once, then a POST per submission, every
submission stored), and a small Kobo export imported twice (bench/run_all.py runs the
full sizes, not make test)."""

from __future__ import annotations

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"
if str(BENCH) not in sys.path:
    sys.path.append(str(BENCH))  # after the project: bench/sync.py must not shadow sync/

import kobo_import  # noqa: E402
from netlab.proxy import LinkProxy  # noqa: E402
from peers import openrosa_run  # noqa: E402
from peers.data import make_dataset  # noqa: E402

HOUSEHOLDS = 5


def test_an_openrosa_client_submits_households_and_photos_to_hesabu(tmp_path: Path) -> None:
    data = make_dataset(tmp_path / "photos", HOUSEHOLDS, 1, seed=3)
    with LinkProxy(0) as proxy:
        households, photos = openrosa_run.run(data, proxy, tmp_path / "run", 1)
    assert (households.system, households.items) == ("hesabu-openrosa", HOUSEHOLDS)
    assert households.requests == HOUSEHOLDS + 1  # one HEAD (its 204 names the URL)
    assert households.bytes_up > 1500 * HOUSEHOLDS  # the XML of each submission
    assert photos.items == 1 and photos.bytes_up > 180 * 1024


def test_a_kobo_export_imports_and_imports_again(tmp_path: Path) -> None:
    result = kobo_import.run(30, tmp_path)
    assert result["households"] == 30 and result["households_per_s"] > 0
    assert result["import_again_s"] >= 0 and result["file_bytes"] > 10_000
    assert "30 households" in kobo_import.describe(result)
