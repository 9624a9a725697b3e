"""Runs the ODK-style baseline (peers/odk.py, a model of OpenRosa, not ODK Central).

On slow links the baseline sends a sample of the households (one submission is two round
trips, so 1,000 of them on EDGE take tens of minutes); its time, bytes and requests are
then scaled to all households and the phase says so in its note.
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path

from netlab.proxy import Link

from peers import odk
from peers.common import Cut, Phase, free_port, measure, start, stop, wait_port
from peers.data import DataSet

SERVER = Path(odk.__file__)


def scaled(phase: Phase, total: int) -> Phase:
    if phase.items >= total or not phase.items:
        return phase
    k = total / phase.items
    return replace(phase, items=total, seconds=phase.seconds * k,
                   bytes_up=round(phase.bytes_up * k), bytes_down=round(phase.bytes_down * k),
                   requests=round(phase.requests * k),
                   note=f"measured on {phase.items} submissions, scaled to {total}")


def run(data: DataSet, proxy: Link, folder: Path, photos: int,
        sample: int | None = None, cut: dict[str, Cut] | None = None) -> list[Phase]:
    """Send `sample` households (all by default), then `photos` submissions with a photo.
    Phases are as measured; `scaled()` turns the households phase into all households."""
    cut = cut or {}
    folder.mkdir(parents=True, exist_ok=True)
    store = folder / "odk-store"
    port = free_port()
    log = folder / "odk-server.log"
    proc = start([sys.executable, str(SERVER), "--port", str(port), "--dir", str(store)], log)
    phases = []
    try:
        wait_port(port, proc, log)
        proxy.target_port = port
        households = data.households[:sample] if sample else data.households
        # Build the XML before the clock starts: the device has its instances on disk.
        xmls = [odk.instance_xml(data.spec, h.record_id, h.answers) for h in households]

        client = odk.Client(proxy.port)
        proxy.reset()
        if "households" in cut:
            proxy.arm_cut(cut["households"].after_up_bytes, cut["households"].outage_s)
        started = time.perf_counter()
        for xml in xmls:
            client.submit(xml, [])
        phase = measure(proxy, started, "odk-model", "households", len(xmls), client.resends)
        client.close()
        phases.append(phase)

        if photos:
            # A photo travels inside its household's submission (the XML goes again).
            with_photos = [(odk.instance_xml(data.spec, h.record_id, h.answers), [p])
                           for h, p in zip(data.households, data.photos[:photos],
                                           strict=False)]
            client = odk.Client(proxy.port)
            proxy.reset()
            if "photos" in cut:
                proxy.arm_cut(cut["photos"].after_up_bytes, cut["photos"].outage_s)
            started = time.perf_counter()
            for xml, files in with_photos:
                client.submit(xml, files)
            phases.append(measure(proxy, started, "odk-model", "photos", len(with_photos),
                                  client.resends))
            client.close()
        if submitted(store) < len(xmls):
            raise RuntimeError(f"the ODK-style endpoint stored {submitted(store)} of "
                               f"{len(xmls)} submissions")
    finally:
        stop(proc)
    return phases


def submitted(store: Path) -> int:
    return odk.submitted(store)
