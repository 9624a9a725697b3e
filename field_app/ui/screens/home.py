"""Home: assigned settlements, per form my drafts / waiting / sent / returned records and
how many came from the server for reference, last sync, a big Sync button."""

from __future__ import annotations

from kivy.app import App
from kivy.properties import StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import Screen

from field_app.core import listing
from field_app.ui.collector import collect_when_idle
from field_app.ui.widgets import Body, Card, QuietButton


def when(iso: str | None) -> str:
    return iso[:16].replace("T", " ") if iso else "-"


class HomeScreen(Screen):
    sync_text = StringProperty("")

    def on_pre_enter(self, *_: object) -> None:
        self.prepare()

    def on_enter(self, *_: object) -> None:
        collect_when_idle()  # a record was maybe closed: free its page views

    def prepare(self) -> None:
        app = App.get_running_app()
        t = app.t
        summary = listing.home_summary(app.store, app.lang)
        self.sync_text = (t("Last sync: {when}").format(when=when(summary.last_sync)) + "\n"
                          + t("Waiting to be sent: {n}").format(n=summary.waiting_changes))
        places: BoxLayout = self.ids.settlements
        places.clear_widgets()
        names = [name for _, name in summary.settlements]
        places.add_widget(Body(text=", ".join(names) if names else t(
            "No settlement yet: sync to receive your assignments.")))
        forms: BoxLayout = self.ids.forms
        forms.clear_widgets()
        if not summary.forms:
            forms.add_widget(Body(text=t("No forms yet: press Sync.")))
        for counts in summary.forms:
            card = Card()
            card.add_widget(Body(text=counts.title, bold=True))
            card.add_widget(Body(text=t("Drafts: {d}   Waiting: {w}   Sent: {s}").format(
                d=counts.drafts, w=counts.waiting, s=counts.sent)))
            if counts.returned:
                card.add_widget(Body(text="! " + t("Returned by a leader: {n}").format(
                    n=counts.returned), color=(0.6, 0.2, 0, 1)))
            if counts.reference:
                card.add_widget(Body(text=t("From the server, for reference: {n}").format(
                    n=counts.reference), color=(0.3, 0.3, 0.3, 1)))
            new = QuietButton(text=t("New record"))
            new.form_id = counts.form_id
            new.bind(on_release=lambda b: app.go("start", form_id=b.form_id))
            card.add_widget(new)
            forms.add_widget(card)


SCREEN = HomeScreen
