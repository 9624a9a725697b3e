"""Settings: language, text size, about (version), device id."""

from __future__ import annotations

from kivy.app import App
from kivy.properties import StringProperty
from kivy.uix.screenmanager import Screen

from hesabu import __version__


class SettingsScreen(Screen):
    about = StringProperty("")

    def on_pre_enter(self, *_: object) -> None:
        self.prepare()

    def prepare(self) -> None:
        app = App.get_running_app()
        device = app.store.device
        self.about = "\n".join([
            app.t("Version: {version}").format(version=__version__),
            app.t("Device id: {id}").format(id=device.device_id),
            app.t("Server: {url}").format(url=device.server_url or "-"),
        ])

    def language(self, code: str) -> None:
        App.get_running_app().set_language(code)
        self.prepare()

    def text_size(self, size: str) -> None:
        App.get_running_app().set_text_size(size)

    def new_recovery_key(self) -> None:
        """A new recovery key for the leader (the old one, lost or never written down,
        stops working), shown once on the PIN screen."""
        app = App.get_running_app()
        app.go("pin_set", recovery_key=app.state.new_recovery_key())

    def lock(self) -> None:
        app = App.get_running_app()
        app.unlocked = False
        app.go("pin_unlock")


SCREEN = SettingsScreen
