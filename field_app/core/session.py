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

from field_app.core import attachments
from field_app.core.errors import StoreError, UnknownRecordError
from field_app.core.store import Store
from forms.answers import Path
from forms.recompute import FormEngine
from forms.spec import FormSpec
from forms.validation import Problem, validate_paths, validate_record
from sync.fields import INSTANCE_KEY, FieldPathError, parse_path
from sync.ids import new_instance_id


class FormNotOnDeviceError(StoreError):
    """The form (or that version of it) has not been downloaded to this device yet."""


def _with_instance_ids(value: Any) -> Any:
    """A copy of `value` where every repeat instance (dict in a list) has an `__id`."""
    if isinstance(value, Mapping):
        return {k: _with_instance_ids(v) for k, v in value.items()}
    if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
        out = []
        for instance in value:
            copy = _with_instance_ids(instance)
            if not copy.get(INSTANCE_KEY):
                copy = {INSTANCE_KEY: new_instance_id(), **copy}
            out.append(copy)
        return out
    return value


class SurveySession:
    """An open record. Not thread-safe: one screen drives one session."""

    def __init__(self, store: Store, record_id: str, form: FormSpec,
                 answers: Mapping[str, Any], language: str | None = None) -> None:
        self.store = store
        self.record_id = record_id
        self.form = form
        self.engine = FormEngine.for_form(form)
        self.language = language
        self._answers = self.engine.recompute_all(_with_instance_ids(answers))
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
              language: str | None = None) -> SurveySession:
        """A new draft record of the form (the latest version on the device by default)."""
        form = cls._form(store, form_id, version)
        answers = FormEngine.for_form(form).recompute_all({})
        record_id = store.create_record(form.id, form.version, _with_instance_ids(answers),
                                        settlement_id=settlement_id,
                                        structure_id=structure_id)
        return cls(store, record_id, form, answers, language)

    @classmethod
    def open(cls, store: Store, record_id: str, language: str | None = None) -> SurveySession:
        """Reopen a saved record (a draft to continue, or a finalized one to correct)."""
        record = store.record(record_id)
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
        self._answers = _with_instance_ids(answers)
        self.dirty = True
        checked = set(changed) | self.engine.affected_checks(self._answers, changed) | {
            tuple(path)}
        for p in checked:
            self._problems.pop(p, None)
        for problem in validate_paths(self.form, self._answers, checked,
                                      language=self.language, now=now):
            self._problems[problem.path] = problem
        return changed

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
        op_id = self.store.update_answers(self.record_id, self._answers, meta,
                                          settle=self._is_calculation)
        self._attachments = {}
        self.dirty = False
        return op_id

    def finalize(self, *, now: datetime | None = None) -> list[Problem]:
        """Check the whole record; if it has no problems, save it and mark it ready to send.

        Returns the problems (empty when the record was finalized).
        """
        self._answers = _with_instance_ids(self.engine.recompute_all(self._answers, now=now))
        problems = validate_record(self.form, self._answers, language=self.language, now=now)
        if problems:
            return problems
        with self.store.transaction():
            self.save()
            self.store.finalize(self.record_id)
        return []
