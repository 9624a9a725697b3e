"""The list of a repeat's instances (household members): open, add or remove one.

Opened from the bar under a member's page. Each line says who the member is in a few
words (`Navigator.instance_summary`: "Amina Wanjiru, 34"), so the enumerator finds a
person without paging through everyone.
"""

from __future__ import annotations

from typing import Any

from kivy.app import App
from kivy.metrics import dp
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.popup import Popup
from kivy.uix.scrollview import ScrollView

from field_app.core.navigation import label
from field_app.ui.widgets import BigButton, Body, QuietButton


def members_popup(screen: Any) -> Popup | None:
    """The members of the repeat on the form screen's current page."""
    nav = screen.nav
    repeat = nav.page.repeat
    if repeat is None:
        return None
    t = App.get_running_app().t
    name = label(nav.engine.node(repeat), nav.language, nav.form.default_language)
    rows = BoxLayout(orientation="vertical", size_hint_y=None, spacing=dp(6))
    rows.bind(minimum_height=rows.setter("height"))
    scroll = ScrollView(do_scroll_x=False)
    scroll.add_widget(rows)
    box = BoxLayout(orientation="vertical", spacing=dp(8), padding=dp(6))
    box.add_widget(scroll)
    add = BigButton(text=t("Add"))
    done = QuietButton(text=t("Close"))
    box.add_widget(add)
    box.add_widget(done)
    popup = Popup(title=name, content=box, size_hint=(0.95, 0.85))
    popup.member_rows = rows

    def fill() -> None:
        rows.clear_widgets()
        indexes = nav.instances(repeat)
        popup.title = f"{name} ({len(indexes)})"
        if not indexes:
            rows.add_widget(Body(text=t("Nobody added yet. Press Add to add the first one."),
                                 color=(1, 1, 1, 1)))
        for i in indexes:
            line = BoxLayout(size_hint_y=None, height=dp(56), spacing=dp(6))
            who = nav.instance_summary(repeat, i) or t("(no answers yet)")
            open_button = QuietButton(text=f"{i + 1}. {who}", halign="left")
            open_button.member = i
            open_button.bind(on_release=lambda b: (popup.dismiss(animation=False),
                                                   screen.go_member(repeat, b.member)))
            remove = QuietButton(text=t("Remove"), size_hint_x=None, width=dp(110))
            remove.member = i
            remove.bind(on_release=lambda b: ask_remove(b.member))
            line.add_widget(open_button)
            line.add_widget(remove)
            rows.add_widget(line)

    def ask_remove(index: int) -> None:
        screen.remove_instance(index, after=fill)

    def add_one(*_: Any) -> None:
        popup.dismiss(animation=False)
        screen.nav.add_instance(repeat)
        screen.show_page()

    add.bind(on_release=add_one)
    done.bind(on_release=lambda *_: popup.dismiss(animation=False))
    fill()
    popup.open()
    return popup
