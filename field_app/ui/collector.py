"""When Python's cycle collector runs in the app: rarely while a page is built
(`field_app.core.collector.calm_collector`, at start), fully when the enumerator is
back on the home screen."""

from __future__ import annotations

import gc

from kivy.app import App
from kivy.clock import Clock


def collect_when_idle(screen: str = "home") -> None:
    """Free what closed screens left (a record's page views) in half a second, if
    `screen` is still the one shown then (the enumerator is reading it, not working)."""

    def collect(_dt: float) -> None:
        app = App.get_running_app()
        if app is not None and app.root is not None and app.root.current == screen:
            gc.collect()

    Clock.schedule_once(collect, 0.5)
