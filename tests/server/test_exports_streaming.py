"""Exports stream: the response is a generator that reads the records in batches, so
memory stays bounded by a batch, not by the export (the 100,000-household case is in
bench/aggregate.py)."""

from __future__ import annotations

import gc
import io
import tracemalloc
import zipfile
from collections.abc import Iterator

import pytest
from flask import Flask
from kyc_data import MSH_0142, household, load_kyc, make_ops, push
from personas import People, make_personas
from sqlalchemy import select

from server.extensions import db
from server.models import Record
from server.services.exports import records

HOUSEHOLDS = 600


@pytest.fixture
def people(app: Flask) -> Iterator[People]:
    people = make_personas(app)
    load_kyc(app, people.federation_a, people.federation_b)
    many = [("sdi_household_enumeration", f"0196aaaa-0000-7000-8000-{n:012d}",
             household(MSH_0142, 10 + n, f"Person {n}", f"+2547{n:08d}", "tenant",
                       "grid_shared", [(30, "female"), (8, "male"), (3, "female")]))
            for n in range(HOUSEHOLDS)]
    for start in range(0, HOUSEHOLDS, 300):
        push(app, make_ops(many[start:start + 300], device_id=f"tab-{start}"))
    yield people


def peak_bytes(consume: object) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        consume()  # type: ignore[operator]
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_big_record_export_streams_in_bounded_memory(app: Flask, people: People,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(records, "_BATCH", 20)
    client = people.leader_a.api
    client.get("/api/settlements")  # facts are current before we measure
    chunks: list[int] = []

    def stream(query: str = "") -> None:
        response = client.get(f"/api/exports/records/sdi_household_enumeration.csv{query}")
        assert response.status_code == 200 and response.is_streamed
        for chunk in response.response:  # the generator, chunk by chunk
            chunks.append(len(chunk))
        response.close()

    # The same export of a settlement without households: the fixed cost of a request.
    empty = peak_bytes(lambda: stream(f"?settlement_id={people.s2}"))
    chunks.clear()
    streaming = peak_bytes(stream)

    def load_all() -> None:
        with app.app_context():
            rows = db.session.execute(select(Record.answers).where(
                Record.form_id == "sdi_household_enumeration")).scalars().all()
            assert len(rows) == HOUSEHOLDS + 8
            db.session.rollback()

    everything = peak_bytes(load_all)
    assert len(chunks) > 3  # sent as it was written, not as one body
    # Holding every record at once costs `everything`; the export holds a batch of 20
    # (one in thirty) on top of what any request costs.
    assert streaming - empty < everything / 3, (empty, streaming, everything)

    body = client.get("/api/exports/records/sdi_household_enumeration.csv").get_data()
    archive = zipfile.ZipFile(io.BytesIO(body))
    lines = archive.read("sdi_household_enumeration.csv").decode("utf-8-sig").splitlines()
    assert len(lines) == 1 + 7 + HOUSEHOLDS  # header, the test records, the many
    members = archive.read("household_members.csv").decode("utf-8-sig").splitlines()
    assert len(members) == 1 + 16 + 3 * HOUSEHOLDS
