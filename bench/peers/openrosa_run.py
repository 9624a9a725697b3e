"""Hesabu's real OpenRosa endpoint (server/api/openrosa.py) as ODK Collect uses it: the
same client as the ODK-style model (peers/odk.Client: a multipart POST of the instance
XML per household, one keep-alive connection, a failed submission sent again whole)
against a real `hesabu serve` on SQLite, through the person's server URL with key
(`/key/<token>/submission?deviceID=...`, as `hesabu server collect-access` prints it
and Collect adds its device id). Hesabu's answer to `HEAD /submission` carries a
Location, so, as Collect does, the client asks HEAD once per upload session, not
before every submission. Each submission is parsed, checked against the form and
written through the op path, with its instance row and audit event.

The photos phase sends structures (sdi_structure_numbering) whose photo question names
the file, so the server keeps every photo with its record (the household form has no
photo question; a file no answer names is not kept).

On slow links a sample of the households is sent and scaled, as for the ODK-style model.
"""

from __future__ import annotations

import random
import sqlite3
import time
from pathlib import Path
from typing import Any

from netlab.proxy import Link

from forms.loader import load_form
from peers import odk
from peers.common import Cut, Phase, measure
from peers.data import DataSet
from peers.hesabu_push import ROOT, HesabuServer

STRUCTURE_FORM = ROOT / "forms" / "definitions" / "sdi_structure_numbering.xlsx"
USER_AGENT = "org.odk.collect.android/v2024.2.4 (hesabu bench)"


class OpenRosaServer(HesabuServer):
    """`hesabu serve` with the household and structure forms and a person's Collect
    access; `code` is the key of their server URL."""

    def prepare(self, url: str, instance: Path) -> str:
        from server.app import create_app
        from server.extensions import db
        from server.services.accounts import create_federation, create_user
        from server.services.forms import publish_form
        from server.services.openrosa_auth import issue_access

        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(instance)})
        with app.app_context():
            try:
                publish_form(load_form(ROOT / "forms" / "definitions"
                                       / "sdi_household_enumeration.xlsx"))
                publish_form(load_form(STRUCTURE_FORM))
                federation = create_federation("Bench federation").id
                create_user("bench.enumerator", "", "enumerator", federation,
                            password_hash="not-used")
                return issue_access(None, "bench.enumerator", "http://bench").token
            finally:
                db.session.remove()
                db.engine.dispose()

    def instances(self) -> int:
        with sqlite3.connect(self.folder / "server.db") as conn:
            return conn.execute("SELECT count(*) FROM submission_instances").fetchone()[0]


def structure(number: int, photo: Path, rng: random.Random) -> dict[str, Any]:
    lat, lon = -1.3134 + rng.uniform(-0.002, 0.002), 36.7891 + rng.uniform(-0.002, 0.002)
    return {"settlement_name": "Mashimoni", "structure_number": f"KB-{number:04d}",
            "gps": f"{lat:.6f} {lon:.6f} 1701 4", "structure_use": "residential",
            "storeys": 1, "wall_material": "iron_sheet", "roof_material": "iron_sheet",
            "households": rng.randint(1, 3), "photo": photo.name}


def _send(client: odk.Client, proxy: Link, submissions: list[tuple[bytes, list[Path]]],
          phase: str, cut: Cut | None) -> Phase:
    proxy.reset()
    if cut is not None:
        proxy.arm_cut(cut.after_up_bytes, cut.outage_s)
    started = time.perf_counter()
    for xml, files in submissions:
        client.submit(xml, files)
    result = measure(proxy, started, "hesabu-openrosa", phase, len(submissions),
                     client.resends)
    client.close()
    return result


def run(data: DataSet, proxy: Link, folder: Path, photos: int, sample: int | None = None,
        cut: dict[str, Cut] | None = None) -> list[Phase]:
    """Send `sample` households (all by default), then `photos` structures with a photo."""
    cut = cut or {}
    phases = []
    with OpenRosaServer(folder / "server") as server:
        proxy.target_port = server.port
        path = f"/key/{server.code}/submission?deviceID=collect%3Abench01"
        households = data.households[:sample] if sample else data.households
        # The XML is made before the clock starts: the phone has its instances on disk.
        xmls = [(odk.instance_xml(data.spec, h.record_id, h.answers), [])
                for h in households]
        client = odk.Client(proxy.port, path=path, user_agent=USER_AGENT, head_once=True)
        phases.append(_send(client, proxy, xmls, "households", cut.get("households")))
        if photos:
            spec = load_form(STRUCTURE_FORM)
            rng = random.Random(11)
            with_photos = [(odk.instance_xml(spec, f"{h.record_id}-structure",
                                             structure(i, p, rng)), [p])
                           for i, (h, p) in enumerate(zip(data.households,
                                                          data.photos[:photos],
                                                          strict=False))]
            client = odk.Client(proxy.port, path=path, user_agent=USER_AGENT, head_once=True)
            phases.append(_send(client, proxy, with_photos, "photos", cut.get("photos")))
        stored = server.instances()
        if stored != len(xmls) + (min(photos, len(data.photos)) if photos else 0):
            raise RuntimeError(f"hesabu's OpenRosa endpoint stored {stored} submissions")
    return phases
