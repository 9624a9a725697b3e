"""First run: choose the language (app texts and form labels)."""

from __future__ import annotations

from kivy.app import App
from kivy.uix.screenmanager import Screen


class LanguageScreen(Screen):
    def choose(self, code: str) -> None:
        app = App.get_running_app()
        app.set_language(code)
        app.after_setup()


SCREEN = LanguageScreen
