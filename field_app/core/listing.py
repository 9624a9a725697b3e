"""What the home and records screens list: settlements, counts per form, records.

A record is a *draft* until finalized, then *waiting* until the server acked all its
changes, then *sent*. Records with an open conflict or a leader's review comment are
flagged so the enumerator sees them first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from field_app.core.store import Store
from forms.spec import FormSpec

SETTLEMENT_FORM = "sdi_settlement_profile"
STRUCTURE_FORM = "sdi_structure_numbering"
HOUSEHOLD_FORM = "sdi_household_enumeration"

DRAFT, WAITING, SENT = "draft", "waiting", "sent"


@dataclass(frozen=True)
class RecordRow:
    record_id: str
    form_id: str
    title: str
    status: str  # draft / waiting / sent
    updated_at: str
    settlement_id: str | None = None
    structure_id: str | None = None
    conflicts: tuple[str, ...] = ()
    review_state: str | None = None
    review_comment: str | None = None

    @property
    def flagged(self) -> bool:
        return bool(self.conflicts) or self.review_state in ("has_issues", "rejected")


@dataclass(frozen=True)
class FormCounts:
    form_id: str
    title: str
    drafts: int = 0
    waiting: int = 0
    sent: int = 0


@dataclass(frozen=True)
class HomeSummary:
    settlements: list[tuple[str, str]] = field(default_factory=list)  # (record_id, name)
    forms: list[FormCounts] = field(default_factory=list)
    last_sync: str | None = None
    waiting_changes: int = 0


def latest_forms(store: Store) -> dict[str, FormSpec]:
    """The newest version of every form on the device."""
    out: dict[str, FormSpec] = {}
    rows = store.query("SELECT form_id, version, spec FROM forms ORDER BY form_id, received_at")
    for row in rows:
        out[row["form_id"]] = FormSpec.from_dict(json.loads(row["spec"]))
    return out


def _has_table(store: Store, name: str) -> bool:
    return bool(store.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                            [name]))


def _title(answers: dict[str, Any], form_id: str) -> str:
    """A short name a person recognises (no form logic: the list must be quick)."""
    if form_id == SETTLEMENT_FORM:
        return _settlement_name(answers) or "?"
    if form_id == STRUCTURE_FORM:
        return " ".join(str(answers.get(k) or "") for k in ("structure_number",)).strip()
    if form_id == HOUSEHOLD_FORM:
        head = (answers.get("household") or {}).get("head_name") or ""
        number = answers.get("structure_number") or ""
        hh = answers.get("household_in_structure")
        return f"{number}/{hh} {head}".strip(" /") if number else head
    for value in answers.values():
        if isinstance(value, str) and value:
            return value
    return ""


def _settlement_name(answers: dict[str, Any]) -> str:
    stack: list[Any] = [answers]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            for key, text in value.items():  # SDI: section_B/B7_Settlement_Name_Community
                low = key.lower()
                if isinstance(text, str) and text and (
                        low in ("settlement_name", "name")
                        or low.endswith("settlement_name_community")):
                    return text
            stack.extend(v for v in value.values() if isinstance(v, dict))
    return ""


def list_records(store: Store, *, form_id: str | None = None, search: str = "",
                 status: str | None = None, settlement_id: str | None = None,
                 record_id: str | None = None) -> list[RecordRow]:
    """Records newest first, filtered by form, status, settlement and a search text."""
    where, params = ["deleted = 0"], []
    if record_id:
        where.append("record_id = ?")
        params.append(record_id)
    if form_id:
        where.append("form_id = ?")
        params.append(form_id)
    if settlement_id:
        where.append("(settlement_id = ? OR record_id = ?)")
        params += [settlement_id, settlement_id]
    rows = store.query(f"SELECT * FROM records WHERE {' AND '.join(where)} "
                       "ORDER BY updated_at DESC", params)
    pending = {r["record_id"] for r in store.query(
        "SELECT DISTINCT record_id FROM outbox WHERE sent_at IS NULL")}
    conflicts: dict[str, list[str]] = {}
    for r in store.query("SELECT record_id, path FROM fields WHERE conflict = 1 ORDER BY path"):
        conflicts.setdefault(r["record_id"], []).append(r["path"])
    reviews: dict[str, dict[str, Any]] = {}
    if _has_table(store, "review_notes"):
        reviews = {r["record_id"]: r for r in store.query("SELECT * FROM review_notes")}
    needle = search.strip().lower()
    out = []
    for row in rows:
        answers = json.loads(row["answers"])
        if row["status"] == "draft":
            state = DRAFT
        else:
            state = WAITING if row["record_id"] in pending else SENT
        if status and state != status:
            continue
        title = _title(answers, row["form_id"])
        if needle and needle not in title.lower() and needle not in json.dumps(
                answers, ensure_ascii=False).lower():
            continue
        review = reviews.get(row["record_id"], {})
        out.append(RecordRow(row["record_id"], row["form_id"], title or row["record_id"][:8],
                             state, row["updated_at"], row["settlement_id"],
                             row["structure_id"], tuple(conflicts.get(row["record_id"], ())),
                             review.get("state"), review.get("comment")))
    return out


def settlements(store: Store) -> list[tuple[str, str]]:
    """(record id, name) of the settlements this tablet knows (its assignments)."""
    return sorted(((r.record_id, r.title) for r in list_records(store, form_id=SETTLEMENT_FORM)),
                  key=lambda x: x[1].lower())


def structures(store: Store, settlement_id: str | None) -> list[tuple[str, str]]:
    """(record id, number) of the structures numbered in a settlement."""
    rows = list_records(store, form_id=STRUCTURE_FORM)
    return sorted(((r.record_id, r.title) for r in rows
                   if settlement_id is None or r.settlement_id == settlement_id
                   or _structure_settlement(store, r.record_id) == settlement_id),
                  key=lambda x: x[1])


def _structure_settlement(store: Store, record_id: str) -> str | None:
    rows = store.query("SELECT answers FROM records WHERE record_id = ?", [record_id])
    return json.loads(rows[0]["answers"]).get("settlement_id") if rows else None


def home_summary(store: Store) -> HomeSummary:
    forms = latest_forms(store)
    counts: dict[str, dict[str, int]] = {f: {DRAFT: 0, WAITING: 0, SENT: 0} for f in forms}
    for row in list_records(store):
        counts.setdefault(row.form_id, {DRAFT: 0, WAITING: 0, SENT: 0})[row.status] += 1
    waiting = store.query("SELECT COUNT(*) AS n FROM outbox WHERE sent_at IS NULL AND ready = 1")
    return HomeSummary(
        settlements=settlements(store),
        forms=[FormCounts(f, forms[f].title if f in forms else f, c[DRAFT], c[WAITING], c[SENT])
               for f, c in sorted(counts.items())],
        last_sync=store.get_setting("app:last_sync"),
        waiting_changes=waiting[0]["n"],
    )


def link_answers(store: Store, settlement_id: str | None, structure_id: str | None
                 ) -> dict[str, Any]:
    """Answers a new record starts with from the settlement and structure picked:
    the links themselves and the structure's painted number."""
    out: dict[str, Any] = {"settlement_id": settlement_id, "structure_id": structure_id}
    if structure_id:
        rows = store.query("SELECT answers FROM records WHERE record_id = ?", [structure_id])
        if rows:
            out["structure_number"] = json.loads(rows[0]["answers"]).get("structure_number")
    return out
