"""Moving through a record page by page: what each page shows, progress, repeats, jumps.

A page is what fits one screen of a tablet: the questions of the form's top level
that are not in a group, each group's own questions, and each instance of a repeat
(one household member per page). A repeat with no instance yet still gets a page, so
the enumerator can add the first member there. Pages and the questions on them follow
relevance live: a group that does not apply has no page, a question that does not
apply is not shown.

    nav = Navigator(session)
    nav.page.questions          # concrete paths of the questions to show
    nav.next(); nav.back(); nav.go(3)
    nav.add_instance(("household", "members"))
    missing = nav.missing()     # [(problem, page index)] blocking finalize
    nav.progress                # relevant questions answered / relevant questions
    nav.needs_attention(path)   # passed (or asked to finish) and still unanswered

The overview of the whole record (groups, members, questions and their states) is
`field_app.core.overview`.

Labels, hints, page titles and problem messages may name questions (`${name}`): they
show the current answers (`forms.text.render_text`), inside a repeat instance that
instance's, as ODK Collect does. `label_at`, `hint_at` and `title()` give them so.

The page the enumerator was on is remembered in the store, so a draft reopens where
they stopped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from field_app.core.session import SurveySession
from forms.answers import Path, get, is_empty
from forms.spec import METADATA_TYPES, NO_ANSWER_TYPES, Node, text_in
from forms.text import has_references, render_text
from forms.validation import Problem, validate_record

#: Question types never shown (filled by the device or pure bookkeeping).
HIDDEN_TYPES = METADATA_TYPES | {"hidden", "start-geopoint", "background-audio"}


@dataclass(frozen=True)
class Page:
    """One screen of a record."""

    #: The group's or repeat's label as written (`${name}` references are filled in
    #: by `Navigator.title()`, so the title follows the answers).
    title: str
    #: The group or repeat instance this page belongs to (() for the form's top level).
    where: Path
    #: Concrete paths of the questions on this page that apply now, in form order.
    questions: tuple[Path, ...] = ()
    #: For a repeat page: the repeat's path, this instance's index (None: no instance
    #: yet) and how many instances there are.
    repeat: Path | None = None
    index: int | None = None
    count: int = 0
    #: Every question of the page, applying or not (to find where a path lives).
    all_questions: tuple[Path, ...] = field(default=(), repr=False)

    @property
    def key(self) -> Path:
        """Names this page among the others (a group may have pages before and after
        a repeat, so its own path is not enough)."""
        return self.all_questions[0] if self.all_questions else self.where


def label(node: Node, language: str | None, fallback: str | None = None) -> str:
    """A node's label in `language` (form language name), else its name."""
    return text_in(node.label, language, fallback) or node.name.replace("_", " ")


def form_language(languages: tuple[str, ...], code: str | None) -> str | None:
    """The form's language name for an app language code: "sw" -> "Swahili (sw)"."""
    if not code:
        return None
    for name in languages:
        if name == code or name.endswith(f"({code})") or name.lower() == code.lower():
            return name
    return None


#: Questions holding the links chosen on the start screen (shown there, not in the form).
LINK_QUESTIONS = frozenset({"settlement_id", "structure_id"})


def answerable(node: Node) -> bool:
    """Whether the enumerator answers this question (counted by the progress bar)."""
    return shown(node) and node.type not in NO_ANSWER_TYPES and node.type != "calculate" \
        and (node.read_only or "").strip().lower() not in ("true()", "true", "yes", "1")


def shown(node: Node) -> bool:
    """Whether a question gets a widget (calculations only when they have a label)."""
    if node.type in HIDDEN_TYPES or (len(node.path) == 1 and node.name in LINK_QUESTIONS):
        return False
    if node.type == "calculate":
        return bool(node.label)
    return True


class Navigator:
    """The pages of one session and where the enumerator is among them."""

    POSITION_KEY = "position:"

    def __init__(self, session: SurveySession, *, resume: bool = True) -> None:
        self.session = session
        self.form = session.form
        self.engine = session.engine
        self.language = session.language
        self.pages: list[Page] = []
        self.index = 0
        #: Questions on pages the enumerator moved on from: an unanswered required one
        #: among them says "answer needed" (a page not reached yet stays calm).
        self.passed: set[Path] = set()
        #: Problems listed when the enumerator last asked to finish.
        self.flagged: set[Path] = set()
        self.refresh()
        if resume:
            saved = session.store.get_setting(self.POSITION_KEY + session.record_id)
            if isinstance(saved, list):
                self.index = self._find_page(tuple(saved[0]), saved[1])
                for page in self.pages[: self.index]:  # a reopened draft: seen already
                    self.passed.update(page.questions)

    # -- pages ----------------------------------------------------------------------------
    def refresh(self) -> None:
        """Rebuild the pages after answers changed (relevance, repeat instances)."""
        key = self.page.key if self.pages else ()
        pages: list[Page] = []
        answers = self.session.answers
        memo: dict[Path, bool] = {}
        title = self.form.title_in(self.language)
        self._collect(self.form.children, (), title, answers, memo, pages)
        self.pages = pages or [Page(title, ())]
        if key:
            self.index = self._find_page(key, self.index)
        self.index = min(self.index, len(self.pages) - 1)

    def _collect(self, nodes: tuple[Node, ...], prefix: Path, title: str,
                 answers: dict[str, Any], memo: dict[Path, bool], pages: list[Page]) -> None:
        run: list[Path] = []

        def flush() -> None:
            if run:
                visible = tuple(p for p in run if self.engine.is_relevant(
                    answers, p, memo=memo))
                if visible:
                    pages.append(Page(title, prefix, visible, all_questions=tuple(run)))
                run.clear()

        for node in nodes:
            path = (*prefix, node.name)
            if node.is_question:
                if shown(node):
                    run.append(path)
                continue
            flush()
            if not self.engine.is_relevant(answers, path, memo=memo):
                continue
            name = label(node, self.language, self.form.default_language)
            if node.is_group:
                self._collect(node.children, path, name, answers, memo, pages)
            elif node.is_repeat:
                instances = get(answers, path) or []
                if not instances:
                    pages.append(Page(name, path, repeat=path, index=None, count=0))
                for i in range(len(instances)):
                    before = len(pages)
                    self._collect(node.children, (*path, i), name, answers, memo, pages)
                    for j in range(before, len(pages)):
                        pages[j] = Page(pages[j].title, pages[j].where, pages[j].questions,
                                        path, i, len(instances), pages[j].all_questions)
                    if len(pages) == before:  # nothing applies in this member: still a page
                        pages.append(Page(name, (*path, i), repeat=path, index=i,
                                          count=len(instances)))
        flush()

    def _find_page(self, key: Path, fallback: int) -> int:
        for i, page in enumerate(self.pages):
            if page.key == key:
                return i
        for i, page in enumerate(self.pages):
            if page.where == key:
                return i
        return max(0, min(fallback, len(self.pages) - 1))

    def _find_instance(self, repeat: Path, index: int) -> int:
        """The first page of a repeat's instance (or the repeat's empty page)."""
        for i, page in enumerate(self.pages):
            if page.repeat == repeat and page.index in (index, None):
                return i
        return min(self.index, len(self.pages) - 1)

    @property
    def page(self) -> Page:
        return self.pages[self.index]

    def counts(self) -> tuple[int, int]:
        """(answered, to answer) among the questions that apply now (notes and
        calculations do not count)."""
        answers = self.session.answers
        answered = total = 0
        for page in self.pages:
            for path in page.questions:
                if answerable(self.engine.node(path)):
                    total += 1
                    answered += not is_empty(get(answers, path))
        return answered, total

    @property
    def progress(self) -> float:
        """0..1: the relevant questions answered out of the relevant questions."""
        answered, total = self.counts()
        return answered / total if total else 1.0

    def title(self) -> str:
        page = self.page
        title = self.render(page.title, page.where).strip()
        if page.repeat is not None and page.index is not None:
            return f"{title} {page.index + 1}/{page.count}".strip()
        return title

    # -- moving ---------------------------------------------------------------------------
    def go(self, index: int) -> Page:
        index = max(0, min(index, len(self.pages) - 1))
        if index > self.index:  # moving on: the page left behind counts as passed
            self.passed.update(self.page.questions)
        self.index = index
        self.remember()
        return self.page

    def next(self) -> Page:
        return self.go(self.index + 1)

    @property
    def at_start(self) -> bool:
        return self.index == 0

    def back(self) -> Page:
        return self.go(self.index - 1)

    @property
    def at_end(self) -> bool:
        return self.index == len(self.pages) - 1

    def remember(self) -> None:
        """Keep the current page in the store (a draft reopens here)."""
        self.session.store.set_setting(self.POSITION_KEY + self.session.record_id,
                                       [list(self.page.key), self.index])

    def page_of(self, path: Path) -> int | None:
        """The page showing the question at `path` (or its repeat's page)."""
        path = tuple(path)
        for i, page in enumerate(self.pages):
            if path in page.all_questions or path in page.questions:
                return i
        for i, page in enumerate(self.pages):
            if page.repeat is not None and path[: len(page.where)] == page.where:
                return i
        return None

    def page_of_node(self, path: Path) -> int | None:
        """The first page inside a group, repeat or repeat instance (None: no page)."""
        path = tuple(path)
        for i, page in enumerate(self.pages):
            if page.where[: len(path)] == path or page.repeat == path:
                return i
        return None

    def jump_to(self, path: Path) -> Page:
        found = self.page_of(path)
        if found is not None:
            self.go(found)
        return self.page

    def go_instance(self, repeat: Path, index: int) -> Page:
        """Go to the first page of one repeat instance (a household member)."""
        return self.go(self._find_instance(tuple(repeat), index))

    # -- repeats ---------------------------------------------------------------------------
    def add_instance(self, repeat: Path | None = None) -> Page:
        """Add an instance to `repeat` (default: the current page's) and go to its page."""
        repeat = tuple(repeat if repeat is not None else self.page.repeat or ())
        index, _ = self.session.add_instance(repeat)
        self.session.save()
        self.refresh()
        self.index = self._find_instance(repeat, index)
        self.remember()
        return self.page

    def remove_instance(self) -> Page:
        """Remove the repeat instance this page shows; stay on the same repeat."""
        page = self.page
        if page.repeat is None or page.index is None:
            raise ValueError("this page is not a repeat instance")
        return self.remove_instance_at(page.repeat, page.index)

    def instances(self, repeat: Path) -> list[int]:
        return list(range(len(get(self.session.answers, repeat) or [])))

    def remove_instance_at(self, repeat: Path, index: int) -> Page:
        """Remove one instance of `repeat` from anywhere (the members list). The page
        shown stays the same person; the removed one's page gives way to the member
        before it."""
        repeat = tuple(repeat)
        page = self.page
        shown = page.index if page.repeat == repeat else None
        self.session.remove_instance(repeat, index)
        self.session.save()
        self._forget_instance(repeat, index)
        self.refresh()
        if shown is not None:
            self.index = self._find_instance(
                repeat, shown - 1 if shown > index else max(0, shown - (shown == index)))
        self.remember()
        return self.page

    def _forget_instance(self, repeat: Path, index: int) -> None:
        """After removing instance `index`: its questions leave `passed` and `flagged`,
        and the paths of the instances after it move down one place."""
        n = len(repeat)

        def shifted(paths: set[Path]) -> set[Path]:
            out = set()
            for p in paths:
                if p[:n] != repeat or len(p) <= n or not isinstance(p[n], int):
                    out.add(p)
                elif p[n] > index:
                    out.add((*p[:n], p[n] - 1, *p[n + 1:]))
                elif p[n] < index:
                    out.add(p)
            return out

        self.passed, self.flagged = shifted(self.passed), shifted(self.flagged)

    #: Question types that name a person or thing in a list of instances.
    SUMMARY_TYPES = frozenset({"text", "integer", "decimal", "select_one", "date"})

    def instance_summary(self, repeat: Path, index: int, parts: int = 2) -> str:
        """A member in a few words: the first answered questions of the instance that
        say who it is ("Amina Wanjiru, 34"), in form order; "" when nothing is yet."""
        node = self.engine.node(tuple(repeat))
        found: list[str] = []
        for child in node.walk():
            if len(found) >= parts:
                break
            if not child.is_question or child.type not in self.SUMMARY_TYPES \
                    or not shown(child):
                continue
            path = (*repeat, index, *child.path[len(node.path):])
            value = get(self.session.answers, path)
            if is_empty(value):
                continue
            if child.type == "select_one":
                choice = next((c for c in self.form.choice_list(child.list_name or "")
                               if c.name == value), None)
                value = self.question_choice_label(choice) if choice else value
            found.append(str(int(value)) if isinstance(value, float) and value.is_integer()
                         else str(value))
        return ", ".join(found)

    # -- answering ------------------------------------------------------------------------
    def set_answer(self, path: Path, value: Any) -> set[Path]:
        """Answer and save at once (a dead battery loses nothing); pages follow relevance."""
        changed = self.session.set_answer(path, value)
        changed |= self._fill_counts()
        self.session.save()
        if any(self._structural(p) for p in changed):
            self.refresh()
        return changed

    #: More instances than this are never added by a repeat_count on their own.
    MAX_AUTO_INSTANCES = 60

    def _fill_counts(self) -> set[Path]:
        """Add instances up to a repeat's count (ODK Collect does the same); never
        removes any: fewer people than listed is for the enumerator to sort out."""
        changed: set[Path] = set()
        for node in self.form.repeats:
            if not node.repeat_count or any(
                    self.engine.is_repeat(node.path[:i]) for i in range(1, len(node.path))):
                continue
            path = node.path
            if not self.engine.is_relevant(self.session.answers, path):
                continue
            try:
                wanted = int(self.engine.evaluate(node.repeat_count, self.session.answers,
                                                  path[:-1]) or 0)
            except (TypeError, ValueError):
                continue
            have = len(get(self.session.answers, path) or [])
            for _ in range(have, min(wanted, self.MAX_AUTO_INSTANCES)):
                changed |= self.session.add_instance(path)[1] | {path}
        return changed

    def _structural(self, path: Path) -> bool:
        try:
            node = self.engine.node(path)
        except KeyError:
            return True
        return not node.is_question or bool(node.relevant) or isinstance(path[-1], int)

    def visible(self, path: Path) -> bool:
        return self.engine.is_relevant(self.session.answers, path)

    # -- finishing --------------------------------------------------------------------------
    def missing(self) -> list[tuple[Problem, int | None]]:
        """Every problem blocking finalize, with the page to jump to for each."""
        problems = validate_record(self.form, self.session.answers, language=self.language)
        return [(p, self.page_of(p.path)) for p in problems]

    def ask_to_finish(self) -> list[tuple[Problem, int | None]]:
        """What blocks finalize now; each of those questions shows its message from now
        on (until answered), wherever the enumerator goes."""
        missing = self.missing()
        self.flagged = {problem.path for problem, _ in missing}
        return missing

    def needs_attention(self, path: Path) -> bool:
        """Whether an unanswered required question should say so: the enumerator has
        moved on from its page, or asked to finish while it was missing."""
        path = tuple(path)
        return path in self.passed or path in self.flagged

    # -- texts ------------------------------------------------------------------------------
    def render(self, text: str, path: Path) -> str:
        """`text` with its `${name}` references replaced by the answers, seen from `path`."""
        return render_text(text, self.form, self.session.answers, tuple(path),
                           language=self.language)

    def label_at(self, path: Path) -> str:
        """The label of the question at `path` as shown: references filled in."""
        node = self.engine.node(path)
        return self.render(label(node, self.language, self.form.default_language), path)

    def hint_at(self, path: Path) -> str:
        """The hint of the question at `path` as shown ("" when it has none)."""
        node = self.engine.node(path)
        return self.render(text_in(node.hint, self.language, self.form.default_language), path)

    def texts_change(self, path: Path) -> bool:
        """Whether the label or hint at `path` names questions (so answers change it)."""
        node = self.engine.node(path)
        return any(has_references(t) for t in (*node.label.values(), *node.hint.values()))

    def question_label(self, path: Path) -> str:
        text = self.label_at(path)
        positions = [p for p in path if isinstance(p, int)]
        if positions:
            text += " (" + ", ".join(str(i + 1) for i in positions) + ")"
        return text

    def question_choice_label(self, choice: Any) -> str:
        """A choice's label in the session's language."""
        return text_in(choice.label, self.language, self.form.default_language) or choice.name
