"""First run: choose the PIN that opens the app (offline) from then on."""

from __future__ import annotations

from kivy.app import App
from kivy.properties import StringProperty
from kivy.uix.screenmanager import Screen

from field_app.core.app_state import BadPinError


class PinSetScreen(Screen):
    message = StringProperty("")

    def save(self) -> bool:
        app = App.get_running_app()
        try:
            app.state.set_pin(self.ids.pin.text, self.ids.repeat.text)
        except BadPinError as exc:
            self.message = str(exc)
            return False
        self.ids.pin.text = self.ids.repeat.text = ""
        self.message = ""
        app.after_setup()
        return True


SCREEN = PinSetScreen
