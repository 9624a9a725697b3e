"""Hardware behind small interfaces: GPS and camera.

On Android they go through plyer; on a desktop there is no GPS (the form shows the
manual entry) and the camera is a file chooser. Callbacks may arrive on another thread:
the UI wraps them with its clock (`field_app.ui.app.on_main_thread`) before touching
widgets. Tests use `FakeGps`, which plays back fixed positions.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Fix:
    """One GPS position; accuracy in metres (smaller is better)."""

    lat: float
    lon: float
    altitude: float = 0.0
    accuracy: float = 0.0


OnFix = Callable[[Fix], None]
OnStatus = Callable[[str], None]


class Gps(Protocol):
    available: bool

    def start(self, on_fix: OnFix, on_status: OnStatus) -> None: ...

    def stop(self) -> None: ...


class NoGps:
    """A desktop: no receiver; the form offers typing the position instead."""

    available = False

    def start(self, on_fix: OnFix, on_status: OnStatus) -> None:
        on_status("unavailable")

    def stop(self) -> None:
        pass


class FakeGps:
    """Plays back positions on a thread, like a real receiver does."""

    available = True

    def __init__(self, fixes: Iterable[Fix], interval_s: float = 0.0) -> None:
        self.fixes = list(fixes)
        self.interval_s = interval_s
        self._stop = threading.Event()

    def start(self, on_fix: OnFix, on_status: OnStatus) -> None:
        self._stop.clear()

        def play() -> None:
            on_status("started")
            for fix in self.fixes:
                if self._stop.wait(self.interval_s):
                    return
                on_fix(fix)

        threading.Thread(target=play, daemon=True).start()

    def stop(self) -> None:
        self._stop.set()


class PlyerGps:
    """Android location through plyer (needs the ACCESS_FINE_LOCATION permission)."""

    available = True

    def __init__(self) -> None:
        from plyer import gps

        self._gps = gps

    def start(self, on_fix: OnFix, on_status: OnStatus) -> None:
        def location(**kw: float) -> None:
            on_fix(Fix(float(kw.get("lat", 0)), float(kw.get("lon", 0)),
                       float(kw.get("altitude", 0) or 0), float(kw.get("accuracy", 0) or 0)))

        self._gps.configure(on_location=location,
                            on_status=lambda kind, message: on_status(f"{kind}: {message}"))
        self._gps.start(minTime=1000, minDistance=0)

    def stop(self) -> None:
        self._gps.stop()


class Camera(Protocol):
    available: bool

    def take_picture(self, filename: str, on_done: Callable[[str | None], None]) -> None: ...


class NoCamera:
    """A desktop: the form shows a file chooser instead."""

    available = False

    def take_picture(self, filename: str, on_done: Callable[[str | None], None]) -> None:
        on_done(None)


class PlyerCamera:
    available = True

    def __init__(self) -> None:
        from plyer import camera

        self._camera = camera

    def take_picture(self, filename: str, on_done: Callable[[str | None], None]) -> None:
        self._camera.take_picture(filename=filename, on_complete=lambda path: on_done(path))


def default_devices(android: bool) -> tuple[Gps, Camera]:
    """plyer's GPS and camera on Android, the desktop stand-ins elsewhere."""
    if android:
        try:
            return PlyerGps(), PlyerCamera()
        except (ImportError, NotImplementedError):
            pass
    return NoGps(), NoCamera()
