"""Small popups the screens share: confirm an action, say something, pick from a list.

    confirm(title, text, yes, no, on_yes)       # Remove member? Remove / Keep

Each returns the open Popup (tests and the Back key find it there). The Back key closes
the topmost popup first (`field_app.ui.app.HesabuApp.on_back`), as Android does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.metrics import dp
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.popup import Popup

from field_app.ui.widgets import BigButton, Body, QuietButton


def confirm(title: str, text: str, yes: str, no: str, on_yes: Callable[[], Any],
            on_no: Callable[[], Any] | None = None) -> Popup:
    """Ask before doing something that cannot be undone; `on_yes` runs after closing."""
    box = BoxLayout(orientation="vertical", spacing=dp(8), padding=dp(8))
    box.add_widget(Body(text=text, color=(1, 1, 1, 1)))
    yes_button = BigButton(text=yes)
    no_button = QuietButton(text=no)
    box.add_widget(yes_button)
    box.add_widget(no_button)
    popup = Popup(title=title, content=box, size_hint=(0.9, None), auto_dismiss=False)
    box.bind(minimum_height=lambda _b, h: setattr(popup, "height", h + dp(90)))
    popup.height = dp(320)

    def chosen(action: Callable[[], Any] | None) -> None:
        popup.dismiss(animation=False)  # gone before the action runs
        if action is not None:
            action()

    yes_button.bind(on_release=lambda *_: chosen(on_yes))
    no_button.bind(on_release=lambda *_: chosen(on_no))
    popup.open()
    return popup


def open_popups(window: Any) -> list[Popup]:
    """The popups open now, topmost last (one fading out after a choice is not)."""
    return [w for w in window.children if isinstance(w, Popup) and w._is_open][::-1]
