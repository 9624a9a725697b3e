"""Records on this tablet: search, status, and marks for leader comments and conflicts."""

from __future__ import annotations

from kivy.app import App
from kivy.uix.screenmanager import Screen

from field_app.core import listing
from field_app.ui.widgets import Body, Card, QuietButton

STATUS_FILTERS = ("all", listing.DRAFT, listing.WAITING, listing.SENT)


class RecordsScreen(Screen):
    status = "all"
    #: Cards shown at most (flagged records come first).
    SHOWN = 60

    def on_pre_enter(self, *_: object) -> None:
        self.prepare()

    def prepare(self) -> None:
        self.fill()

    def set_status(self, status: str) -> None:
        self.status = status
        self.fill()

    def status_text(self, status: str) -> str:
        t = App.get_running_app().t
        return {"all": t("All"), listing.DRAFT: t("Draft"), listing.WAITING: t("Waiting"),
                listing.SENT: t("Sent")}[status]

    def fill(self) -> list[listing.RecordRow]:
        app = App.get_running_app()
        t = app.t
        rows = listing.list_records(app.store, search=self.ids.search.text,
                                    status=None if self.status == "all" else self.status)
        rows.sort(key=lambda r: not r.flagged)  # what needs attention first
        forms = listing.latest_forms(app.store)
        box = self.ids.list
        box.clear_widgets()
        if not rows:
            box.add_widget(Body(text=t("No records.")))
        if len(rows) > self.SHOWN:  # a card per record: keep the screen quick
            box.add_widget(Body(text=t("Showing {shown} of {total}: search to find others.")
                                .format(shown=self.SHOWN, total=len(rows))))
        for row in rows[: self.SHOWN]:
            card = Card()
            form = forms[row.form_id].title if row.form_id in forms else row.form_id
            card.add_widget(Body(text=f"{row.title}", bold=True))
            card.add_widget(Body(text=f"{form} - {self.status_text(row.status)} - "
                                      f"{row.updated_at[:16].replace('T', ' ')}"))
            if row.review_comment or row.review_state in ("has_issues", "rejected"):
                card.add_widget(Body(text="! " + t("Leader's comment: {comment}").format(
                    comment=row.review_comment or row.review_state), color=(0.6, 0.2, 0, 1)))
            if row.conflicts:
                card.add_widget(Body(text="! " + t(
                    "Answers changed on two tablets: {n}. A leader will choose.").format(
                    n=len(row.conflicts)), color=(0.6, 0.2, 0, 1)))
            open_button = QuietButton(text=t("Continue") if row.status == listing.DRAFT
                                      else t("Open"))
            open_button.record_id = row.record_id
            open_button.bind(on_release=lambda b: app.go("form", record_id=b.record_id))
            card.add_widget(open_button)
            box.add_widget(card)
        return rows


SCREEN = RecordsScreen
