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

from sqlalchemy import Select, func, select

from server.extensions import db
from server.models import Record, RecordScope, Settlement
from server.services.scoping import HOUSEHOLD_FORM, STRUCTURE_FORM

#: form id -> (the id field it links by, the text field people typed).
LINKS = {STRUCTURE_FORM: ("settlement_id", "settlement_name"),
         HOUSEHOLD_FORM: ("structure_id", "structure_number")}


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _one(query: Select[Any]) -> str | None:
    found = db.session.execute(query.limit(2)).scalars().all()
    return found[0] if len(found) == 1 else None


def _settlement(name: str, federation_id: str | None) -> str | None:
    query = select(Settlement.id).where(func.lower(Settlement.name) == name.lower())
    if federation_id is not None:
        query = query.where(Settlement.federation_id == federation_id)
    return _one(query)


def _structure(number: str, federation_id: str | None) -> str | None:
    query = select(Record.record_id).where(
        Record.form_id == STRUCTURE_FORM, Record.deleted.is_(False),
        func.upper(Record.fields["structure_number"].as_string()) == number.upper())
    if federation_id is not None:
        query = query.join(RecordScope, RecordScope.record_id == Record.record_id).join(
            Settlement, Settlement.id == RecordScope.settlement_id).where(
            Settlement.federation_id == federation_id)
    return _one(query)


def fill_link(form_id: str, answers: dict[str, Any], federation_id: str | None,
              kept: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """`answers` with the link filled where it is empty: from `kept` (the fields of the
    instance an edit replaces, so an edit never unlinks) or by name or number."""
    link = LINKS.get(form_id)
    if link is None or _text(answers.get(link[0])):
        return answers
    id_field, text_field = link
    found = _text((kept or {}).get(id_field))
    typed = _text(answers.get(text_field))
    if found is None and typed is not None:
        finder = _settlement if form_id == STRUCTURE_FORM else _structure
        found = finder(typed, federation_id)
    return answers if found is None else {**answers, id_field: found}
