"""Corrections made on the server go through the form engine, as an edit on a tablet does.

A leader's correction (web page or `PATCH /api/records/<id>`) and a conflict resolution
write answers to a record. Before any op is made, `checked_changes`:

1. reads the record as the tablet opens it (`FormEngine.recompute_all`),
2. refuses a path that is no question of the record's form version, a calculation or
   metadata (the form computes those), an answer of the wrong type, an unknown choice,
   text over the length limit, and an answer to a question that does not apply
   (its relevance, or its group's, is false),
3. applies the changes with `FormEngine.set_answer` and recomputes the whole record
   (calculations such as `household_size` and the record's title `meta/instanceName`,
   hidden answers removed), as the tablet does before it sends a record,
4. validates the result (`forms.validation`: required, constraints, repeat counts...)
   and refuses if the change brings a problem the record did not have, or leaves one
   at a changed question, so an old problem elsewhere does not block a fix,
5. returns every field that changed: the corrected answers, the recomputed
   calculations and the answers that no longer apply (set to null).

Refusals (`record.answer_invalid`, 422) name each question by its label in the
reader's language, the rule (type, choice, length, relevance, required, constraint with
its expression) and the form's own message; `details.problems` lists them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask_babel import gettext as _

from forms.answer_types import type_problem
from forms.answers import Path, get, is_empty, same
from forms.recompute import FormEngine
from forms.record_messages import builtin
from forms.spec import METADATA_TYPES, NO_ANSWER_TYPES, SELECT_TYPES, FormSpec, Node, text_in
from forms.validation import Problem, validate_record
from server.errors import ApiError
from server.services.forms import form_spec
from sync.fields import (
    DELETED,
    INSTANCE_KEY,
    FieldPathError,
    flatten,
    is_position_path,
    parse_path,
)

#: Questions the form fills in itself: a correction cannot set them.
_COMPUTED = frozenset({"calculate"}) | METADATA_TYPES | NO_ANSWER_TYPES


@dataclass(frozen=True)
class Refusal:
    """One reason a correction is refused."""

    path: str  # the field path as given
    question: str  # the question's label in the reader's language (or its name)
    code: str  # unknown_question, computed, type, unknown_choice, too_long, not_relevant,
    #            required, constraint, repeat_count
    rule: str  # the rule in words, with its expression where it has one
    message: str  # the form's message, or a built-in one, in the reader's language

    def sentence(self) -> str:
        return f"{self.question}: {self.message} ({self.rule})"

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "question": self.question, "code": self.code,
                "rule": self.rule, "message": self.message}


class CorrectionRefused(ApiError):
    """A correction the form does not allow; `refusals` says why, question by question."""

    def __init__(self, refusals: list[Refusal]) -> None:
        self.refusals = refusals
        super().__init__("record.answer_invalid",
                         " ".join(r.sentence() for r in refusals),
                         details={"problems": [r.to_dict() for r in refusals]})


def refusal_lines(err: ApiError) -> list[str]:
    """What to tell a person about a refused correction: a sentence per problem."""
    if isinstance(err, CorrectionRefused):
        return [r.sentence() for r in err.refusals]
    return [err.message]


def question_label(spec: FormSpec, node: Node, language: str | None) -> str:
    return text_in(node.label, language, spec.default_language) or node.name


def _rule(code: str, node: Node | None) -> str:
    """The rule behind a problem, in words (the request's language)."""
    if code == "constraint" and node is not None and node.constraint:
        return _("the form's rule: %(rule)s", rule=node.constraint)
    if code == "required":
        return _("an answer is required")
    if code == "not_relevant":
        return _("the question does not apply here")
    if code in ("type", "unknown_choice"):
        kind = node.type if node is not None else ""
        return _("a %(type)s question", type=kind)
    if code == "too_long":
        return _("the length limit")
    if code == "repeat_count":
        return _("the number of entries: %(rule)s",
                 rule=node.repeat_count if node is not None else "")
    if code == "computed":
        return _("calculated by the form")
    return _("not a question of this form version")


@dataclass
class _Context:
    spec: FormSpec
    engine: FormEngine
    language: str | None
    now: datetime

    def refusal(self, field: str, node: Node | None, code: str, message: str) -> Refusal:
        label = question_label(self.spec, node, self.language) if node is not None else field
        return Refusal(field, label, code, _rule(code, node), message)

    def builtin(self, key: str, **values: object) -> str:
        return builtin(key, self.language, self.spec.default_language, **values)


def engine_path(answers: Mapping[str, Any], field: str) -> Path | None:
    """`household/members[k3f0a1]/member_age` -> ("household", "members", 0, "member_age")
    in `answers` (None when the path is malformed or the instance is not there)."""
    try:
        segments = parse_path(field)
    except FieldPathError:
        return None
    path: list[str | int] = []
    for segment in segments:
        if segment.name == DELETED:
            return None
        path.append(segment.name)
        if segment.instance is not None:
            instances = get(answers, tuple(path))
            if not isinstance(instances, list):
                return None
            found = next((i for i, inst in enumerate(instances) if isinstance(inst, Mapping)
                          and inst.get(INSTANCE_KEY) == segment.instance), None)
            if found is None:
                return None
            path.append(found)
    return tuple(path)


def _irrelevance(ctx: _Context, answers: Mapping[str, Any], path: Path) -> str | None:
    """The relevance expression that hides `path` (its own or a group's), if one does."""
    for end in range(1, len(path) + 1):
        if isinstance(path[end - 1], int):
            continue
        prefix = path[:end]
        node = ctx.engine.node(prefix)
        if node.relevant and not ctx.engine.own_relevant(node, answers, prefix, ctx.now):
            return node.relevant
    return None


def _check_one(ctx: _Context, answers: dict[str, Any], field: str, value: Any
               ) -> tuple[dict[str, Any], Path | None, Refusal | None]:
    """Apply one change to `answers`, or say why it cannot be."""
    path = engine_path(answers, field)
    node = None
    if path is not None:
        try:
            node = ctx.engine.node(path)
        except KeyError:
            node = None
    if path is None or node is None or not node.is_question:
        return answers, None, ctx.refusal(field, node, "unknown_question",
                                          _("No such question in this record."))
    if node.type in _COMPUTED or node.calculation:
        return answers, None, ctx.refusal(field, node, "computed",
                                          _("The form computes this answer itself."))
    if not is_empty(value):
        choices = None
        if node.type in SELECT_TYPES and node.list_name in ctx.spec.choices:
            choices = {c.name for c in ctx.engine.visible_choices(answers, path, now=ctx.now)}
        mismatch = type_problem(node, value, choices)
        if mismatch is not None:
            return answers, None, ctx.refusal(field, node, mismatch.code,
                                              ctx.builtin(mismatch.key, **mismatch.values))
        hidden_by = _irrelevance(ctx, answers, path)
        if hidden_by is not None:
            return answers, None, Refusal(
                field, question_label(ctx.spec, node, ctx.language), "not_relevant",
                _("the question applies only when: %(rule)s", rule=hidden_by),
                ctx.builtin("not_relevant"))
    new, _changed = ctx.engine.set_answer(answers, path, None if is_empty(value) else value,
                                          now=ctx.now)
    return new, path, None


def is_computed(record: Any, field: str) -> bool:
    """Whether `field` of `record` is a calculation or metadata of its form version."""
    spec = form_spec(record.form_id, record.form_version)
    if spec is None:
        return False
    try:
        node = spec.node(tuple(s.name for s in parse_path(field)))
    except (FieldPathError, KeyError):
        return False
    return node.type in _COMPUTED or bool(node.calculation)


def _key(problem: Problem) -> tuple[tuple[str | int, ...], str]:
    return problem.path, problem.code


def checked_changes(spec: FormSpec | None, answers: Mapping[str, Any],
                    fields: Mapping[str, Any], changes: Mapping[str, Any], *,
                    language: str | None = None, now: datetime | None = None
                    ) -> dict[str, Any]:
    """The fields an op must write so that `changes` (field path -> value) are made the
    way the form allows, recomputed calculations included; CorrectionRefused otherwise.

    `answers`/`fields`: the record as stored (nested and flat). `language`: the form
    language for labels and messages (None: the form's default).
    """
    if spec is None:
        raise ApiError("record.form_unknown",
                       _("The form version of this record is not published on this server, "
                         "so a correction cannot be checked against it."))
    now = now or datetime.now(UTC)
    ctx = _Context(spec, FormEngine.for_form(spec), language, now)
    before = ctx.engine.recompute_all(answers, now=now)
    known = {_key(p) for p in validate_record(spec, before, language=language, now=now)}
    current, refusals, touched = before, [], set()
    for field, value in changes.items():
        current, path, refusal = _check_one(ctx, current, field, value)
        if refusal is not None:
            refusals.append(refusal)
        elif path is not None:
            touched.add(path)
    if refusals:
        raise CorrectionRefused(refusals)
    after = ctx.engine.recompute_all(current, now=now)
    for problem in validate_record(spec, after, language=language, now=now):
        if _key(problem) in known and problem.path not in touched:
            continue
        node = ctx.engine.node(problem.path) if problem.path else None
        field = _field_path(after, problem.path)
        refusals.append(ctx.refusal(field, node, problem.code, problem.message))
    if refusals:
        raise CorrectionRefused(refusals)
    return _changed_fields(ctx, fields, after)


def _field_path(answers: Mapping[str, Any], path: Path) -> str:
    """The field path of an engine path (instance ids in brackets)."""
    out: list[str] = []
    for i, step in enumerate(path):
        if isinstance(step, int):
            instance = get(answers, path[: i + 1])
            key = instance.get(INSTANCE_KEY, step) if isinstance(instance, Mapping) else step
            out[-1] += f"[{key}]"
        else:
            out.append(step)
    return "/".join(out)


def _is_form_answer(ctx: _Context, field: str) -> bool:
    try:
        names = tuple(s.name for s in parse_path(field))
        return ctx.engine.node(names).is_question
    except (FieldPathError, KeyError):
        return False


def _changed_fields(ctx: _Context, old: Mapping[str, Any], answers: Mapping[str, Any]
                    ) -> dict[str, Any]:
    new = flatten(answers)
    out = {path: value for path, value in new.items()
           if not is_position_path(path) and not same(old.get(path), value)}
    for path, value in old.items():
        if path == DELETED or is_position_path(path) or path in new or value is None:
            continue
        if _is_form_answer(ctx, path):
            out[path] = None  # no longer applies, as the tablet removes it
    return out
