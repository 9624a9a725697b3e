"""The peer benchmark still works: Hesabu and the ODK-style model on loopback, a few
households, no npm and no namespace (the full run is `bench/run_all.py`, not make test)."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
if str(BENCH) not in sys.path:
    sys.path.append(str(BENCH))  # after the project: bench/sync.py must not shadow sync/

from netlab.proxy import LinkProxy, RequestCounter  # noqa: E402
from netlab.report import summarise, table  # noqa: E402
from peers import odk  # noqa: E402
from peers.data import make_dataset  # noqa: E402

HOUSEHOLDS = 6


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory) -> dict:
    import run_all

    cfg = run_all.config(run_all.parse(["--quick", "--households", str(HOUSEHOLDS),
                                        "--photos", "1"]))
    doc = {"profiles": {"loopback": run_all.run_profile("loopback", cfg)}}
    doc.update(summarise(doc))
    return doc


def _phase(doc: dict, system: str, phase: str) -> dict:
    return next(p for p in doc["profiles"]["loopback"]["phases"]
                if p["system"] == system and p["phase"] == phase)


def test_hesabu_pushes_every_household_through_the_counting_link(quick: dict) -> None:
    push = _phase(quick, "hesabu", "households")
    assert push["items"] == HOUSEHOLDS
    assert push["requests"] >= 1 and push["connections"] >= 1
    assert push["bytes_up"] > 100 * HOUSEHOLDS  # the households crossed the proxy
    photo = _phase(quick, "hesabu", "photos")
    assert photo["bytes_up"] > 180 * 1024  # one ~200 KB photo, uncompressible


def test_odk_model_sends_one_head_and_one_post_per_household(quick: dict) -> None:
    odk_push = _phase(quick, "odk-model", "households")
    assert odk_push["requests"] == 2 * HOUSEHOLDS
    assert odk_push["bytes_up"] > 1500 * HOUSEHOLDS  # ~2 KB of XML each
    ratios = quick["ratios_vs_hesabu"]["loopback"]["households"]["odk-model"]
    assert ratios["bytes_x"] > 1
    assert "odk-model" in table(quick)


def test_instance_xml_has_the_form_nesting_and_instance_id(tmp_path: Path) -> None:
    data = make_dataset(tmp_path, 1, 0, seed=3)
    h = data.households[0]
    root = ET.fromstring(odk.instance_xml(data.spec, h.record_id, h.answers))
    assert root.tag == data.spec.id and root.get("version") == data.spec.version
    assert root.findtext("meta/instanceID") == f"uuid:{h.record_id}"
    members = root.findall("household/members")
    assert len(members) == len(h.answers["household"]["members"])
    assert members[0].findtext("member_name") == h.answers["household"]["members"][0][
        "member_name"]
    assert root.find("household/tenure_other") is not None  # blank fields are present


def test_request_counter_follows_content_length_and_chunked_framing() -> None:
    counter = RequestCounter()
    stream = (b"HEAD /submission HTTP/1.1\r\nHost: x\r\n\r\n"
              b"POST /a HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789"
              b"POST /b HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
              b"5\r\nGET /\r\n3\r\n\r\n\r\n0\r\n\r\n"
              b"GET /c HTTP/1.1\r\n\r\n")
    for i in range(0, len(stream), 7):  # arrives in small pieces
        counter.feed(stream[i:i + 7])
    assert counter.count == 4


def test_a_cut_link_makes_the_odk_model_send_the_submission_again(tmp_path: Path) -> None:
    from peers import odk_run

    data = make_dataset(tmp_path / "photos", 4, 0, seed=5)
    with LinkProxy(0) as proxy:
        clean = odk_run.run(data, proxy, tmp_path / "clean", 0)[0]
        cut = odk_run.run(data, proxy, tmp_path / "cut", 0,
                          cut={"households": odk_run.Cut(clean.bytes_up // 2, 0.2)})[0]
    assert cut.cuts == 1 and cut.retries >= 1
    assert cut.bytes_up > clean.bytes_up  # the cut submission went again, whole
