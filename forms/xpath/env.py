"""The evaluation environment: the record, the form, where we are and what time it is."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from forms.xpath import tree
from forms.xpath.values import XNode

if TYPE_CHECKING:
    from forms.spec import FormSpec
    from forms.xpath.tree import FormIndex, Steps


_new = object.__new__


class Env:
    """One evaluation. Predicates evaluate in copies with another node and position."""

    __slots__ = (
        "_current",
        "answers",
        "context",
        "form",
        "index",
        "language",
        "names",
        "node",
        "now",
        "position",
        "root",
        "size",
    )

    def __init__(
        self,
        answers: Any,
        context: tuple[Any, ...],
        form: FormSpec | None,
        now: datetime | None,
        language: str | None,
    ) -> None:
        self.answers = answers
        self.root = XNode((), answers, answers)
        self.context = context
        self._current: XNode | None = None
        self.node: XNode | None = None  # `.`; None until asked for: it is the current node
        self.form = form
        self.index: FormIndex | None = tree.form_index(form) if form is not None else None
        self.now = now
        self.language = language
        self.position = 1
        self.size = 1
        self.names: dict[str, Steps] | None = None

    @property
    def current(self) -> XNode:
        """The question the expression belongs to (`current()`), even inside predicates."""
        node = self._current
        if node is None:
            node = self._current = XNode(
                self.context, tree.value_at(self.answers, self.context), self.answers
            )
        return node

    def here(self) -> XNode:
        """The context node `.`: the question, or the node a predicate is testing."""
        node = self.node
        if node is None:
            node = self.node = self.current
        return node

    def at(self, node: XNode, position: int, size: int) -> Env:
        """A copy for evaluating a predicate on `node` (spelled out: this is a hot path)."""
        other = _new(Env)
        other.answers = self.answers
        other.root = self.root
        other.context = self.context
        other._current = self._current
        other.form = self.form
        other.index = self.index
        other.language = self.language
        other.names = self.names
        other.now = self.now
        other.node = node
        other.position = position
        other.size = size
        return other

    def unbound(self) -> Env:
        """A copy whose references are not narrowed to the context's repeat instances."""
        other = self.at(self.here(), self.position, self.size)
        other.context = ()
        return other

    def steps_for(self, name: str) -> Steps:
        if self.index is not None:
            return self.index.steps(name)
        names = self.names
        if names is None:
            names = self.names = {}
        steps = names.get(name)
        if steps is None:
            steps = names[name] = tree.find_name(self.answers, name, self.context)
        return steps

    def repeat_of(self, node: XNode, name: str) -> bool | None:
        """Whether child `name` of `node` is a repeat: from the form if we have one."""
        if self.index is None or node.root is not self.answers:
            return None
        structural = (*tuple(s for s in node.path if type(s) is str), name)
        return structural in self.index.repeats

    def may_have(self, node: XNode, name: str) -> bool:
        """Whether a missing child `name` of `node` is an unanswered question (not nothing)."""
        if self.index is None or node.root is not self.answers:
            return True
        structural = (*(s for s in node.path if type(s) is str), name)
        return structural in self.index.paths

    def clock(self) -> datetime:
        if self.now is None:
            self.now = datetime.now().astimezone()
        return self.now
