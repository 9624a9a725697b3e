"""Record-level exports for federation leaders and admins: one table for the form's
questions and one per repeat, linked by `record_id` and `instance_id`.

Columns come from the newest published version of the form, so the header is known
before the first row; rows are read with `yield_per` (a server-side cursor on
PostgreSQL), so 100,000 households stream in bounded memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from forms.spec import DEFAULT_LANG, FormSpec, Node, text_in
from server.i18n import form_language
from server.models import FormVersion, Record
from server.models.indicators import HouseholdFacts, StructureFacts
from server.services.indicators.facts import (
    HOUSEHOLD_FORM,
    SETTLEMENT_FORM,
    STRUCTURE_FORM,
    refresh_facts,
)

#: Forms whose records can be tied to a settlement (and so to a federation).
LINKED_FORMS = (SETTLEMENT_FORM, STRUCTURE_FORM, HOUSEHOLD_FORM)
_NOT_DATA = ("note", "begin group", "end group")
#: Headings of the form's bookkeeping fields, which have no label.
_META = {("meta", "instanceID"): _l("Instance ID"), ("meta", "instanceName"): _l("Record title")}
_BATCH = 1000


@dataclass(frozen=True)
class Table:
    """One output table: the main questions (repeat=()) or one repeat's."""

    name: str
    repeat: tuple[str, ...]
    columns: tuple[str, ...]  # question paths relative to the table's level
    nodes: tuple[Node, ...] = ()  # the questions of `columns`, in the same order

    @property
    def header(self) -> list[str]:
        lead = ["record_id", "form_version", "server_seq"] if not self.repeat else \
            ["record_id", "parent_instance", "instance_id", "position"]
        return lead + list(self.columns)

    def labels(self, spec: FormSpec) -> list[str]:
        """The header as people read it: each question's label in the form's language
        matching the reader's (its default otherwise); a question without a label by
        its name in words. A label that two columns share is followed by the column's
        name in brackets, so every heading stays unique."""
        lang = form_language(spec)
        lead = [str(text) for text in (
            (_l("Record ID"), _l("Form version"), _l("Server sequence")) if not self.repeat
            else (_l("Record ID"), _l("Parent instance"), _l("Instance ID"), _l("Position")))]
        texts = [_label(node, lang) for node in self.nodes]
        seen = [t.casefold() for t in lead + texts]
        return lead + [f"{text} ({path})" if seen.count(text.casefold()) > 1 else text
                       for text, path in zip(texts, self.columns, strict=True)]


def _label(node: Node, lang: str | None) -> str:
    if node.path in _META:
        return str(_META[node.path])
    text = " ".join(text_in(node.label, lang, DEFAULT_LANG).split())
    return text or node.name.replace("_", " ").strip().capitalize()


def latest_spec(session: Session, form_id: str) -> FormSpec | None:
    row = session.execute(select(FormVersion.spec).where(FormVersion.form_id == form_id)
                          .order_by(FormVersion.server_seq.desc()).limit(1)).scalar_one_or_none()
    return None if row is None else FormSpec.from_dict(row)


def tables(spec: FormSpec) -> list[Table]:
    """The main table and one table per repeat, in form order."""
    found: list[Table] = []

    def visit(nodes: tuple[Node, ...], level: tuple[str, ...], name: str) -> None:
        columns: list[str] = []
        questions: list[Node] = []

        def collect(children: tuple[Node, ...]) -> None:
            for node in children:
                if node.is_repeat:
                    visit(node.children, node.path, "_".join(node.path))
                elif node.is_group:
                    collect(node.children)
                elif node.type not in _NOT_DATA:
                    columns.append("/".join(node.path[len(level):]))
                    questions.append(node)

        collect(nodes)
        found.append(Table(name, level, tuple(columns), tuple(questions)))

    visit(spec.children, (), spec.id)
    return sorted(found, key=lambda t: bool(t.repeat))  # the main table first


def _getter(path: str) -> Any:
    """A fast reader of one answer by path (called for every cell of the export)."""
    parts = tuple(path.split("/"))

    def get(answers: dict[str, Any]) -> Any:
        value: Any = answers
        for part in parts:
            if type(value) is not dict:
                return None
            value = value.get(part)
        if type(value) is list and value and type(value[0]) is dict:
            return None  # a repeat: it has its own table
        return value

    return get


def _instances(answers: dict[str, Any], repeat: tuple[str, ...]
               ) -> Iterator[tuple[str, str, int, dict[str, Any]]]:
    """(parent instance key, instance id, position, answers) of every instance of
    `repeat` in a record, through nested groups and repeats."""

    def walk(node: Any, steps: tuple[str, ...], parent: str) -> Iterator[Any]:
        value = node.get(steps[0]) if type(node) is dict else None
        if len(steps) == 1:
            if type(value) is list:
                for position, instance in enumerate(value, start=1):
                    if type(instance) is dict:
                        yield parent, str(instance.get("__id", position)), position, instance
            return
        if type(value) is list:
            for instance in value:
                if type(instance) is dict:
                    key = f"{parent}/{steps[0]}[{instance.get('__id')}]".lstrip("/")
                    yield from walk(instance, steps[1:], key)
        elif type(value) is dict:
            yield from walk(value, steps[1:], parent)

    yield from walk(answers, repeat, "")


def record_query(form_id: str, settlements: Any | None) -> Any:
    """Live records of `form_id` in the settlements of the `settlements` subquery
    (None: every record, for an admin)."""
    query = select(Record.record_id, Record.form_version, Record.server_seq, Record.answers
                   ).where(Record.form_id == form_id, Record.deleted.is_(False))
    if settlements is not None:
        if form_id == SETTLEMENT_FORM:
            query = query.where(Record.record_id.in_(settlements))
        elif form_id == STRUCTURE_FORM:
            query = query.join(StructureFacts, StructureFacts.structure_id == Record.record_id
                               ).where(StructureFacts.settlement_id.in_(settlements))
        else:
            query = (query.join(HouseholdFacts, HouseholdFacts.household_id == Record.record_id)
                     .join(StructureFacts,
                           StructureFacts.structure_id == HouseholdFacts.structure_id)
                     .where(StructureFacts.settlement_id.in_(settlements)))
    # No ORDER BY: sorting a million rows with their answers before the first byte is
    # what makes exports time out; rows leave in the order the database reads them.
    return query.execution_options(yield_per=_BATCH)


def rows_by_table(session: Session, tables: list[Table], form_id: str,
                  settlements: Any | None) -> Iterator[tuple[int, list[Any]]]:
    """(table index, row) for every table, in one pass over the records (each record's
    JSON is read once), streamed from the database."""
    getters = [[_getter(c) for c in table.columns] for table in tables]
    rows = session.connection().execute(record_query(form_id, settlements))  # Core rows: faster
    for record_id, version, seq, answers in rows:
        answers = answers if type(answers) is dict else {}
        for index, table in enumerate(tables):
            get = getters[index]
            if not table.repeat:
                yield index, [record_id, version, seq, *(g(answers) for g in get)]
                continue
            for parent, instance_id, position, instance in _instances(answers, table.repeat):
                yield index, [record_id, parent, instance_id, position,
                              *(g(instance) for g in get)]


def prepare(session: Session) -> None:
    """Facts must be current: they tie structures and households to settlements."""
    refresh_facts(session)
