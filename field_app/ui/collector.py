"""When Python's cycle collector runs in the app: rarely while a page is built, fully
when the enumerator is back on the home screen."""

from __future__ import annotations

import gc

from kivy.app import App
from kivy.clock import Clock

#: Once the app runs: allocations between young collections (Python: 700), and young
#: (older) collections between middle (full) ones (Python: 10, 10).
GC_THRESHOLDS = (20_000, 20, 20)


def calm_collector() -> None:
    """Keep the cycle collector from walking the whole app while a page is built.

    Building a page makes thousands of small objects, so Python's default thresholds
    start a collection every few hundred, and every so often one that walks every
    object of the app (Kivy, the form, the store: ~250,000) for 10-20 ms. What exists
    once the app has started lives as long as the app: it is frozen out of the
    collector's walks, and young collections come less often. Cycles made later
    (the views of a closed record) are still collected, when the home screen is shown
    (`collect_when_idle`).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def collect_when_idle(screen: str = "home") -> None:
    """Free what closed screens left (a record's page views) in half a second, if
    `screen` is still the one shown then (the enumerator is reading it, not working)."""

    def collect(_dt: float) -> None:
        app = App.get_running_app()
        if app is not None and app.root is not None and app.root.current == screen:
            gc.collect()

    Clock.schedule_once(collect, 0.5)
