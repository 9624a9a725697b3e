"""Start a record: pick the settlement, and for a household the structure, found by
typing its painted number (recent ones first). Start refuses, in plain words, until the
form has what it needs."""

from __future__ import annotations

from kivy.app import App
from kivy.properties import ObjectProperty, StringProperty
from kivy.uix.screenmanager import Screen

from field_app.core import listing
from field_app.ui.widgets import Body, ChoiceButton


class StartScreen(Screen):
    form_id = StringProperty("")
    title = StringProperty("")
    message = StringProperty("")
    picked_text = StringProperty("")
    #: The links the form asks for (`listing.link_questions`).
    links = ObjectProperty(frozenset())
    settlement_id: str | None = None
    structure_id: str | None = None

    def prepare(self, form_id: str) -> None:
        app = App.get_running_app()
        self.form_id = form_id
        forms = listing.latest_forms(app.store)
        spec = forms.get(form_id)
        self.title = spec.title_in(app.lang) if spec else form_id
        self.links = listing.link_questions(spec) if spec else frozenset()
        self.settlement_id = self.structure_id = None
        self.message = ""
        self.ids.number.text = ""
        self._fill_settlements()
        self._fill_structures()
        settlements = listing.settlements(app.store) if self.needs_settlement else []
        if len(settlements) == 1:  # most enumerators work in one settlement
            self.pick_settlement(settlements[0][0])

    @property
    def needs_settlement(self) -> bool:
        """The form links to a settlement, or to a structure (which is in one)."""
        return bool(self.links)

    @property
    def needs_structure(self) -> bool:
        return "structure_id" in self.links

    def _buttons(self, box_id: str, rows: list[tuple[str, str]], group: str,
                 picked: str | None, on_pick: object) -> None:
        box = self.ids[box_id]
        for record_id, name in rows:
            button = ChoiceButton(text=name, group=group,
                                  state="down" if record_id == picked else "normal")
            button.record_id = record_id
            button.bind(on_release=on_pick)
            box.add_widget(button)

    def _fill_settlements(self) -> None:
        t = App.get_running_app().t
        box = self.ids.settlements
        box.clear_widgets()
        if not self.needs_settlement:
            return
        rows = listing.settlements(App.get_running_app().store)
        if not rows:
            box.add_widget(Body(text=t("No settlement on this tablet yet: sync first.")))
        self._buttons("settlements", rows, "settlement", self.settlement_id,
                      lambda b: self.pick_settlement(b.record_id))

    def _fill_structures(self) -> None:
        """The recent structures, then those matching the number typed (at most 30)."""
        app = App.get_running_app()
        t = app.t
        box = self.ids.structures
        box.clear_widgets()
        if not self.needs_structure:
            return
        if self.settlement_id is None:
            box.add_widget(Body(text=t("Choose the settlement first.")))
            return
        choices = listing.structure_choices(app.store, self.settlement_id,
                                            self.ids.number.text)
        if choices.recent:
            box.add_widget(Body(text=t("Recent"), bold=True))
            self._buttons("structures", choices.recent, "structure", self.structure_id,
                          lambda b: self.pick_structure(b.record_id))
            box.add_widget(Body(text=t("All structures"), bold=True))
        if not choices.found:
            box.add_widget(Body(text=t("No structure numbered {number} here.").format(
                number=self.ids.number.text.strip()) if self.ids.number.text.strip()
                else t("No structure numbered here yet.")))
        self._buttons("structures", choices.found, "structure", self.structure_id,
                      lambda b: self.pick_structure(b.record_id))
        if choices.matched > len(choices.found):
            box.add_widget(Body(text=t("{n} more: type more of the number.").format(
                n=choices.matched - len(choices.found))))

    def typed(self, text: str) -> None:
        """The painted number as typed: the list follows; an exact number is picked."""
        app = App.get_running_app()
        if self.settlement_id is not None and self.needs_structure:
            exact = listing.structure_choices(app.store, self.settlement_id, text).exact
            if exact is not None:
                self.structure_id = exact
        self._fill_structures()
        self._show_picked()

    def pick_settlement(self, record_id: str) -> None:
        if record_id != self.settlement_id:
            self.structure_id = None
        self.settlement_id = record_id
        for button in self.ids.settlements.children:
            if hasattr(button, "record_id"):
                button.state = "down" if button.record_id == record_id else "normal"
        self._fill_structures()
        self._show_picked()

    def pick_structure(self, record_id: str) -> None:
        self.structure_id = record_id
        for button in self.ids.structures.children:
            if hasattr(button, "record_id"):
                button.state = "down" if button.record_id == record_id else "normal"
        self._show_picked()

    def _show_picked(self) -> None:
        t = App.get_running_app().t
        self.message = ""
        if self.structure_id is None:
            self.picked_text = ""
            return
        number = dict(listing.structures(App.get_running_app().store, self.settlement_id)
                      ).get(self.structure_id, "")
        self.picked_text = t("Structure: {number}").format(number=number)

    def missing(self) -> str:
        """What the form still needs before it can start ("" when nothing)."""
        t = App.get_running_app().t
        if self.needs_settlement and self.settlement_id is None:
            return t("Choose the settlement first.")
        if self.needs_structure and self.structure_id is None:
            return t("Choose the structure: type its painted number or pick it.")
        return ""

    def begin(self) -> bool:
        missing = self.missing()
        if missing:
            self.message = missing
            return False
        App.get_running_app().go("form", form_id=self.form_id,
                                 settlement_id=self.settlement_id,
                                 structure_id=self.structure_id)
        return True


SCREEN = StartScreen
