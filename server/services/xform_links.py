"""Links a form filled outside Hesabu cannot make: a Hesabu tablet fills a structure's
`settlement_id` and a household's `structure_id` from the record it was opened from;
ODK Collect, Enketo and an old Kobo or Ona export have only what people typed, the
settlement's name and the structure's painted number. So an XForm instance of an SDI
form with the id empty is linked here by that name or number, inside the federation of
the person who sent it (any federation for an admin), when exactly one record matches;
otherwise it stays unlinked, as a tablet's record pushed before its parent does, and a
leader links it by a correction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from server.extensions import db
from server.models import Record, RecordScope, Settlement
from server.models.types import json_of
from server.services.scoping import HOUSEHOLD_FORM, STRUCTURE_FORM

#: form id -> (the id field it links by, the text field people typed).
LINKS = {STRUCTURE_FORM: ("settlement_id", "settlement_name"),
         HOUSEHOLD_FORM: ("structure_id", "structure_number")}
_AMBIGUOUS = ""


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


class Linker:
    """Finds records by name or painted number for one federation (None: all). Each
    kind is read once, on first use, so linking a whole export costs two queries."""

    def __init__(self, federation_id: str | None) -> None:
        self.federation_id = federation_id
        self._found: dict[str, dict[str, str]] = {}

    def _index(self, form_id: str) -> dict[str, str]:
        """Typed text (case-folded) -> record id, "" where two records share it."""
        if form_id in self._found:
            return self._found[form_id]
        if form_id == STRUCTURE_FORM:
            query = select(Settlement.name, Settlement.id)
            if self.federation_id is not None:
                query = query.where(Settlement.federation_id == self.federation_id)
        else:
            query = select(json_of(Record.fields)["structure_number"].as_string(),
                           Record.record_id).where(Record.form_id == STRUCTURE_FORM,
                                                   Record.deleted.is_(False))
            if self.federation_id is not None:
                query = query.join(RecordScope, RecordScope.record_id == Record.record_id).join(
                    Settlement, Settlement.id == RecordScope.settlement_id).where(
                    Settlement.federation_id == self.federation_id)
        index: dict[str, str] = {}
        for text, record_id in db.session.execute(query):
            key = _text(text)
            if key is not None:  # folded in Python: SQLite's lower() knows only ASCII
                key = key.casefold()
                index[key] = _AMBIGUOUS if index.get(key, record_id) != record_id else record_id
        self._found[form_id] = index
        return index

    def fill(self, form_id: str, answers: dict[str, Any],
             kept: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """`answers` with the link filled where it is empty: from `kept` (the fields of
        the instance an edit replaces, so an edit never unlinks) or by name or number."""
        link = LINKS.get(form_id)
        if link is None or _text(answers.get(link[0])):
            return answers
        id_field, text_field = link
        found = _text((kept or {}).get(id_field))
        typed = _text(answers.get(text_field))
        if found is None and typed is not None:
            found = self._index(form_id).get(typed.casefold()) or None
        return answers if found is None else {**answers, id_field: found}
