"""A record as people read it: answers with the form's labels in the reader's language,
the form's own widget for correcting one answer, and its edit history (who changed
what, when, from which value to which), as ODK Central shows a submission's edits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from forms.answers import Path, is_empty
from forms.recompute import FormEngine
from forms.record_messages import builtin
from forms.spec import (
    DEFAULT_LANG,
    MEDIA_TYPES,
    MULTI_TYPES,
    SELECT_TYPES,
    FormSpec,
    Node,
    text_in,
)
from forms.text import choice_labels, display_value, render_text
from server.errors import ApiError
from server.extensions import db
from server.models import Device, DeviceAccount, User
from server.models import Op as OpRow
from server.services.corrections import engine_path
from sync.fields import DELETED, INSTANCE_KEY, FieldPathError, is_position_path
from sync.hlc import parse_hlc
from sync.ops import wire_fields

_REFERENCE = re.compile(r"\$\{([^}]+)\}")
_INSTANCE = re.compile(r"\[[^\]]*\]")
#: Types the web cannot correct: files are taken on the tablet.
_NOT_ON_THE_WEB = MEDIA_TYPES | {"note"}


def humanise(name: str) -> str:
    """A field name as words, for calculations that have no label: "is_under_5" ->
    "Is under 5"."""
    text = name.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def label_of(node: Node, lang: str | None, spec: FormSpec | None = None,
             root: Mapping[str, Any] | None = None, path: tuple[Any, ...] = ()) -> str:
    """A node's label in `lang`, with `${name}` filled in from the record's answers (as
    the tablet shows it) when the record is given; a humanised name without a label."""
    if node.path == ("meta", "instanceName"):
        return _("Record title")
    text = text_in(node.label, lang, DEFAULT_LANG) or humanise(node.name)
    if spec is None or "${" not in text:
        return text
    return render_text(text, spec, root, path, language=lang) or humanise(node.name)


def _column_label(node: Node, lang: str | None, spec: FormSpec, root: Mapping[str, Any],
                  path: tuple[Any, ...], siblings: Iterable[Node]) -> str:
    """A repeat table's column heading: a reference to another question of the same
    instance differs per row, so it shows as that question's label in brackets ("Age of
    [Name]"); references outside the repeat are filled in as in `label_of`."""
    text = text_in(node.label, lang, DEFAULT_LANG) or humanise(node.name)
    names = {s.name: s for s in siblings}
    text = _REFERENCE.sub(lambda m: f"[{label_of(names[m.group(1)], lang)}]"
                          if m.group(1) in names else m.group(0), text)
    if "${" not in text:
        return text
    return render_text(text, spec, root, path, language=lang) or humanise(node.name)


def correctable(node: Node) -> bool:
    """Whether a leader can correct this question on the web."""
    return node.is_question and not node.calculation and node.type not in _NOT_ON_THE_WEB \
        and node.type not in ("calculate", "hidden") and node.name != "meta"


# -- the answers, in form order ----------------------------------------------------------
@dataclass
class _Walk:
    spec: FormSpec
    engine: FormEngine
    lang: str | None
    root: Mapping[str, Any]
    unanswered: bool  # also list relevant questions that have no answer yet


def render_answers(spec: FormSpec, answers: Mapping[str, Any], lang: str | None = None,
                   unanswered: bool = False) -> list[dict[str, Any]]:
    """The answers in form order as display items: `{"kind": "question", "label",
    "value", "path", "field", "correctable", "calculated"}`, `{"kind": "group", "label",
    "items"}`, and `{"kind": "repeat", "label", "columns", "rows", "ids"}` (a table: each
    row a list of `{"value", "field", "correctable"}`). `field` is the field path a
    correction writes. With `unanswered`, relevant questions without an answer are
    listed too (so a leader can fill them in)."""
    lang = lang or spec.default_language
    walk = _Walk(spec, FormEngine.for_form(spec), lang, answers, unanswered)
    return _render_nodes(walk, spec.children, answers, (), "")


def _render_nodes(walk: _Walk, nodes: Iterable[Node], answers: Any, where: Path,
                  prefix: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for node in nodes:
        if node.name == "meta":  # instanceID and instanceName: the page's title already
            continue
        value = answers.get(node.name) if isinstance(answers, Mapping) else None
        path, field_path = (*where, node.name), f"{prefix}{node.name}"
        if node.is_group:
            inner = _render_nodes(walk, node.children, value or {}, path, field_path + "/")
            if inner:
                items.append({"kind": "group", "items": inner,
                              "label": label_of(node, walk.lang, walk.spec, walk.root, path)})
        elif node.is_repeat:
            items.append(_repeat(walk, node, value, path, field_path))
        elif node.type != "note" and (value not in (None, "", []) or (
                walk.unanswered and correctable(node)
                and walk.engine.is_relevant(walk.root, path))):
            items.append({"kind": "question", "path": "/".join(node.path),
                          "label": label_of(node, walk.lang, walk.spec, walk.root, path),
                          "value": display_value(node, value, walk.spec, walk.lang),
                          "field": field_path, "correctable": correctable(node),
                          "calculated": bool(node.calculation)})
    return items


def _repeat(walk: _Walk, node: Node, value: Any, path: Path, field_path: str
            ) -> dict[str, Any]:
    instances = [i for i in (value or []) if isinstance(i, Mapping)]
    # Calculations without a label are the form's own bookkeeping (is_under_5): no column.
    columns = [c for c in node.children if c.is_question and c.type != "note"
               and not (c.calculation and not c.label)]
    rows = []
    for position, inst in enumerate(instances):
        key = f"{field_path}[{inst.get(INSTANCE_KEY, '')}]/"
        rows.append([{"value": display_value(c, inst.get(c.name), walk.spec, walk.lang),
                      "field": key + c.name,
                      "correctable": correctable(c) and (
                          not is_empty(inst.get(c.name)) or walk.engine.is_relevant(
                              walk.root, (*path, position, c.name)))}
                     for c in columns])
    return {"kind": "repeat", "label": label_of(node, walk.lang, walk.spec, walk.root, path),
            "columns": [_column_label(c, walk.lang, walk.spec, walk.root, (*path, c.name),
                                      node.children) for c in columns],
            "rows": rows, "ids": [str(inst.get(INSTANCE_KEY, "")) for inst in instances]}


def question_at(spec: FormSpec, path: str) -> Node | None:
    """The question a field path answers (repeat instance ids left out), or None."""
    try:
        return spec.node(tuple(_INSTANCE.sub("", path).split("/")))
    except KeyError:
        return None


# -- the form's widget for one answer ------------------------------------------------------
@dataclass(frozen=True)
class Widget:
    """What the page needs to draw the question's own input for a correction."""

    field: str
    label: str
    hint: str
    kind: str  # select, checkboxes, number, date, time, datetime, text, textarea, point
    value: Any  # the current answer (a list for checkboxes)
    shown: str  # the current answer as people read it
    choices: tuple[tuple[str, str], ...] = ()
    step: str = ""
    minimum: str = ""
    maximum: str = ""
    extra: dict[str, str] = field(default_factory=dict)


_KINDS = {"integer": "number", "decimal": "number", "range": "number", "date": "date",
          "time": "time", "dateTime": "datetime", "geopoint": "point", "geotrace": "point",
          "geoshape": "point"}


def widget_for(spec: FormSpec, answers: Mapping[str, Any], fields: Mapping[str, Any],
               field_path: str, lang: str | None) -> Widget | None:
    """The widget correcting `field_path` of a record, or None if it cannot be corrected
    on the web (no such question here, a calculation, a photo)."""
    path = engine_path(answers, field_path)
    node = question_at(spec, field_path)
    if path is None or node is None or not correctable(node):
        return None
    engine = FormEngine.for_form(spec)
    value = fields.get(field_path)
    choices: tuple[tuple[str, str], ...] = ()
    kind = _KINDS.get(node.type, "text")
    if node.type in SELECT_TYPES:
        labels = choice_labels(node, spec, lang)
        visible = engine.visible_choices(answers, path)
        choices = tuple((c.name, labels.get(c.name, c.name)) for c in visible)
        if node.or_other and "other" not in labels:
            choices += (("other", _("Other")),)
        kind = "checkboxes" if node.type in MULTI_TYPES else "select"
    elif node.type == "text" and (node.appearance or "").startswith("multiline"):
        kind = "textarea"
    step, low, high = "", "", ""
    if node.type == "integer":
        step = "1"
    elif node.type == "decimal":
        step = "any"
    elif node.type == "range":
        params = node.parameters or {}
        step, low, high = (str(params.get("step", 1)), str(params.get("start", 1)),
                           str(params.get("end", 10)))
    hint = text_in(node.hint, lang, DEFAULT_LANG)
    if "${" in hint:
        hint = render_text(hint, spec, answers, path, language=lang)
    return Widget(field_path, label_of(node, lang, spec, answers, path), hint, kind,
                  value if value is not None else ([] if kind == "checkboxes" else ""),
                  display_value(node, value, spec, lang), choices, step, low, high)


def answer_from_widget(spec: FormSpec, field_path: str, values: list[str],
                       lang: str | None) -> Any:
    """What a widget posted, as the question's answer (None: cleared). Text that is no
    number for a number question is refused here, in the form's language; every other
    rule is the form engine's (services/corrections)."""
    node = question_at(spec, field_path)
    if node is None:
        return values[0] if values else None
    if node.type in MULTI_TYPES:
        chosen = [v for v in values if v.strip()]
        return chosen or None
    text = (values[0] if values else "") or ""
    if node.type != "text":
        text = text.strip()
    if not text.strip():
        return None
    if node.type in ("integer", "decimal", "range"):
        try:
            number = float(text) if node.type != "integer" else int(text)
        except ValueError:
            key = "type.integer" if node.type == "integer" else "type.decimal"
            message = builtin(key, lang, spec.default_language)
            raise ApiError("record.answer_invalid", f"{label_of(node, lang)}: {message}",
                           details={"problems": [{"path": field_path, "code": "type",
                                                  "message": message}]}) from None
        if isinstance(number, float) and number.is_integer() and "." not in text \
                and "e" not in text.lower():
            return int(number)
        return number
    if node.type == "dateTime" and len(text) == 16:  # what <input type=datetime-local> sends
        return text + ":00"
    return text


# -- edit history --------------------------------------------------------------------------
@dataclass(frozen=True)
class Change:
    field: str
    label: str
    old: str
    new: str
    calculated: bool


@dataclass(frozen=True)
class Edit:
    """One op of the record, as a line of its history."""

    op_id: str
    at: datetime | None  # when it was made (its clock), UTC
    received_at: datetime
    who: str  # the web user, else the device's person, else the device
    device: str
    kind: str  # created, edited, resolved, deleted, restored
    changes: tuple[Change, ...]


def _when(hlc: str) -> datetime | None:
    try:
        return datetime.fromtimestamp(parse_hlc(hlc).ms / 1000, UTC)
    except (ValueError, AttributeError):
        return None


def _people(device_ids: set[str]) -> tuple[dict[str, str], dict[str, str]]:
    names = dict(db.session.execute(select(Device.id, Device.name)
                                    .where(Device.id.in_(device_ids))).all())
    people = {d: (n or u) for d, n, u in db.session.execute(
        select(DeviceAccount.device_id, User.display_name, User.username)
        .join(User, User.id == DeviceAccount.user_id)
        .where(DeviceAccount.device_id.in_(device_ids))).all()}
    return names, people


def record_history(record: Any, spec: FormSpec | None, lang: str | None) -> list[Edit]:
    """Every op of the record, newest first, with what each changed from and to.

    The "from" value is what the record held just before the op, replaying the ops in
    clock order (as the merge orders concurrent writes); calculations the form recomputed
    are marked as such.
    """
    rows = db.session.execute(
        select(OpRow.op_id, OpRow.hlc, OpRow.device_id, OpRow.kind, OpRow.payload,
               OpRow.received_at)
        .where(OpRow.record_id == record.record_id)
        .order_by(OpRow.hlc, OpRow.op_id)).all()
    names, people = _people({r.device_id for r in rows})
    held: dict[str, Any] = {}
    out: list[Edit] = []
    for number, row in enumerate(rows):
        payload = row.payload or {}
        fields = wire_fields(payload)
        meta = payload.get("meta") or {}
        changes = []
        for path, value in fields.items():
            if path == DELETED or is_position_path(path):
                continue
            old = held.get(path)
            if number and _equal(old, value):
                continue
            changes.append(_change(spec, record, path, old, value, lang))
        deleted = fields.get(DELETED)
        kind = ("deleted" if deleted is True else "resolved" if row.kind == "resolve"
                else "created" if number == 0 else
                "restored" if deleted is False and held.get(DELETED) is True else "edited")
        held.update(fields)
        who = str(meta.get("user") or people.get(row.device_id) or
                  names.get(row.device_id) or row.device_id)
        out.append(Edit(row.op_id, _when(row.hlc), row.received_at, who,
                        names.get(row.device_id, row.device_id), kind,
                        tuple(changes) if number else ()))
    out.reverse()
    return out


def _equal(a: Any, b: Any) -> bool:
    return a == b and type(a) is type(b)


def _change(spec: FormSpec | None, record: Any, path: str, old: Any, new: Any,
            lang: str | None) -> Change:
    node = question_at(spec, path) if spec is not None else None
    if node is None or spec is None:
        return Change(path, path, _plain(old), _plain(new), False)
    label = label_of(node, lang)
    where = engine_path(record.answers, path) if "[" in path else None
    if where is not None:  # a repeat entry: say which one ("Age in years, member 3")
        positions = [p + 1 for p in where if isinstance(p, int)]
        try:
            repeat = question_at(spec, _INSTANCE.sub("", path.rsplit("[", 1)[0]))
        except (FieldPathError, KeyError):
            repeat = None
        name = label_of(repeat, lang) if repeat is not None else ""
        label = f"{label} · {name} {'.'.join(map(str, positions))}".strip()
    computed = bool(node.calculation) or node.type in ("calculate", "hidden")
    return Change(path, label, display_value(node, old, spec, lang),
                  display_value(node, new, spec, lang), computed)


def _plain(value: Any) -> str:
    return "" if value is None else str(value)
