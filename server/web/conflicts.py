"""The conflicts queue: every value side by side with who wrote it and when; resolve by
keeping one or typing a new one. A resolution is an op that closes the conflict on
every tablet at its next sync."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from forms.text import display_value
from server.auth import Role, acting, current_user, roles_required
from server.errors import ApiError
from server.extensions import db
from server.i18n import form_language
from server.models import Conflict, Record
from server.schemas.values import whole_number
from server.services.audit import audit
from server.services.corrections import refusal_lines
from server.services.dashboard import settlement_names
from server.services.forms import form_spec
from server.services.record_view import (
    answer_from_widget,
    label_of,
    question_at,
    widget_for,
)
from server.services.resolution import describe_versions, open_conflicts, resolve_conflict
from server.services.review import record_title, settlement_of
from server.services.scoping import record_visible, visible_record_ids
from sync.canonical import canonical_json
from sync.fields import DELETED

bp = Blueprint("conflicts", __name__, url_prefix="/conflicts")
_STAFF = (Role.ADMIN, Role.LEADER)


@bp.get("/")
@roles_required(*_STAFF)
def index() -> str:
    """Open conflicts of the records the user may see, oldest first."""
    conflicts = open_conflicts(visible_record_ids(current_user()))
    records = {r.record_id: r for r in db.session.execute(
        db.select(Record).where(Record.record_id.in_({c.record_id for c in conflicts}))
    ).scalars()} if conflicts else {}
    where = settlement_of(records.values())
    names = settlement_names(None)
    rows = []
    for c in conflicts:
        record = records.get(c.record_id)
        if record is None:
            continue
        spec = form_spec(record.form_id, record.form_version)
        lang = form_language(spec)
        node = question_at(spec, c.path) if spec is not None else None
        label = label_of(node, lang) if node is not None else c.path
        versions = describe_versions(c)
        for version in versions:
            value = version["value"]
            if c.path == DELETED:  # true or false, as the label below says
                version["shown"] = canonical_json(value)
            elif spec is not None and node is not None:
                version["shown"] = display_value(node, value, spec, lang)
            else:
                version["shown"] = value
        if c.path == DELETED:  # one tablet deleted the record, another edited it
            label = _("Is this record deleted? (true: deleted, false: kept)")
        widget = widget_for(spec, record.answers, record.fields, c.path, lang) \
            if spec is not None else None
        rows.append({"conflict": c, "record": record, "title": record_title(record),
                     "label": label, "versions": versions, "widget": widget,
                     "settlement": names.get(where.get(c.record_id) or "", "")})
    return render_template("review/conflicts.html", rows=rows)


@bp.post("/<int:conflict_id>/resolve")
@roles_required(*_STAFF)
def resolve(conflict_id: int) -> Response:
    """Keep one of the values (`choice` = its index) or a new value (`new_value`)."""
    conflict = db.session.get(Conflict, conflict_id)
    if conflict is None:
        abort(404)
    record = db.session.get(Record, conflict.record_id)
    if record is None or not record_visible(current_user(), record.record_id):
        abort(404)
    versions = list(conflict.versions)
    choice = request.form.get("choice", "")
    try:
        if choice == "new":
            spec = form_spec(record.form_id, record.form_version)
            if spec is None:
                raise ApiError("record.form_unknown", _("The form version of this record is "
                                                        "not published here."))
            value = answer_from_widget(spec, conflict.path,
                                       request.form.getlist("new_value"), form_language(spec))
        elif (index := whole_number(choice, hi=len(versions) - 1)) is not None:
            value = versions[index]["value"]
        else:
            raise ApiError("request.invalid", _("Choose one of the values or type a new one."))
        resolver = current_user().username
        db.session.rollback()
        done = resolve_conflict(conflict_id, value, user=resolver)
    except ApiError as err:
        for line in refusal_lines(err):
            flash(line, "error")
    else:
        audit(acting(), "conflict.resolve", done.record_id, path=done.path, value=value,
              conflict_id=conflict_id, op_id=done.op_id,
              values=[v["value"] for v in versions])
        flash(_("Resolved %(path)s: kept %(value)s. Tablets get it at their next sync.",
                path=done.path, value=_shown(record, done.path, done.value)), "success")
    return redirect(url_for("conflicts.index"))


def _shown(record: Record, path: str, value: object) -> str:
    """A kept value as people read it (choice labels in the form's language)."""
    spec = form_spec(record.form_id, record.form_version)
    node = question_at(spec, path) if spec is not None else None
    if spec is None or node is None:
        return repr(value)
    return display_value(node, value, spec, form_language(spec)) or _("(no answer)")
