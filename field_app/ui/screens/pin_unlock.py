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
        record_id = app.state.open_record
        if record_id is not None:  # the app stopped with a record open: back to its page
            app.go("form", record_id=record_id)
        return True


SCREEN = PinUnlockScreen
