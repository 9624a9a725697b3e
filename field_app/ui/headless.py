"""Running the app without a screen: screenshots and UI tests.

Kivy reads its settings from the environment when first imported, so
`offscreen_environment()` must run before anything imports kivy. Kivy renders with
real OpenGL (Mesa, EGL) into an offscreen SDL window; nothing is mocked.

    offscreen_environment(tmp_dir)
    app = start(HesabuApp(store_path=...))
    pump()                      # run a few frames (clock, input, drawing)
    screenshot(app, "home.png")
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

#: Portrait phone size (a tablet is the same layout, larger).
SIZE = (540, 960)


def offscreen_environment(kivy_home: str | Path | None = None) -> None:
    """Settings for an offscreen Kivy; call before the first `import kivy`."""
    home = Path(kivy_home or tempfile.mkdtemp(prefix="hesabu-kivy-"))
    home.mkdir(parents=True, exist_ok=True)
    os.environ.update({
        "KIVY_NO_ARGS": "1", "KIVY_HOME": str(home), "KIVY_LOG_MODE": "PYTHON",
        "KIVY_CLIPBOARD": "sdl2", "SDL_VIDEODRIVER": "offscreen",
        "KIVY_NO_CONSOLELOG": "1",
    })
    os.environ.pop("KIVY_GL_BACKEND", None)
    window_size(*SIZE)


def window_size(width: int, height: int) -> None:
    """The window size, set before the window exists (an offscreen surface keeps the
    size it was created with)."""
    from kivy.config import Config

    Config.set("graphics", "width", str(width))
    Config.set("graphics", "height", str(height))
    Config.set("input", "mouse", "mouse,disable_multitouch")


def start(app: Any, size: tuple[int, int] = SIZE) -> Any:
    """Build and start `app` (its window, root, on_start) without entering the loop."""
    app._run_prepare()
    pump(3)
    return app


def pump(frames: int = 2) -> None:
    """Let Kivy run `frames` frames: scheduled callbacks, input events, drawing."""
    from kivy.base import EventLoop

    for _ in range(frames):
        EventLoop.idle()


def wait_for(condition: Any, timeout: float = 20.0) -> bool:
    """Run frames until `condition()` is true (e.g. a background sync finished)."""
    import time

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        pump(1)
        if condition():
            return True
        time.sleep(0.01)
    return False


def screenshot(path: str | Path) -> Path:
    """The window as a PNG at exactly `path` (Kivy appends a counter; undo that)."""
    from kivy.core.window import Window

    pump(2)
    path = Path(path)
    path.unlink(missing_ok=True)
    written = Window.screenshot(name=str(path))
    shutil.move(written, path)
    return path


def tap(widget: Any) -> None:
    """A real touch (down and up) at the widget's centre, through the window."""
    from kivy.tests.common import UnitTestTouch

    x, y = widget.to_window(*widget.center)
    touch = UnitTestTouch(x, y)
    touch.touch_down()
    pump(1)
    touch.touch_up()
    # A ScrollView holds a touch for its scroll_timeout (55 ms) to tell a tap from a
    # swipe, then replays it to the widget under it: let that time pass.
    settle(0.08)


def settle(seconds: float) -> None:
    """Run frames for `seconds` of wall time (for timeouts measured on the clock)."""
    import time

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pump(1)
        time.sleep(0.005)
    pump(1)


def type_into(field: Any, text: str) -> None:
    """Type into a TextInput as the keyboard does (focus, insert, unfocus)."""
    field.focus = True
    field.text = ""
    field.insert_text(text)
    field.focus = False
    pump(1)
