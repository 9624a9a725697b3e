"""First run: enrol the tablet with the server address and code (typed or from a QR
picture), then download the forms in the background.

Enrolment talks to the server, which on a weak link takes seconds: it runs on a worker
thread with its own store connection, the screen says "Connecting..." and stays alive,
and the outcome comes back through the Kivy clock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from kivy.app import App
from kivy.clock import mainthread
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.filechooser import FileChooserListView
from kivy.uix.popup import Popup
from kivy.uix.screenmanager import Screen

from field_app.core.app_state import (
    BadEnrolmentError,
    Enrolment,
    check_server_address,
    parse_enrolment,
)
from field_app.core.qr import (
    QrError,
    QrReading,
    decode_qr_file,
    qr_available,
    read_enrolment_from_camera,
)
from field_app.core.store import open_store
from field_app.core.sync_task import Outcome, enrol_device
from field_app.ui.widgets import BigButton


class EnrolScreen(Screen):
    message = StringProperty("")
    busy = BooleanProperty(False)
    #: Whether this device can read a QR code picture (no decoder: the button is hidden).
    can_read_qr = BooleanProperty(False)
    #: ... and take one with its camera (the leader's QR on a screen or on paper).
    can_scan = BooleanProperty(False)

    def on_pre_enter(self, *_: object) -> None:
        self.can_read_qr = qr_available()
        self.can_scan = self.can_read_qr and App.get_running_app().camera.available

    def _picture_path(self) -> Path:
        """Where a QR picture is put for reading: the app's own storage (the camera
        app may write only there), deleted once read."""
        return Path(App.get_running_app().store_path).parent / "enrolment-qr.jpg"

    def scan_qr(self) -> None:
        """Take a picture of the leader's QR code with the camera and fill both fields."""
        self.message = ""
        read_enrolment_from_camera(App.get_running_app().camera, self._picture_path(),
                                   mainthread(self._scanned))

    def _scanned(self, reading: QrReading) -> None:
        if reading.enrolment is None:
            self.message = reading.message  # "" when the camera was closed
            return
        self._filled(reading.enrolment)

    def read_qr(self, path: str | Path) -> bool:
        """Fill the address and code from a QR code picture; False (and a message) if not."""
        try:
            found = parse_enrolment(decode_qr_file(path))
        except (QrError, BadEnrolmentError) as exc:
            self.message = str(exc)
            return False
        self._filled(found)
        return True

    def _filled(self, enrolment: Enrolment) -> None:
        """Both fields from a QR code, and the certificate pin it carries (used while
        the address stays the one of the QR code)."""
        self.ids.server.text, self.ids.code.text = enrolment.server, enrolment.code
        self._qr_pin = (enrolment.server, enrolment.pin)
        self.message = ""

    def choose_qr(self) -> None:
        """A picture of the QR code chosen on the device: the tablet's own picker where
        the camera offers one (shared storage), else a file chooser (a desktop)."""
        camera = App.get_running_app().camera
        if camera.can_pick:
            target = self._picture_path()

            def picked(path: str | None) -> None:
                if path:
                    self.read_qr(path)
                    Path(path).unlink(missing_ok=True)

            camera.pick_picture(str(target), mainthread(picked),
                                mainthread(lambda message: setattr(self, "message", message)))
            return
        chooser = FileChooserListView(path=str(Path.home()), filters=["*.png", "*.PNG"])
        box = BoxLayout(orientation="vertical")
        box.add_widget(chooser)
        use = BigButton(text=App.get_running_app().t("Use this file"))
        box.add_widget(use)
        popup = Popup(title=App.get_running_app().t("Read a QR code picture"), content=box,
                      size_hint=(0.95, 0.9))

        def chosen(*_: object) -> None:
            if chooser.selection:
                popup.dismiss()
                self.read_qr(chooser.selection[0])

        use.bind(on_release=chosen)
        popup.open()

    def enrol(self) -> bool:
        app = App.get_running_app()
        try:
            server = check_server_address(self.ids.server.text)
        except BadEnrolmentError as exc:
            self.message = str(exc)
            return False
        code = self.ids.code.text.strip()
        if not code:
            self.message = app.t("Type the enrolment code from your federation leader.")
            return False
        qr_server, qr_pin = getattr(self, "_qr_pin", ("", ""))
        pin = qr_pin if qr_server == server else ""
        self.busy = True
        self.message = ""
        threading.Thread(target=self._enrol_in_background,
                         args=(app.store_path, server, code, pin, app.data_key),
                         name="enrol", daemon=True).start()
        return True

    def _enrol_in_background(self, store_path: Path, server: str, code: str,
                             pin: str, key_source: Callable[[], bytes | None]) -> None:
        store = open_store(store_path, key_source=key_source)
        try:
            outcome = enrol_device(store, server, code, pin)
        except Exception as exc:  # never leave the screen busy forever
            outcome = Outcome(False, App.get_running_app().t("Enrolment failed."), str(exc))
        finally:
            store.close()
        mainthread(self._enrolled)(outcome)

    def _enrolled(self, outcome: Outcome) -> None:
        self.busy = False
        if not outcome.ok:
            self.message = f"{outcome.headline} {outcome.advice}"
            return
        app = App.get_running_app()
        # The forms come with the first sync; it runs while the PIN is being chosen.
        app.sync_task.start(lambda *a: None, lambda outcome: self._first_sync_done())
        app.after_setup()

    def _first_sync_done(self) -> None:
        """Forms and settlements have arrived: show them if home is already open."""
        app = App.get_running_app()
        if app.root.current == "home":
            app.root.get_screen("home").prepare()


SCREEN = EnrolScreen
