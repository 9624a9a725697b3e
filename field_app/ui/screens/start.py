"""Start a record: pick the settlement (and the structure, for a household)."""

from __future__ import annotations

from kivy.app import App
from kivy.properties import StringProperty
from kivy.uix.screenmanager import Screen

from field_app.core import listing
from field_app.ui.widgets import Body, ChoiceButton


class StartScreen(Screen):
    form_id = StringProperty("")
    title = StringProperty("")
    settlement_id: str | None = None
    structure_id: str | None = None

    def prepare(self, form_id: str) -> None:
        app = App.get_running_app()
        self.form_id = form_id
        forms = listing.latest_forms(app.store)
        self.title = forms[form_id].title if form_id in forms else form_id
        self.settlement_id = self.structure_id = None
        self._fill_settlements()
        self._fill_structures()
        settlements = listing.settlements(app.store) if self.needs_settlement else []
        if len(settlements) == 1:  # most enumerators work in one settlement
            self.pick_settlement(settlements[0][0])

    @property
    def needs_settlement(self) -> bool:
        return self.form_id != listing.SETTLEMENT_FORM

    @property
    def needs_structure(self) -> bool:
        return self.form_id == listing.HOUSEHOLD_FORM

    def _choices(self, box_id: str, rows: list[tuple[str, str]], group: str,
                 empty: str, on_pick: object) -> None:
        box = self.ids[box_id]
        box.clear_widgets()
        if not rows:
            box.add_widget(Body(text=empty))
        for record_id, name in rows:
            button = ChoiceButton(text=name, group=group)
            button.record_id = record_id
            button.bind(on_release=on_pick)
            box.add_widget(button)

    def _fill_settlements(self) -> None:
        t = App.get_running_app().t
        rows = listing.settlements(App.get_running_app().store) if self.needs_settlement else []
        self._choices("settlements", rows, "settlement",
                      t("No settlement on this tablet yet.") if self.needs_settlement else "",
                      lambda b: self.pick_settlement(b.record_id))

    def _fill_structures(self) -> None:
        t = App.get_running_app().t
        rows = (listing.structures(App.get_running_app().store, self.settlement_id)
                if self.needs_structure else [])
        self._choices("structures", rows, "structure",
                      t("No structure numbered here yet.") if self.needs_structure else "",
                      lambda b: self.pick_structure(b.record_id))

    def _show_picked(self, box_id: str, record_id: str | None) -> None:
        for button in self.ids[box_id].children:
            if hasattr(button, "record_id"):
                button.state = "down" if button.record_id == record_id else "normal"

    def pick_settlement(self, record_id: str) -> None:
        self.settlement_id = record_id
        self.structure_id = None
        self._show_picked("settlements", record_id)
        self._fill_structures()

    def pick_structure(self, record_id: str) -> None:
        self.structure_id = record_id
        self._show_picked("structures", record_id)

    def begin(self) -> None:
        app = App.get_running_app()
        app.go("form", form_id=self.form_id, settlement_id=self.settlement_id,
               structure_id=self.structure_id)


SCREEN = StartScreen
