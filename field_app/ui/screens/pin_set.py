"""First run: choose the PIN that opens the app (offline) from then on.

The first PIN encrypts the store; its recovery key is shown here once, for the
enumerator's leader to write down (docs/device-store.md, "Encryption at rest"). After a
recovery (the PIN was forgotten) the same screen chooses a new PIN for the same key.
"""

from __future__ import annotations

from kivy.app import App
from kivy.properties import StringProperty
from kivy.uix.screenmanager import Screen

from field_app.core.app_state import BadPinError


class PinSetScreen(Screen):
    message = StringProperty("")
    #: Shown once, after the PIN encrypted the store ("" while choosing the PIN).
    recovery_key = StringProperty("")

    def prepare(self, recovery_key: str = "") -> None:
        self.recovery_key = recovery_key
        self.message = ""

    def save(self) -> bool:
        app = App.get_running_app()
        try:
            recovery_key = app.state.set_pin(self.ids.pin.text, self.ids.repeat.text)
        except BadPinError as exc:
            self.message = str(exc)
            return False
        self.ids.pin.text = self.ids.repeat.text = ""
        self.message = ""
        if recovery_key:
            self.recovery_key = recovery_key
            return True
        app.after_setup()
        return True

    def written_down(self) -> None:
        self.recovery_key = ""
        App.get_running_app().after_setup()


SCREEN = PinSetScreen
