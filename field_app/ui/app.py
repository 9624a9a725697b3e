"""The Kivy app: one screen manager, one `.kv` per screen, the logic in `field_app.core`.

    HesabuApp(store_path="hesabu.db").run()

Screens only turn taps and typing into calls on the core (`AppState`, `Navigator`,
`SyncTask`, `listing`) and show what comes back. Callbacks from other threads (sync,
GPS, camera) reach widgets through Kivy's `mainthread`, which schedules on the Kivy clock.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import mainthread
from kivy.core.window import Window
from kivy.lang import Builder
from kivy.metrics import sp
from kivy.properties import NumericProperty, ObjectProperty, StringProperty
from kivy.uix.screenmanager import NoTransition, ScreenManager
from kivy.utils import platform

from field_app.core import i18n
from field_app.core.android_keystore import default_keystore
from field_app.core.app_state import AppState
from field_app.core.collector import calm_collector
from field_app.core.devices import Camera, Gps, default_devices
from field_app.core.store import Store, open_store
from field_app.core.sync_task import SyncTask
from field_app.ui.dialogs import open_popups

UI_DIR = Path(__file__).resolve().parent
#: The screens, in the order of their .kv files (each `screens/<name>.py` + `<name>.kv`).
SCREENS = ("language", "enrol", "pin_set", "pin_unlock", "home", "start", "form",
           "overview", "records", "sync", "settings")
#: Screens the Back key leaves for home (the form and overview have their own rules).
BACK_TO_HOME = frozenset({"start", "records", "sync", "settings"})
#: The Back key code (Escape on a keyboard, Back on Android).
BACK_KEY = 27


class HesabuApp(App):
    """The field app. `store_path` is the device store; gps/camera default to plyer on
    Android and the desktop stand-ins elsewhere."""

    title = "Hesabu"
    lang = StringProperty(i18n.DEFAULT_LANGUAGE)
    scale = NumericProperty(1.0)
    store = ObjectProperty(None, allownone=True)

    def __init__(self, store_path: str | Path | None = None, gps: Gps | None = None,
                 camera: Camera | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        #: None: the app's private storage (on Android, where nobody else can read it).
        self.store_path = Path(store_path) if store_path is not None else None
        default_gps, default_camera = default_devices(platform == "android")
        self.gps = gps or default_gps
        self.camera = camera or default_camera
        self.state: AppState | None = None
        self.sync_task: SyncTask | None = None
        self.unlocked = False

    # -- texts ---------------------------------------------------------------------------
    def t(self, message: str, *_watch: Any) -> str:
        """An app text in the current language. In kv, pass `app.lang` so the text
        changes with the language: `text: app.t("Sync", app.lang)`."""
        return i18n._(message)

    def fs(self, size: float, *_watch: Any) -> float:
        """A font size scaled by the text size setting (`app.fs(18, app.scale)` in kv)."""
        return sp(size) * self.scale

    def set_language(self, code: str) -> None:
        i18n.set_language(code)
        if self.state is not None:
            self.state.language = code
        self.lang = code
        if self.root is not None:  # texts built in Python (not kv) are rebuilt too
            screen = self.root.get_screen(self.root.current)
            if hasattr(screen, "prepare") and screen.name in ("settings", "home"):
                screen.prepare()

    def set_text_size(self, size: str) -> None:
        assert self.state is not None
        self.state.text_size = size
        self.scale = self.state.font_scale

    # -- building ------------------------------------------------------------------------
    def build(self) -> ScreenManager:
        i18n.compile_catalogs()
        if self.store_path is None:
            self.store_path = Path(self.user_data_dir) / "hesabu.db"
        self.store: Store = open_store(self.store_path)
        self.state = AppState(self.store, default_keystore(platform == "android"))
        i18n.set_language(self.state.language)
        self.lang = self.state.language
        self.scale = self.state.font_scale
        self.sync_task = SyncTask(self.store_path, lambda fn, *args: mainthread(fn)(*args),
                                  self.data_key)
        Window.clearcolor = (1, 1, 1, 1)
        # The on-screen keyboard pushes the screen up so the field typed in stays seen.
        Window.softinput_mode = "below_target"
        # Importing the widget modules registers their classes for the kv rules.
        import field_app.ui.questions
        import field_app.ui.widgets  # noqa: F401

        Builder.load_file(str(UI_DIR / "theme.kv"))
        Builder.load_file(str(UI_DIR / "questions.kv"))
        manager = ScreenManager(transition=NoTransition())
        import importlib

        for name in SCREENS:
            module = importlib.import_module(f"field_app.ui.screens.{name}")
            Builder.load_file(str(UI_DIR / "screens" / f"{name}.kv"))
            manager.add_widget(module.SCREEN(name=name))
        manager.current = self.state.first_screen()
        Window.bind(on_keyboard=self._on_keyboard)
        return manager

    def data_key(self) -> bytes | None:
        """The unlocked store's data key, for the sync thread's own connection."""
        return self.store.data_key if self.store is not None else None

    def _on_keyboard(self, _window: Any, key: int, *_args: Any) -> bool:
        return self.on_back() if key == BACK_KEY else False

    def on_back(self) -> bool:
        """The hardware Back key (Escape on a desktop), as in ODK Collect: close the
        topmost popup, else the form's previous page (and a question before leaving a
        record), else home. True when handled; on home, Android sends the app to the
        background (False)."""
        popups = open_popups(Window)
        if popups:
            popups[-1].dismiss(animation=False)
            return True
        screen = self.root.get_screen(self.root.current)
        handler = getattr(screen, "back_key", None)
        if handler is not None:
            return bool(handler())
        if screen.name in BACK_TO_HOME:
            self.go("home")
            return True
        return platform != "android"  # a desktop window stays open

    def go(self, name: str, **kwargs: Any) -> Any:
        """Show screen `name`; its `prepare(**kwargs)` fills it first. Leaving the form
        (for anything but its overview) closes the record it showed."""
        if name not in ("form", "overview") and self.state is not None and \
                self.root.current in ("form", "overview"):
            self.state.open_record = None
        screen = self.root.get_screen(name)
        prepare = getattr(screen, "prepare", None)
        if prepare is not None:
            prepare(**kwargs)
        self.root.current = name
        return screen

    def after_setup(self) -> None:
        """The next setup step after language / enrolment / PIN, or home."""
        step = self.state.first_screen()
        if step == "pin_unlock":
            self.unlocked = True
            self.go("home")
        else:
            self.go(step)

    def on_start(self) -> None:
        calm_collector()
        if platform == "android":  # runtime permissions (Android 6+): GPS and camera
            from android.permissions import Permission, request_permissions

            request_permissions([Permission.ACCESS_FINE_LOCATION, Permission.CAMERA])

    def on_pause(self) -> bool:
        return True  # Android: keep the app (and the open record) when switching away

    def on_stop(self) -> None:
        if self.sync_task is not None:
            self.sync_task.cancel()
            self.sync_task.join(5)
        if self.store is not None:
            self.store.close()
            self.store = None


def main() -> None:
    """The entry point on a tablet (see main.py and buildozer.spec)."""
    HesabuApp().run()
