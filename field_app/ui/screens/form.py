"""Filling a record: one page at a time, every answer saved as it is entered.

All the form logic is in `field_app.core.navigation.Navigator` (pages, relevance,
repeats, what is missing, progress) and `field_app.core.overview`; this screen builds a
view per question, passes answers, and moves between pages (buttons, a sideways swipe,
the hardware Back key, the overview, the list of what is missing).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.metrics import dp
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.screenmanager import Screen

from field_app.core import listing
from field_app.core.navigation import Navigator, form_language
from field_app.core.reviews import mark_seen
from field_app.core.session import SurveySession
from field_app.ui.dialogs import confirm
from field_app.ui.members import members_popup
from field_app.ui.questions import QuestionView, SelectQuestion, view_for
from field_app.ui.widgets import Body, ProblemButton, QuietButton
from forms.answers import Path, get, is_empty
from forms.validation import Problem

#: How long a question reached from the missing list or the overview stays outlined.
HIGHLIGHT_S = 2.5
#: Time a frame may spend building the rest of a page or the pages next to it.
BUILD_SLICE_S = 0.01


def estimated_height(view: QuestionView, choices: int) -> float:
    """Roughly how tall a question will be before it is laid out (to build a screenful
    first): a line per ~40 characters of label and hint, a row per choice or input."""
    lines = 1 + len(view.label_text) // 40 + (1 + len(view.hint_text) // 50 if view.hint_text
                                              else 0)
    rows = choices or (3 if view.node.type.startswith(("geo", "date", "time")) else 1)
    return dp(30) + lines * dp(26) + rows * dp(58)


class FormScreen(Screen):
    page_title = StringProperty("")
    progress = NumericProperty(0)
    progress_text = StringProperty("")
    notice = StringProperty("")
    in_repeat = BooleanProperty(False)
    at_end = BooleanProperty(False)
    at_start = BooleanProperty(True)
    showing_issues = BooleanProperty(False)
    #: After Finish found problems: how many still block it (rebuilt on every answer).
    problems_left = NumericProperty(0)
    members_text = StringProperty("")

    nav: Navigator | None = None

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._pending: list[Path] = []
        #: Builds the rest of the page, then the pages next to it, a slice a frame.
        self._builder = Clock.create_trigger(self._build_more, 1 / 60)

    def prepare(self, form_id: str | None = None, settlement_id: str | None = None,
                structure_id: str | None = None, record_id: str | None = None) -> None:
        app = App.get_running_app()
        store = app.store
        if self.nav is not None:  # the record open before: its views are garbage now
            self.ids.questions.clear_widgets()
            self._views = {}
            gc.collect()  # now, not in the middle of the pages of this record
        if record_id is None:
            spec = listing.latest_forms(store)[form_id]
            session = SurveySession.start(
                store, form_id, language=form_language(spec.languages, app.lang),
                settlement_id=settlement_id, structure_id=structure_id,
                prefill=listing.link_answers(store, settlement_id, structure_id))
        else:
            session = SurveySession.open(store, record_id)
            session.language = form_language(session.form.languages, app.lang)
        self.nav = Navigator(session)
        app.state.open_record = session.record_id  # reopened after a restart
        self._views: dict[Path, QuestionView] = {}
        self._highlighted: QuestionView | None = None
        self.notice = self._notices(record_id)
        self.showing_issues = False
        self.finishing = False
        self.problems_left = 0
        self._missing: list[tuple[Problem, int | None]] = []
        self._last_problem: Path | None = None
        self.show_page()

    def _notices(self, record_id: str | None) -> str:
        if record_id is None:
            return ""
        t = App.get_running_app().t
        rows = listing.list_records(App.get_running_app().store, record_id=record_id)
        if not rows:
            return ""
        row, parts = rows[0], []
        if row.review_state:
            mark_seen(App.get_running_app().store, record_id)
        if row.review_comment:
            parts.append(t("Leader's comment: {comment}").format(comment=row.review_comment))
        if row.conflicts:
            parts.append(t("Answers changed on two tablets: {n}. A leader will choose.")
                         .format(n=len(row.conflicts)))
        return "\n".join(parts)

    # -- pages ---------------------------------------------------------------------------
    @property
    def views(self) -> list[QuestionView]:
        return [w for w in self.ids.questions.children if isinstance(w, QuestionView)][::-1]

    def view(self, path: Path) -> QuestionView:
        """The view of a question on this page (the rest of the page is built first)."""
        self.finish_page()
        for view in self.views:
            if view.path == tuple(path):
                return view
        raise KeyError(f"{path} is not on this page")

    def show_page(self) -> None:
        """Show the current page: a screenful of questions before the first frame, the
        rest over the next frames (`_build_more`), so a long page appears at once."""
        nav = self.nav
        page = nav.page
        self.in_repeat = page.repeat is not None
        box = self.ids.questions
        box.clear_widgets()
        self.shown_paths = page.questions
        self.shown_key, self.shown_index = page.key, page.index
        self._pending = list(page.questions)
        # A screenful: the page's scroll area (before its first layout, most of the window).
        room = max(self.ids.scroll.height, Window.height * 0.75)
        while self._pending and room > 0:
            path = self._pending.pop(0)
            view = self._view(path)
            box.add_widget(view)
            room -= estimated_height(view, len(nav.form.choice_list(view.node.list_name or "")))
        if page.repeat is not None and page.index is None:
            box.add_widget(Body(text=App.get_running_app().t(
                "Nobody added yet. Press Add to add the first one.")))
        self.refresh_views(set(page.questions))
        self.ids.scroll.scroll_y = 1
        self._builder.cancel()
        # The rest waits until the frame showing this much is drawn: Clock callbacks
        # scheduled now run in the coming tick, before that frame, so hop once more.
        Clock.schedule_once(lambda _dt: self._builder(), 0)

    def _build_more(self, _dt: float = 0) -> None:
        """One frame's share of work: the rest of the page, then the pages next to it
        (so Next, Back and a swipe find them built); at most BUILD_SLICE_S a frame."""
        if self.nav is None:
            return
        end = time.perf_counter() + BUILD_SLICE_S
        while self._pending and time.perf_counter() < end:
            path = self._pending.pop(0)
            view = self._view(path)
            self.ids.questions.add_widget(view)
            self._refresh_view(view, {path}, self._problems())
        if not self._pending:
            nav = self.nav
            nearby = [p for i in (nav.index + 1, nav.index - 1) if 0 <= i < len(nav.pages)
                      for p in nav.pages[i].questions if p not in self._views]
            for path in nearby:
                if time.perf_counter() >= end:
                    break
                view = self._view(path)
                if isinstance(view, SelectQuestion):
                    self._fill_choices(view)
            else:
                return
        self._builder()  # more next frame

    def finish_page(self) -> None:
        """Build the rest of the page now (before answering or reading its views)."""
        pending, self._pending = self._pending, []
        problems = self._problems() if pending else {}
        for path in pending:
            view = self._view(path)
            self.ids.questions.add_widget(view)
            self._refresh_view(view, {path}, problems)

    def _view(self, path: Path) -> QuestionView:
        """The view of a question, built once per open record (pages are revisited)."""
        view = self._views.get(path)
        if view is None:
            nav = self.nav
            node = nav.engine.node(path)
            try:
                required = nav.engine.is_required(nav.session.answers, path)
            except Exception:  # a broken required expression must not hide the question
                required = False
            view = view_for(self, path, node, nav.language, nav.form.default_language,
                            required, label=nav.label_at(path), hint=nav.hint_at(path))
            self._views[path] = view
        return view

    def _fill_choices(self, view: SelectQuestion) -> None:
        nav = self.nav
        answers = nav.session.answers
        choices = [(c.name, nav.question_choice_label(c))
                   for c in nav.engine.visible_choices(answers, view.path)]
        if view.node.or_other and "other" not in {name for name, _ in choices}:
            # "or_other": the form's `<name>_other` question appears for the text.
            choices.append(("other", App.get_running_app().t("Other")))
        view.set_choices(choices, get(answers, view.path))

    def _problems(self) -> dict[Path, Problem]:
        if self.finishing:
            return {p.path: p for p, _ in self._missing}
        return {p.path: p for p, _ in self.nav.missing()}

    def refresh_views(self, changed: set[Path]) -> None:
        """Show answers, texts and messages of the page's views; update the bar,
        the Next/Finish button and the list of what blocks finishing."""
        self._update_status()
        problems = self._problems()
        for view in self.views:
            self._refresh_view(view, changed, problems)

    def _refresh_view(self, view: QuestionView, changed: set[Path],
                      problems: dict[Path, Problem]) -> None:
        nav = self.nav
        answers = nav.session.answers
        if isinstance(view, SelectQuestion):
            self._fill_choices(view)
        elif view.path in changed or view.node.type == "calculate":
            view.show(get(answers, view.path))
        if nav.texts_change(view.path):  # "${name}" in the label or hint
            view.show_texts(nav.label_at(view.path), nav.hint_at(view.path))
        problem = problems.get(view.path)
        if problem is not None and problem.code == "required" and not (
                nav.needs_attention(view.path) and is_empty(get(answers, view.path))):
            problem = None  # a page not reached yet stays calm
        view.show_error(problem.message if problem else None)

    def _update_status(self) -> None:
        nav = self.nav
        t = App.get_running_app().t
        self.page_title = nav.title()  # "Member ${name}" follows the answer
        self.at_end = nav.at_end  # Next or Finish, from what applies now
        self.at_start = nav.at_start
        answered, total = nav.counts()
        self.progress = answered / total if total else 1.0
        self.progress_text = t("{answered} of {total} answered").format(
            answered=answered, total=total)
        page = nav.page
        if page.repeat is not None:
            self.members_text = t("List ({n})").format(n=len(nav.instances(page.repeat)))
        if self.finishing:
            self._missing = nav.missing()
            self.problems_left = len(self._missing)
            if self.showing_issues:
                self._fill_issues()
            if not self._missing:
                self.showing_issues = False

    # -- answering -----------------------------------------------------------------------
    def answer(self, path: Path, value: Any) -> None:
        self.finish_page()
        changed = self.nav.set_answer(path, value)
        page = self.nav.page
        if page.key != self.shown_key or page.index != self.shown_index:
            self.show_page()  # the page itself went away (its group no longer applies)
            return
        if page.questions != self.shown_paths:
            self._relayout(page.questions)  # a question appeared or went away
        self.refresh_views(changed | {tuple(path)} | set(page.questions))

    def _relayout(self, paths: tuple[Path, ...]) -> None:
        """Show exactly `paths`, keeping the views that stay where they are: the field
        being typed in keeps its focus (and the keyboard stays open)."""
        box = self.ids.questions
        wanted = [self._view(p) for p in paths]
        for widget in list(box.children):
            if widget not in wanted:
                box.remove_widget(widget)
        for position, view in enumerate(wanted):
            if view not in box.children:  # (box is a weak proxy: `is` never matches)
                if view.parent is not None:
                    view.parent.remove_widget(view)
                box.add_widget(view, index=len(box.children) - position)
        self.shown_paths = paths

    def attach(self, path: Path, file: str | None) -> None:
        """Answer a photo/file question with a file (None removes the answer)."""
        if file is None:
            self.answer(path, None)
            return
        changed = self.nav.session.attach_file(path, file)
        self.nav.session.save()
        self.refresh_views(changed | {tuple(path)})

    # -- moving --------------------------------------------------------------------------
    def next_page(self) -> None:
        if self.nav.at_end:
            self.finish()
        else:
            self.nav.next()
            self.show_page()

    def previous_page(self) -> bool:
        """One page back; False on the first page (nothing to go back to)."""
        if self.nav.at_start:
            return False
        self.nav.back()
        self.show_page()
        return True

    def swiped(self, direction: str) -> None:
        """A sideways swipe: the next page, or the one before. The last page is never
        finished by a swipe (that takes the Finish button)."""
        if direction == "next" and not self.nav.at_end:
            self.next_page()
        elif direction == "back":
            self.previous_page()

    def add_instance(self) -> None:
        self.nav.add_instance()
        self.show_page()

    def remove_instance(self, index: int | None = None,
                        after: Callable[[], Any] | None = None) -> Any:
        """Ask first: removing a member deletes their answers. `index`: that instance
        of this page's repeat (default: the one shown); `after` runs once removed."""
        page = self.nav.page
        index = page.index if index is None else index
        if page.repeat is None or index is None:
            return None
        t = App.get_running_app().t
        name = self.nav.instance_summary(page.repeat, index) or f"{index + 1}"
        repeat = page.repeat

        def remove() -> None:
            self.nav.remove_instance_at(repeat, index)
            self.show_page()
            if after is not None:
                after()

        return confirm(t("Remove"), t("Remove {name}? Their answers will be deleted.").format(
            name=name), t("Remove"), t("Keep"), remove)

    def go_member(self, repeat: Path, index: int) -> None:
        self.showing_issues = False
        self.nav.go_instance(repeat, index)
        self.show_page()

    def show_members(self) -> Any:
        """The members of this page's repeat: open, add or remove one."""
        return members_popup(self)

    def jump(self, path: Path, focus: bool = True) -> None:
        """Go to the page of the question at `path`, scroll to it, outline it for a
        moment and put the cursor in it (a typed question)."""
        self.showing_issues = False
        self.nav.jump_to(path)
        self.show_page()
        # All of it: views added below later would move the question out of sight.
        self.finish_page()
        if tuple(path) in self.shown_paths:
            Clock.schedule_once(lambda _dt: self._reach(tuple(path), focus), 0)

    def _reach(self, path: Path, focus: bool) -> None:
        view = self._views.get(path)
        if view is None or view not in self.ids.questions.children:  # ids are weak proxies
            return
        self.ids.scroll.scroll_to(view, padding=20, animate=False)
        if self._highlighted is not None:
            self._highlighted.highlight = False
        view.highlight = True
        self._highlighted = view
        Clock.schedule_once(lambda _dt: setattr(view, "highlight", False), HIGHLIGHT_S)
        if focus:
            view.focus_input()

    def show_overview(self) -> Any:
        return App.get_running_app().go("overview", screen=self)

    # -- finishing -----------------------------------------------------------------------
    def finish(self) -> bool:
        """Finalize, or list what is missing with a button to go to each."""
        app = App.get_running_app()
        missing = self.nav.ask_to_finish()
        self.finishing = True
        if not missing and self.nav.session.finalize() == []:
            app.go("home")
            return True
        self._missing = missing
        self.problems_left = len(missing)
        self.showing_issues = True
        self._fill_issues()
        self.refresh_views(set())
        self.ids.scroll.scroll_y = 1
        return False

    def on_showing_issues(self, _screen: Any, showing: bool) -> None:
        if not showing:  # hidden rows would still catch touches meant for the page
            self.ids.issues.clear_widgets()

    def _fill_issues(self) -> None:
        app = App.get_running_app()
        box = self.ids.issues
        box.clear_widgets()
        box.add_widget(Body(text=app.t("Before finishing, answer these ({n}):").format(
            n=len(self._missing)), bold=True))
        for problem, _page in self._missing:
            button = ProblemButton(text=f"{self.nav.question_label(problem.path)}\n"
                                        f"{problem.message}")
            button.problem_path = problem.path
            button.bind(on_release=lambda b: self.jump(b.problem_path))
            box.add_widget(button)
        hide = QuietButton(text=app.t("Hide this list"))
        hide.bind(on_release=lambda *_: self.toggle_issues())
        box.add_widget(hide)

    def toggle_issues(self) -> None:
        self.showing_issues = not self.showing_issues and bool(self._missing)
        if self.showing_issues:
            self._fill_issues()
            self.ids.scroll.scroll_y = 1

    def next_problem(self) -> None:
        """Go to the next question that blocks finishing: after the last one reached
        this way, else the first from this page on, else the first."""
        if not self._missing:
            return
        paths = [problem.path for problem, _ in self._missing]
        if self._last_problem in paths:
            at = paths.index(self._last_problem) + 1
        else:
            at = next((i for i, (_, page) in enumerate(self._missing)
                       if page is not None and page >= self.nav.index), 0)
        self._last_problem = paths[at % len(paths)]
        self.jump(self._last_problem)

    # -- leaving -------------------------------------------------------------------------
    def back_key(self) -> bool:
        """The hardware Back key: close the list, else the page before, else ask
        before leaving the record."""
        if self.showing_issues:
            self.showing_issues = False
            return True
        if self.previous_page():
            return True
        t = App.get_running_app().t
        confirm(t("Leave this record?"),
                t("Everything is saved. You can continue it later from Records."),
                t("Leave"), t("Stay"), self.close)
        return True

    def close(self) -> None:
        """Everything is saved already: back home, the draft continues later."""
        App.get_running_app().go("home")


SCREEN = FormScreen
