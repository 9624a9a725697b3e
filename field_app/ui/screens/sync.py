"""Sync: a progress bar per phase, what was sent and received, errors in plain words,
and the changes the server refused, which can be sent again once a leader fixed why.

The sync runs on a worker thread (`SyncTask`); its progress comes back through the
Kivy clock, so the screen never freezes. Cancel stops it between batches.
"""

from __future__ import annotations

from kivy.app import App
from kivy.properties import BooleanProperty, DictProperty, NumericProperty, StringProperty
from kivy.uix.screenmanager import Screen

from field_app.core import outbox
from field_app.core.sync_task import Outcome, send_refused_again


class SyncScreen(Screen):
    running = BooleanProperty(False)
    headline = StringProperty("")
    advice = StringProperty("")
    progress = DictProperty({"push": 0.0, "attachments": 0.0, "pull": 0.0})
    #: Changes kept aside after a refusal: the screen offers to send them again.
    parked = NumericProperty(0)
    outcome: Outcome | None = None

    def prepare(self, start: bool = False) -> None:
        self.parked = outbox.counts(App.get_running_app().store).parked
        if start and not self.running:
            self.start()

    def send_again(self) -> None:
        """Put the refused changes back in the queue and sync (a leader fixed the cause)."""
        send_refused_again(App.get_running_app().store)
        self.parked = 0
        self.start()

    def start(self) -> bool:
        app = App.get_running_app()
        self.outcome = None
        self.progress = {"push": 0.0, "attachments": 0.0, "pull": 0.0}
        self.headline = app.t("Syncing... you can keep working.")
        self.advice = ""
        started = app.sync_task.start(self.report_progress, self.finished)
        self.running = True
        return started

    def report_progress(self, phase: str, done: int, total: int) -> None:
        key = "pull" if phase == "forms" else phase
        self.progress[key] = (done / total) if total else 1.0

    def finished(self, outcome: Outcome) -> None:
        self.running = False
        self.outcome = outcome
        self.parked = outbox.counts(App.get_running_app().store).parked
        if outcome.ok:
            self.progress = {"push": 1.0, "attachments": 1.0, "pull": 1.0}
        self.headline = outcome.headline
        self.advice = "\n".join([outcome.advice, *outcome.details]).strip()

    def cancel(self) -> None:
        App.get_running_app().sync_task.cancel()
        self.headline = App.get_running_app().t("Stopping...")


SCREEN = SyncScreen
