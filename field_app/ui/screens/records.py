"""Records on this tablet: my work (drafts, waiting, sent, returned by a leader) apart
from records received for reference; find by name or number, sort, delete a draft."""

from __future__ import annotations

from kivy.app import App
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.screenmanager import Screen

from field_app.core import listing, records
from field_app.ui.dialogs import confirm
from field_app.ui.widgets import Body, Card, QuietButton

STATUS_FILTERS = ("all", listing.DRAFT, listing.WAITING, listing.SENT, listing.RETURNED)


def when(iso: str | None) -> str:
    return iso[:16].replace("T", " ") if iso else "-"


class RecordsScreen(Screen):
    status = StringProperty("all")
    sort = StringProperty("changed")
    #: True: my work; False: records received from the server for reference.
    mine = BooleanProperty(True)
    #: Cards shown at most (flagged records come first).
    SHOWN = 60

    def on_pre_enter(self, *_: object) -> None:
        self.prepare()

    def prepare(self, mine: bool | None = None) -> None:
        if mine is not None:
            self.mine = mine
        self.fill()

    def set_status(self, status: str) -> None:
        self.status = status
        self.fill()

    def set_mine(self, mine: bool) -> None:
        self.mine = mine
        self.status = "all"
        self.fill()

    def set_sort(self, sort: str) -> None:
        self.sort = sort
        self.fill()

    def status_text(self, status: str) -> str:
        t = App.get_running_app().t
        return {"all": t("All"), listing.DRAFT: t("Draft"), listing.WAITING: t("Waiting"),
                listing.SENT: t("Sent"), listing.RETURNED: t("Returned")}[status]

    def sort_text(self, sort: str) -> str:
        t = App.get_running_app().t
        return {"changed": t("Last changed"), "made": t("Last made"),
                "name": t("Name or number")}[sort]

    def fill(self) -> list[listing.RecordRow]:
        app = App.get_running_app()
        t = app.t
        rows = listing.list_records(app.store, search=self.ids.search.text, mine=self.mine,
                                    status=None if self.status == "all" else self.status,
                                    sort=self.sort)
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
            box.add_widget(self._card(row, forms, t))
        return rows

    def _card(self, row: listing.RecordRow, forms: dict, t: object) -> Card:
        app = App.get_running_app()
        card = Card()
        form = forms[row.form_id].title_in(app.lang) if row.form_id in forms else row.form_id
        card.add_widget(Body(text=row.title, bold=True))
        status = self.status_text(row.status) if row.mine else t("From the server")
        card.add_widget(Body(text=f"{form} - {status}"))
        card.add_widget(Body(text=t("Made {made}   Changed {changed}").format(
            made=when(row.made_at), changed=when(row.changed_at)), color=(0.3, 0.3, 0.3, 1)))
        if row.review_comment or row.returned:
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
        if row.mine and row.status == listing.DRAFT:
            delete = QuietButton(text=t("Delete this draft"))
            delete.record_id, delete.title = row.record_id, row.title
            delete.bind(on_release=lambda b: self.delete_draft(b.record_id, b.title))
            card.add_widget(delete)
        return card

    def delete_draft(self, record_id: str, title: str) -> object:
        """Ask, then delete a draft (one never sent just goes; see records.delete_record)."""
        t = App.get_running_app().t

        def delete() -> None:
            records.delete_record(App.get_running_app().store, record_id)
            self.fill()

        return confirm(t("Delete this draft"), t(
            "Delete the draft {title}? Its answers will be lost.").format(
            title=title or "-"), t("Delete"), t("Keep"), delete)


SCREEN = RecordsScreen
