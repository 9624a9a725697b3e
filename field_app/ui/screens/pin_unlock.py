"""Opening the app: the PIN, checked against its hash in the store (works offline)."""

from __future__ import annotations

from kivy.app import App
from kivy.properties import StringProperty
from kivy.uix.screenmanager import Screen


class PinUnlockScreen(Screen):
    message = StringProperty("")

    def unlock(self) -> bool:
        app = App.get_running_app()
        if not app.state.check_pin(self.ids.pin.text):
            self.ids.pin.text = ""
            self.message = app.t("Wrong PIN. Try again.")
            return False
        self.ids.pin.text = ""
        self.message = ""
        app.unlocked = True
        app.go("home")
        return True


SCREEN = PinUnlockScreen
