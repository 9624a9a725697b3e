"""Opening the app: the PIN unlocks the store's key (works offline).

"Forgot the PIN?" takes the recovery key the leader wrote down when the PIN was first
chosen; it opens the store, and a new PIN is chosen for the same key. A store from an
app before encryption is encrypted by the first right PIN: its recovery key is shown.
"""

from __future__ import annotations

from kivy.app import App
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.screenmanager import Screen

from field_app.core.vault import VaultError


class PinUnlockScreen(Screen):
    message = StringProperty("")
    #: True while the recovery key is typed instead of the PIN.
    recovering = BooleanProperty(False)

    def forgot(self) -> None:
        self.recovering = not self.recovering
        self.ids.pin.text = self.ids.recovery.text = ""
        self.message = ""

    def unlock(self) -> bool:
        app = App.get_running_app()
        if self.recovering:
            return self._recover(app)
        try:
            right = app.state.check_pin(self.ids.pin.text)
        except VaultError as exc:
            self.ids.pin.text = ""
            self.message = str(exc)
            return False
        if not right:
            self.ids.pin.text = ""
            self.message = app.t("Wrong PIN. Try again.")
            return False
        self.ids.pin.text = ""
        self.message = ""
        app.unlocked = True
        recovery_key, app.state.pending_recovery_key = app.state.pending_recovery_key, None
        if recovery_key:  # an old store was encrypted just now
            app.go("pin_set", recovery_key=recovery_key)
            return True
        app.go("home")
        record_id = app.state.open_record
        if record_id is not None:  # the app stopped with a record open: back to its page
            app.go("form", record_id=record_id)
        return True

    def _recover(self, app: App) -> bool:
        if not app.state.recover(self.ids.recovery.text):
            self.message = app.t("This recovery key does not open this tablet. Check it "
                                 "with your leader.")
            return False
        self.ids.recovery.text = ""
        self.message = ""
        self.recovering = False
        app.unlocked = True
        app.go("pin_set")  # a new PIN for the same key
        return True


SCREEN = PinUnlockScreen
