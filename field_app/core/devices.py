"""Hardware behind small interfaces: GPS and camera.

On Android GPS goes through plyer and the camera through `android_camera` (intents on
pyjnius); on a desktop there is no GPS (the form shows the manual entry) and the camera
is a file chooser. Callbacks may arrive on another thread:
the UI wraps them with its clock (Kivy's `mainthread`) before touching
widgets. Tests use `FakeGps`, which plays back fixed positions.
"""

from __future__ import annotations

import contextlib
import shutil
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
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


OnPicture = Callable[[str | None], None]
OnCameraError = Callable[[str], None]


class Camera(Protocol):
    """Photos (and, where `can_pick`, pictures chosen from the tablet's storage).

    Each request ends in exactly one call, possibly on another thread: `on_done(path)`
    with the picture written at `filename`, `on_done(None)` if the person cancelled, or
    `on_error(message)` with plain words to show (without `on_error`: `on_done(None)`).
    """

    available: bool
    can_pick: bool

    def take_picture(self, filename: str, on_done: OnPicture,
                     on_error: OnCameraError | None = None) -> None: ...

    def pick_picture(self, filename: str, on_done: OnPicture,
                     on_error: OnCameraError | None = None) -> None: ...


class NoCamera:
    """A desktop: the form shows a file chooser instead."""

    available = False
    can_pick = False

    def take_picture(self, filename: str, on_done: OnPicture,
                     on_error: OnCameraError | None = None) -> None:
        on_done(None)

    def pick_picture(self, filename: str, on_done: OnPicture,
                     on_error: OnCameraError | None = None) -> None:
        on_done(None)


class StillCamera:
    """A stand-in that "takes" the same picture every time (copied on a thread, as a real
    camera answers later): desktop demos and tests of what happens after a photo."""

    available = True
    can_pick = True

    def __init__(self, picture: str | Path) -> None:
        self.picture = Path(picture)

    def take_picture(self, filename: str, on_done: OnPicture,
                     on_error: OnCameraError | None = None) -> None:
        def copy() -> None:
            try:
                shutil.copyfile(self.picture, filename)
            except OSError as exc:
                (on_error or (lambda _m: on_done(None)))(str(exc.strerror or exc))
                return
            on_done(filename)

        threading.Thread(target=copy, daemon=True).start()

    pick_picture = take_picture


def default_devices(android: bool) -> tuple[Gps, Camera]:
    """On Android plyer's GPS and our camera (android_camera: FileProvider URIs; plyer's
    camera passes file:// URIs, which Android 7+ refuses); desktop stand-ins elsewhere.
    Whatever fails to start falls back to its stand-in: the form then offers typing."""
    gps: Gps = NoGps()
    camera: Camera = NoCamera()
    if android:
        with contextlib.suppress(ImportError, NotImplementedError):
            gps = PlyerGps()
        with contextlib.suppress(Exception):  # no camera is better than no app
            from field_app.core.android_camera import AndroidCamera

            camera = AndroidCamera()
    return gps, camera
