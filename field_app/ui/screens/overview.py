"""The record overview (ODK Collect's "form hierarchy"): every group, member and
question with its state; a tap goes there, and one button goes to the first problem.

A record has up to a few hundred rows (the settlement profile: ~220), so the list is a
RecycleView: only the rows on screen are widgets, and it opens at once.
"""

from __future__ import annotations

from typing import Any

from kivy.app import App
from kivy.properties import (
    BooleanProperty,
    ListProperty,
    NumericProperty,
    ObjectProperty,
    StringProperty,
)
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import Screen

from field_app.core.overview import (
    ANSWERED,
    EMPTY,
    ERROR,
    INFO,
    MISSING,
    NOT_RELEVANT,
    PROBLEM_STATES,
    QUESTION,
    Row,
    first_problem,
    overview,
    problem_count,
)

#: The mark at the start of a row, per state (drawn in overview.kv).
STATE_COLOURS = {
    ANSWERED: (0.0, 0.45, 0.2, 1), MISSING: (0.85, 0.45, 0.0, 1), ERROR: (0.75, 0.05, 0.0, 1),
    EMPTY: (0.6, 0.6, 0.6, 1), NOT_RELEVANT: (0.85, 0.85, 0.85, 1), INFO: (0.2, 0.4, 0.7, 1),
}


class OverviewRow(ButtonBehavior, BoxLayout):
    """One line: a state mark, the label, and the answer or the problem under it."""

    title = StringProperty("")
    detail = StringProperty("")
    mark = ListProperty([0.6, 0.6, 0.6, 1])
    indent = NumericProperty(0)
    heading = BooleanProperty(False)
    reachable = BooleanProperty(True)
    dimmed = BooleanProperty(False)
    row = ObjectProperty(None, allownone=True)

    def on_release(self) -> None:
        if self.row is not None and self.reachable:
            App.get_running_app().root.get_screen("overview").go(self.row)


class OverviewScreen(Screen):
    summary = StringProperty("")
    problems = NumericProperty(0)
    only_problems = BooleanProperty(False)
    form_screen: Any = None
    #: The rows of the record shown (`field_app.core.overview.overview`).
    rows = ListProperty([])

    def prepare(self, screen: Any = None) -> None:
        """Show the record open on the form screen `screen`."""
        if screen is not None:
            self.form_screen = screen
        self.rows = overview(self.form_screen.nav)
        self.problems = problem_count(self.rows)
        self.fill()

    def fill(self) -> None:
        t = App.get_running_app().t
        nav = self.form_screen.nav
        answered, total = nav.counts()
        self.summary = t("{answered} of {total} answered").format(
            answered=answered, total=total) + "   " + (
            t("To fix: {n}").format(n=self.problems) if self.problems else t("Nothing missing."))
        shown = [r for r in self.rows if not self.only_problems
                 or r.kind != QUESTION or r.state in PROBLEM_STATES]
        self.ids.list.data = [self._item(r) for r in shown]

    def _item(self, row: Row) -> dict[str, Any]:
        t = App.get_running_app().t
        detail = row.detail
        if row.kind != QUESTION and row.detail and "/" in row.detail:
            detail = t("{done} answered").format(done=row.detail)
        elif row.state == NOT_RELEVANT:
            detail = t("Does not apply")
        elif row.state == EMPTY:
            detail = t("Not answered")
        return {"title": row.label, "detail": detail, "indent": row.depth,
                "mark": list(STATE_COLOURS.get(row.state, STATE_COLOURS[EMPTY])),
                "heading": row.kind != QUESTION, "reachable": row.page is not None,
                "dimmed": row.state == NOT_RELEVANT, "row": row}

    def toggle_problems(self) -> None:
        self.only_problems = not self.only_problems
        self.fill()

    def go(self, row: Row) -> None:
        """Back to the form, at that question (or the first page of that group/member)."""
        form = self.form_screen
        App.get_running_app().root.current = "form"
        if row.kind == QUESTION:
            form.jump(row.path)
        elif row.page is not None:
            form.showing_issues = False
            form.nav.go(row.page)
            form.show_page()

    def first_problem(self) -> None:
        row = first_problem(self.rows)
        if row is not None:
            self.go(row)

    def back(self) -> None:
        App.get_running_app().root.current = "form"

    def back_key(self) -> bool:
        self.back()
        return True


SCREEN = OverviewScreen
