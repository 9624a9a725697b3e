"""Opening the app: the PIN unlocks the store's key (works offline).

"Forgot the PIN?" takes the recovery key the leader wrote down when the PIN was first
chosen; it opens the store, and a new PIN is chosen for the same key. A store from an
app before encryption is encrypted by the first right PIN: its recovery key is shown.
"""

from __future__ import annotations

import threading

from kivy.app import App
from kivy.clock import mainthread
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.screenmanager import Screen

from field_app.core.app_state import PinWaitError
from field_app.core.vault import VaultError


class PinUnlockScreen(Screen):
    message = StringProperty("")
    #: True while the recovery key is typed instead of the PIN.
    recovering = BooleanProperty(False)
    #: True while an old store is being encrypted (on a worker thread).
    busy = BooleanProperty(False)

    def forgot(self) -> None:
        self.recovering = not self.recovering
        self.ids.pin.text = self.ids.recovery.text = ""
        self.message = ""

    def unlock(self) -> bool:
        app = App.get_running_app()
        if self.busy:
            return False
        if self.recovering:
            return self._recover(app)
        pin = self.ids.pin.text
        if app.state.upgrade_pending:  # sealing every record: keep the screen alive
            self.busy = True
            self.message = app.t("Protecting the records on this tablet. This takes a "
                                 "moment.")
            threading.Thread(target=lambda: mainthread(self._checked)(*self._check(pin)),
                             name="encrypt", daemon=True).start()
            return True
        return self._checked(*self._check(pin))

    @staticmethod
    def _check(pin: str) -> tuple[bool, str]:
        """(right PIN, why not) from the store."""
        try:
            return App.get_running_app().state.check_pin(pin), ""
        except (VaultError, PinWaitError) as exc:
            return False, str(exc)

    def _checked(self, right: bool, error: str) -> bool:
        app = App.get_running_app()
        self.busy = False
        if not right:
            self.ids.pin.text = ""
            self.message = error or app.t("Wrong PIN. Try again.")
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
