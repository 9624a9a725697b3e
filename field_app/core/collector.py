"""How Python's cycle collector runs in the field app's process (Kivy-free, so a
headless sync and the benchmarks' device process run with the app's settings).

Building a page of questions and applying a pulled page both make tens of thousands
of small objects. With Python's default thresholds that starts a young collection
every 700 allocations, and every so often one that walks every object of the process
(Kivy, the forms, the store: ~250,000 in the app) for 10-40 ms; decoding one pulled
page of 1,000 households paid ~20 ms of such walks. What exists once the app has
started lives as long as the app, so it is frozen out of the walks, and young
collections come every 20,000 allocations. Cycles made later (the views of a closed
record) are still collected: the UI runs a full collection when the home screen is
shown (`field_app.ui.collector.collect_when_idle`).
"""

from __future__ import annotations

import gc

#: Once the app runs: allocations between young collections (Python: 700), and young
#: (older) collections between middle (full) ones (Python: 10, 10).
GC_THRESHOLDS = (20_000, 20, 20)


def calm_collector() -> None:
    """Collect once, freeze what exists, and space young collections out."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
