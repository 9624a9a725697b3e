"""A survey session: one record being filled in, with the form's logic, saved per screen.

The screens call this, never the store directly:

    session = SurveySession.start(store, "sdi_household_enumeration")
    changed = session.set_answer(("household", "head_name"), "Amina")   # widgets to refresh
    session.save()                                                      # one op per screen
    problems = session.finalize()                                       # [] when sent

Calculations and relevance run on every answer (`forms.recompute.FormEngine`); answers
of questions that became hidden are dropped before saving, so a record never stores
what the enumerator could not see. Every repeat instance gets a stable `__id` the first
time it is saved (the key sync merges members by).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path as FsPath
from typing import Any

from field_app.core import attachments, records
from field_app.core.errors import StoreError, UnknownRecordError
from field_app.core.store import Store
from forms.answers import Path, get
from forms.recompute import FormEngine, coerce
from forms.spec import METADATA_TYPES, FormSpec, Node
from forms.validation import Problem, validate_paths, validate_record
from sync.fields import INSTANCE_KEY, FieldPathError, parse_path
from sync.ids import new_instance_id


class FormNotOnDeviceError(StoreError):
    """The form (or that version of it) has not been downloaded to this device yet."""


def with_instance_ids(value: Any) -> Any:
    """A copy of `value` where every repeat instance (dict in a list) has an `__id`
    (existing ids are kept); also for code that creates records from plain answers."""
    if isinstance(value, Mapping):
        return {k: with_instance_ids(v) for k, v in value.items()}
    if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
        out = []
        for instance in value:
            copy = with_instance_ids(instance)
            if not copy.get(INSTANCE_KEY):
                copy = {INSTANCE_KEY: new_instance_id(), **copy}
            out.append(copy)
        return out
    return value


def _default_value(node: Node) -> Any:
    """A question's `default` column as an answer: a literal in the question's shape.

    Dynamic defaults (expressions such as `today()`) are left to calculations: ODK
    Collect also evaluates only literal defaults when a record starts.
    """
    text = (node.default or "").strip()
    if not text or "${" in text or "(" in text:
        return None
    return coerce(node, text)


def defaults(nodes: tuple[Node, ...]) -> dict[str, Any]:
    """The default answers of `nodes` and their groups (a repeat's start with no instance)."""
    out: dict[str, Any] = {}
    for node in nodes:
        if node.is_group:
            inner = defaults(node.children)
            if inner:
                out[node.name] = inner
        elif node.is_question and node.type not in METADATA_TYPES:
            value = _default_value(node)
            if value is not None:
                out[node.name] = value
    return out


class SurveySession:
    """An open record. Not thread-safe: one screen drives one session."""

    def __init__(self, store: Store, record_id: str, form: FormSpec,
                 answers: Mapping[str, Any], language: str | None = None) -> None:
        self.store = store
        self.record_id = record_id
        self.form = form
        self.engine = FormEngine.for_form(form)
        self.language = language
        self._answers = self.engine.recompute_all(with_instance_ids(answers))
        self._problems: dict[Path, Problem] = {}
        self._attachments: dict[str, dict[str, Any]] = {}
        self.dirty = False

    # -- opening ----------------------------------------------------------------------
    @staticmethod
    def _form(store: Store, form_id: str, version: str | None) -> FormSpec:
        data = store.form(form_id, version)
        if data is None:
            raise FormNotOnDeviceError(
                f"The form {form_id!r}{f' version {version}' if version else ''} is not on "
                "this tablet yet: sync to download it.")
        return FormSpec.from_dict(data)

    @classmethod
    def start(cls, store: Store, form_id: str, version: str | None = None, *,
              settlement_id: str | None = None, structure_id: str | None = None,
              language: str | None = None,
              prefill: Mapping[str, Any] | None = None) -> SurveySession:
        """A new draft record of the form (the latest version on the device by default).

        Questions start with their `default`; `prefill` answers top-level questions
        (the settlement and structure links chosen before the form opens).
        """
        form = cls._form(store, form_id, version)
        start = defaults(form.children)
        top = {n.name for n in form.children if n.is_question}
        start.update({k: v for k, v in (prefill or {}).items() if k in top and v is not None})
        answers = FormEngine.for_form(form).recompute_all(start)
        record_id = records.create_record(store, form.id, form.version, with_instance_ids(answers),
                                          settlement_id=settlement_id,
                                          structure_id=structure_id)
        return cls(store, record_id, form, answers, language)

    @classmethod
    def open(cls, store: Store, record_id: str, language: str | None = None) -> SurveySession:
        """Reopen a saved record (a draft to continue, or a finalized one to correct)."""
        record = records.get_record(store, record_id)
        if record is None:
            raise UnknownRecordError(f"no record {record_id} on this device")
        form = cls._form(store, record["form_id"], record["form_version"])
        return cls(store, record_id, form, record["answers"], language)

    def _is_calculation(self, field_path: str) -> bool:
        """Whether a field path names a calculate question of this form.

        Two devices editing different inputs of one calculation (two members' ages)
        both write its result: a conflict nobody typed. The recomputed value on merged
        inputs is the right one, so saving settles such conflicts by itself.
        """
        try:
            names = tuple(seg.name for seg in parse_path(field_path))
            return self.form.node(names).type == "calculate"
        except (KeyError, FieldPathError):
            return False

    # -- editing ----------------------------------------------------------------------
    @property
    def answers(self) -> dict[str, Any]:
        return self._answers

    def set_answer(self, path: Path, value: Any, *, now: datetime | None = None) -> set[Path]:
        """Apply one answer (None clears it); returns the paths whose value or relevance
        changed (the widgets to refresh). Problems of the affected questions are updated."""
        answers, changed = self.engine.set_answer(self._answers, tuple(path), value, now=now)
        self._answers = with_instance_ids(answers)
        self.dirty = True
        checked = set(changed) | self.engine.affected_checks(self._answers, changed) | {
            tuple(path)}
        for p in checked:
            self._problems.pop(p, None)
        for problem in validate_paths(self.form, self._answers, checked,
                                      language=self.language, now=now):
            self._problems[problem.path] = problem
        return changed

    def add_instance(self, repeat: Path) -> tuple[int, set[Path]]:
        """Add a repeat instance (with its questions' defaults) at the end of `repeat`;
        returns its index and the changed paths."""
        repeat = tuple(repeat)
        node = self.engine.node(repeat)
        current = get(self._answers, repeat) or []
        instance = {INSTANCE_KEY: new_instance_id(), **defaults(node.children)}
        changed = self.set_answer(repeat, [*current, instance])
        return len(current), changed

    def remove_instance(self, repeat: Path, index: int) -> set[Path]:
        """Remove one instance of `repeat` (the others keep their ids and answers)."""
        repeat = tuple(repeat)
        current = list(get(self._answers, repeat) or [])
        if not 0 <= index < len(current):
            raise IndexError(f"no instance {index + 1} of {'/'.join(map(str, repeat))}")
        del current[index]
        for p in [p for p in self._problems if p[: len(repeat)] == repeat]:
            self._problems.pop(p, None)  # positions shift: recheck what remains
        changed = self.set_answer(repeat, current)
        for problem in validate_paths(self.form, self._answers, self._all_paths(repeat),
                                      language=self.language):
            self._problems[problem.path] = problem
        return changed

    def _all_paths(self, root: Path) -> set[Path]:
        """Concrete paths of every answered value under `root`."""
        out: set[Path] = set()

        def walk(value: Any, path: Path) -> None:
            if isinstance(value, Mapping):
                for k, v in value.items():
                    if k != INSTANCE_KEY:
                        walk(v, (*path, k))
            elif isinstance(value, list) and value and isinstance(value[0], Mapping):
                for i, v in enumerate(value):
                    walk(v, (*path, i))
            else:
                out.add(path)

        walk(get(self._answers, root), root)
        return out

    def problem_at(self, path: Path) -> Problem | None:
        """The problem of the question at `path`, if it has one (for its message)."""
        return self._problems.get(tuple(path))

    @property
    def problems(self) -> list[Problem]:
        """Problems found so far among the questions answered in this session."""
        return list(self._problems.values())

    def attach_file(self, path: Path, file: str | FsPath, media_type: str = "") -> set[Path]:
        """Answer a photo/audio/file question with a file on the tablet.

        The answer is the file name (as in ODK); the file is registered for upload by
        its SHA-256 and the next saved op says which content that name stands for.
        """
        file = FsPath(file)
        sha = attachments.add_attachment(self.store, file, self.record_id)
        self._attachments[file.name] = {"sha256": sha, "size": file.stat().st_size,
                                        "type": media_type}
        return self.set_answer(path, file.name)

    def save(self) -> str | None:
        """Save the screen: only the answers that changed travel, as one op."""
        meta = {"attachments": self._attachments} if self._attachments else None
        op_id = records.update_answers(self.store, self.record_id, self._answers, meta,
                                       settle=self._is_calculation)
        self._attachments = {}
        self.dirty = False
        return op_id

    def finalize(self, *, now: datetime | None = None) -> list[Problem]:
        """Check the whole record; if it has no problems, save it and mark it ready to send.

        Returns the problems (empty when the record was finalized).
        """
        self._answers = with_instance_ids(self.engine.recompute_all(self._answers, now=now))
        problems = validate_record(self.form, self._answers, language=self.language, now=now)
        if problems:
            return problems
        with self.store.transaction():
            self.save()
            records.finalize(self.store, self.record_id)
        return []
