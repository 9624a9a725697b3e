"""Sync: a progress bar per phase, what was sent and received, errors in plain words.

The sync runs on a worker thread (`SyncTask`); its progress comes back through the
Kivy clock, so the screen never freezes. Cancel stops it between batches.
"""

from __future__ import annotations

from kivy.app import App
from kivy.properties import BooleanProperty, DictProperty, StringProperty
from kivy.uix.screenmanager import Screen

from field_app.core.sync_task import Outcome


class SyncScreen(Screen):
    running = BooleanProperty(False)
    headline = StringProperty("")
    advice = StringProperty("")
    progress = DictProperty({"push": 0.0, "attachments": 0.0, "pull": 0.0})
    outcome: Outcome | None = None

    def prepare(self, start: bool = False) -> None:
        if start and not self.running:
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
        if outcome.ok:
            self.progress = {"push": 1.0, "attachments": 1.0, "pull": 1.0}
        self.headline = outcome.headline
        self.advice = "\n".join([outcome.advice, *outcome.details]).strip()

    def cancel(self) -> None:
        App.get_running_app().sync_task.cancel()
        self.headline = App.get_running_app().t("Stopping...")


SCREEN = SyncScreen
