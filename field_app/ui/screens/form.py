"""Filling a record: one page at a time, every answer saved as it is entered.

All the form logic is in `field_app.core.navigation.Navigator` (pages, relevance,
repeats, what is missing); this screen builds a view per question and passes answers.
"""

from __future__ import annotations

from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.metrics import dp
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.popup import Popup
from kivy.uix.screenmanager import Screen

from field_app.core import listing
from field_app.core.navigation import Navigator, form_language
from field_app.core.session import SurveySession
from field_app.ui.questions import QuestionView, SelectQuestion, view_for
from field_app.ui.widgets import BigButton, Body, QuietButton
from forms.answers import Path, get


class FormScreen(Screen):
    page_title = StringProperty("")
    progress = NumericProperty(0)
    notice = StringProperty("")
    in_repeat = BooleanProperty(False)
    at_end = BooleanProperty(False)
    showing_issues = BooleanProperty(False)

    nav: Navigator | None = None
    #: "An answer is needed" shows only once the enumerator tried to finish: a fresh
    #: page full of red would only alarm.
    finishing = False

    def prepare(self, form_id: str | None = None, settlement_id: str | None = None,
                structure_id: str | None = None, record_id: str | None = None) -> None:
        app = App.get_running_app()
        store = app.store
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
        self._views: dict[Path, QuestionView] = {}
        self.notice = self._notices(record_id)
        self.showing_issues = False
        self.finishing = False
        self._missing: dict[Path, Any] = {}
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
            from field_app.core.reviews import mark_seen

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
        for view in self.views:
            if view.path == tuple(path):
                return view
        raise KeyError(f"{path} is not on this page")

    def show_page(self) -> None:
        nav = self.nav
        page = nav.page
        self.page_title = nav.title()
        self.progress = nav.progress
        self.in_repeat = page.repeat is not None
        self.at_end = nav.at_end
        box = self.ids.questions
        box.clear_widgets()
        self.shown_paths = page.questions
        self.shown_key, self.shown_index = page.key, page.index
        for path in page.questions:
            box.add_widget(self._view(path))
        if page.repeat is not None and page.index is None:
            box.add_widget(Body(text=App.get_running_app().t(
                "Nobody added yet. Press Add to add the first one.")))
        self.refresh_views(set(page.questions))
        self.ids.scroll.scroll_y = 1
        Clock.schedule_once(self._prefetch, 0.2)

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

    def _prefetch(self, _dt: float = 0) -> None:
        """Build the next page while the enumerator reads this one (Next is then quick)."""
        nav = self.nav
        if nav is None or nav.index + 1 >= len(nav.pages):
            return
        for path in nav.pages[nav.index + 1].questions:
            view = self._view(path)
            if isinstance(view, SelectQuestion):
                self._fill_choices(view)

    def _fill_choices(self, view: SelectQuestion) -> None:
        nav = self.nav
        answers = nav.session.answers
        choices = [(c.name, nav.question_choice_label(c))
                   for c in nav.engine.visible_choices(answers, view.path)]
        if view.node.or_other and "other" not in {name for name, _ in choices}:
            # "or_other": the form's `<name>_other` question appears for the text.
            choices.append(("other", App.get_running_app().t("Other")))
        view.set_choices(choices, get(answers, view.path))

    def refresh_views(self, changed: set[Path]) -> None:
        nav = self.nav
        answers = nav.session.answers
        self.page_title = nav.title()  # "Member ${name}" follows the answer
        for view in self.views:
            if isinstance(view, SelectQuestion):
                self._fill_choices(view)
            elif view.path in changed or view.node.type == "calculate":
                view.show(get(answers, view.path))
            if nav.texts_change(view.path):  # "${name}" in the label or hint
                view.show_texts(nav.label_at(view.path), nav.hint_at(view.path))
            problem = nav.session.problem_at(view.path)
            if problem is None and self.finishing:
                problem = self._missing.get(view.path)
            if problem is not None and problem.code == "required" and not self.finishing:
                problem = None
            view.show_error(problem.message if problem else None)

    # -- answering -----------------------------------------------------------------------
    def answer(self, path: Path, value: Any) -> None:
        self._missing.pop(tuple(path), None)
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
            if view.parent is not box:
                if view.parent is not None:
                    view.parent.remove_widget(view)
                box.add_widget(view, index=len(box.children) - position)
        self.shown_paths = paths

    def attach(self, path: Path, file: str) -> None:
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

    def previous_page(self) -> None:
        self.nav.back()
        self.show_page()

    def add_instance(self) -> None:
        self.nav.add_instance()
        self.show_page()

    def remove_instance(self) -> Popup | None:
        """Ask first: removing a member deletes their answers."""
        page = self.nav.page
        if page.index is None:
            return None
        t = App.get_running_app().t
        box = BoxLayout(orientation="vertical", spacing=dp(8), padding=dp(8))
        box.add_widget(Body(text=t("Remove {name}? Their answers will be deleted.").format(
            name=self.nav.title()), color=(1, 1, 1, 1)))
        yes = BigButton(text=t("Remove"))
        no = QuietButton(text=t("Keep"))
        box.add_widget(yes)
        box.add_widget(no)
        popup = Popup(title=t("Remove"), content=box, size_hint=(0.9, None), height=dp(300),
                      auto_dismiss=False)

        def remove(*_: Any) -> None:
            popup.dismiss()
            self.nav.remove_instance()
            self.show_page()

        yes.bind(on_release=remove)
        no.bind(on_release=lambda *_: popup.dismiss())
        popup.open()
        return popup

    def jump(self, path: Path) -> None:
        self.showing_issues = False
        self.nav.jump_to(path)
        self.show_page()

    def finish(self) -> bool:
        """Finalize, or list what is missing with a button to jump to each."""
        app = App.get_running_app()
        missing = self.nav.missing()
        self.finishing = True
        self._missing = {problem.path: problem for problem, _ in missing}
        if not missing and self.nav.session.finalize() == []:
            app.go("home")
            return True
        box = self.ids.issues
        box.clear_widgets()
        box.add_widget(Body(text=app.t("Before finishing, answer these:"), bold=True))
        for problem, _page in missing:
            button = QuietButton(text=f"{self.nav.question_label(problem.path)}: "
                                      f"{problem.message}")
            button.problem_path = problem.path
            button.bind(on_release=lambda b: self.jump(b.problem_path))
            box.add_widget(button)
        self.showing_issues = True
        return False

    def close(self) -> None:
        """Everything is saved already: back home, the draft continues later."""
        App.get_running_app().go("home")


SCREEN = FormScreen
