"""What the home, records and start screens list: settlements, structures, counts, records.

A record is a *draft* until finalized, then *waiting* until the server acked all its
changes, then *sent*. Records with an open conflict or a leader's review comment are
flagged so the enumerator sees them first; *returned* are those a leader sent back
(review state has_issues or rejected).

*My work* are the records this tablet wrote (it holds ops of theirs in its outbox);
the others came from the server for reference (the settlements and structures a
household links to, other enumerators' households) and are listed apart. Dates are
when the record was made and last changed by whoever wrote it, not when it was synced.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from field_app.core.store import Store
from forms.spec import FormSpec

SETTLEMENT_FORM = "sdi_settlement_profile"
STRUCTURE_FORM = "sdi_structure_numbering"
HOUSEHOLD_FORM = "sdi_household_enumeration"

DRAFT, WAITING, SENT = "draft", "waiting", "sent"
#: A filter: records of mine a leader sent back with a comment.
RETURNED = "returned"
RETURNED_STATES = frozenset({"has_issues", "rejected"})
#: Orders of the records list: last changed first, last made first, by name/number.
SORTS = ("changed", "made", "name")


@dataclass(frozen=True)
class RecordRow:
    record_id: str
    form_id: str
    title: str
    status: str  # draft / waiting / sent
    updated_at: str  # when this tablet last stored it (a sync, for others' records)
    settlement_id: str | None = None
    structure_id: str | None = None
    conflicts: tuple[str, ...] = ()
    review_state: str | None = None
    review_comment: str | None = None
    #: Written on this tablet (my work), else received for reference.
    mine: bool = True
    made_at: str = ""
    changed_at: str = ""

    @property
    def flagged(self) -> bool:
        return bool(self.conflicts) or self.review_state in RETURNED_STATES

    @property
    def returned(self) -> bool:
        return self.review_state in RETURNED_STATES


@dataclass(frozen=True)
class FormCounts:
    form_id: str
    title: str
    drafts: int = 0
    waiting: int = 0
    sent: int = 0
    returned: int = 0
    #: Records of this form received from the server (others' work).
    reference: int = 0


@dataclass(frozen=True)
class HomeSummary:
    settlements: list[tuple[str, str]] = field(default_factory=list)  # (record_id, name)
    forms: list[FormCounts] = field(default_factory=list)
    last_sync: str | None = None
    waiting_changes: int = 0


def natural_key(text: str) -> tuple:
    """Sorts painted numbers as people do: MSH-2 before MSH-10."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part)
                 for part in re.split(r"(\d+)", text.lower()) if part)


def latest_forms(store: Store) -> dict[str, FormSpec]:
    """The newest version of every form on the device."""
    out: dict[str, FormSpec] = {}
    rows = store.query("SELECT form_id, version, spec FROM forms ORDER BY form_id, received_at")
    for row in rows:
        out[row["form_id"]] = FormSpec.from_dict(json.loads(row["spec"]))
    return out


#: Top-level questions a record's links answer (picked on the start screen).
LINKS = ("settlement_id", "structure_id")


def link_questions(spec: FormSpec) -> frozenset[str]:
    """Which links a form asks for: a household its structure, a structure its
    settlement; a form without them starts with nothing to pick."""
    return frozenset(n.name for n in spec.children if n.is_question and n.name in LINKS)


def form_title(spec: FormSpec, language: str | None) -> str:
    """The form's title in an app language ("sw"), as the form translates it."""
    return spec.title_in(language)


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
        number = str(answers.get("structure_number") or "")
        hh = answers.get("household_in_structure")
        if hh not in (None, ""):
            number = f"{number}/{hh}" if number else ""
        return f"{number} {head}".strip()
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
                 record_id: str | None = None, mine: bool | None = None,
                 sort: str = "changed") -> list[RecordRow]:
    """Records last changed first (or `sort` "made" / "name"), filtered by form, status
    (DRAFT, WAITING, SENT or RETURNED), settlement, a search text, and `mine` (True: my
    work, False: received for reference, None: both)."""
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {SORTS}, not {sort!r}")
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
                       "ORDER BY coalesce(changed_at, updated_at) DESC", params)
    pending: set[str] = set()
    written: set[str] = set()
    for r in store.query("SELECT record_id, min(sent_at IS NOT NULL) AS all_sent "
                         "FROM outbox GROUP BY record_id"):
        written.add(r["record_id"])
        if not r["all_sent"]:
            pending.add(r["record_id"])
    conflicts: dict[str, list[str]] = {}
    for r in store.query("SELECT record_id, path FROM fields WHERE conflict = 1 ORDER BY path"):
        conflicts.setdefault(r["record_id"], []).append(r["path"])
    reviews: dict[str, dict[str, Any]] = {}
    if _has_table(store, "review_notes"):
        reviews = {r["record_id"]: {**r, "comment": store.unseal(r["comment"])}
                   for r in store.query("SELECT * FROM review_notes")}
    needle = search.strip().lower()
    out = []
    for row in rows:
        is_mine = row["record_id"] in written
        if mine is not None and is_mine != mine:
            continue
        review = reviews.get(row["record_id"], {})
        if row["status"] == "draft":
            state = DRAFT
        else:
            state = WAITING if row["record_id"] in pending else SENT
        if status == RETURNED:
            if review.get("state") not in RETURNED_STATES:
                continue
        elif status and state != status:
            continue
        answers = store.load_json(row["answers"])
        title = _title(answers, row["form_id"])
        if needle and needle not in title.lower() and needle not in json.dumps(
                answers, ensure_ascii=False).lower():
            continue
        out.append(RecordRow(row["record_id"], row["form_id"], title or row["record_id"][:8],
                             state, row["updated_at"], row["settlement_id"],
                             row["structure_id"], tuple(conflicts.get(row["record_id"], ())),
                             review.get("state"), review.get("comment"), is_mine,
                             row.get("made_at") or row["created_at"],
                             row.get("changed_at") or row["updated_at"]))
    if sort == "made":
        out.sort(key=lambda r: r.made_at, reverse=True)
    elif sort == "name":
        out.sort(key=lambda r: natural_key(r.title))
    return out


def settlements(store: Store) -> list[tuple[str, str]]:
    """(record id, name) of the settlements this tablet knows (its assignments)."""
    return sorted(((r.record_id, r.title) for r in list_records(store, form_id=SETTLEMENT_FORM)),
                  key=lambda x: x[1].lower())


def structures(store: Store, settlement_id: str | None) -> list[tuple[str, str]]:
    """(record id, number) of the structures numbered in a settlement, by number."""
    out = []
    # The answers are sealed on an encrypted store: read in memory, not with json_extract.
    for r in store.query("SELECT record_id, settlement_id, answers FROM records "
                         "WHERE form_id = ? AND deleted = 0", [STRUCTURE_FORM]):
        answers = store.load_json(r["answers"])
        if settlement_id is None or settlement_id in (r["settlement_id"],
                                                      answers.get("settlement_id")):
            number = answers.get("structure_number")
            out.append((r["record_id"], str(number or "") or r["record_id"][:8]))
    return sorted(out, key=lambda x: natural_key(x[1]))


@dataclass(frozen=True)
class StructureChoices:
    """What the start screen offers for a household's structure."""

    #: The structures this tablet enumerated households in lately, most recent first.
    recent: list[tuple[str, str]]
    #: The structures matching the search (all when it is empty), by number, at most
    #: `limit` of them.
    found: list[tuple[str, str]]
    #: How many matched in all (more than shown: type more of the number).
    matched: int
    #: The one structure whose number is exactly what was typed, if there is one.
    exact: str | None = None


def structure_choices(store: Store, settlement_id: str | None, search: str = "",
                      *, limit: int = 30, recent: int = 5) -> StructureChoices:
    """Structures to pick from: recent ones first, then those matching `search`.

    Typing the painted number finds it whatever the case and leading zeros are:
    "msh-142", "MSH-0142" and "0142" all find MSH-0142 (the digits alone match the
    number part when no letters are typed).
    """
    every = structures(store, settlement_id)
    needle = search.strip().lower()
    exact = None
    if needle:
        matched = [s for s in every if _matches(s[1], needle)]
        exact_rows = [s for s in matched if _same_number(s[1], needle)]
        if len(exact_rows) == 1:
            exact = exact_rows[0][0]
            matched = exact_rows + [s for s in matched if s[0] != exact]
    else:
        matched = every
    known = dict(every)
    # Two households recorded within the same millisecond tie on time: the one stored
    # last (the higher rowid) is the more recent.
    used = store.query(
        "SELECT structure_id, max(coalesce(changed_at, updated_at)) AS at FROM records "
        "WHERE form_id = ? AND structure_id IS NOT NULL AND deleted = 0 "
        "AND record_id IN (SELECT record_id FROM outbox) "
        "GROUP BY structure_id ORDER BY at DESC, max(rowid) DESC LIMIT ?",
        [HOUSEHOLD_FORM, recent * 4])
    latest = [(r["structure_id"], known[r["structure_id"]]) for r in used
              if r["structure_id"] in known][:recent]
    return StructureChoices([] if needle else latest, matched[:limit], len(matched), exact)


def _digits(text: str) -> str:
    found = re.findall(r"\d+", text)
    return str(int(found[-1])) if found else ""


def _same_number(number: str, needle: str) -> bool:
    number = number.lower()
    if number == needle:
        return True
    if needle.isdigit():
        return _digits(number) == str(int(needle))
    prefix = re.sub(r"\d+$", "", needle)
    return number.startswith(prefix) and _digits(number) == _digits(needle) != ""


def _matches(number: str, needle: str) -> bool:
    return needle in number.lower() or _same_number(number, needle) or (
        needle.isdigit() and str(int(needle)) in _digits(number))


def home_summary(store: Store, language: str | None = None) -> HomeSummary:
    """Per form: my drafts, waiting, sent and returned records, and how many others'
    records came for reference; form titles in `language` (an app language code)."""
    forms = latest_forms(store)
    empty = {DRAFT: 0, WAITING: 0, SENT: 0, RETURNED: 0, "reference": 0}
    counts: dict[str, dict[str, int]] = {f: dict(empty) for f in forms}
    for row in list_records(store):
        form = counts.setdefault(row.form_id, dict(empty))
        if not row.mine:
            form["reference"] += 1
            continue
        form[row.status] += 1
        form[RETURNED] += row.returned
    waiting = store.query("SELECT COUNT(*) AS n FROM outbox WHERE sent_at IS NULL AND ready = 1")
    return HomeSummary(
        settlements=settlements(store),
        forms=[FormCounts(f, form_title(forms[f], language) if f in forms else f, c[DRAFT],
                          c[WAITING], c[SENT], c[RETURNED], c["reference"])
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
            out["structure_number"] = store.load_json(rows[0]["answers"]).get(
                "structure_number")
    return out
