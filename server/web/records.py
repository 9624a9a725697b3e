"""Records: browse and filter, read one with its form's labels, review it, correct it."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.wrappers import Response

from forms.spec import FormSpec
from forms.text import display_value
from server.auth import Role, acting, current_user, role_of, roles_required
from server.errors import ApiError
from server.extensions import db
from server.i18n import form_language
from server.models import Record
from server.schemas.values import whole_number
from server.services.audit import audit
from server.services.corrections import refusal_lines
from server.services.dashboard import settlement_names
from server.services.exports.records import latest_spec
from server.services.forms import form_spec
from server.services.record_view import (
    answer_from_widget,
    label_of,
    record_history,
    render_answers,
    widget_for,
)
from server.services.records_table import (
    MAX_BULK,
    META_COLUMNS,
    Query,
    default_columns,
    devices,
    enumerators,
    parse_answer_filters,
    question_columns,
    records_page,
    review_many,
)
from server.services.resolution import edit_record, open_conflicts
from server.services.review import (
    STATE_LABELS,
    latest_reviews,
    record_title,
    review_history,
    set_review,
    settlement_of,
)
from server.services.scoping import record_visible, visible_record_ids, visible_settlement_ids
from server.web.dashboard import FORM_NAMES

bp = Blueprint("records", __name__, url_prefix="/records")

PAGE = 50
#: Question columns shown at most.
MAX_COLUMNS = 12
#: Pages past this are not asked for by people; the offset stays far from overflowing.
MAX_PAGE = 10**9
_STAFF = (Role.ADMIN, Role.LEADER)


def _visible_record(record_id: str) -> tuple[Record, str | None]:
    """The record, if the current user may see it (else 404: not even its existence)."""
    record = db.session.get(Record, record_id)
    if record is None or not record_visible(current_user(), record_id):
        abort(404)
    return record, settlement_of([record_id])[record_id]


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text or "")
    except ValueError:
        return None


def _table_query(spec: FormSpec | None) -> tuple[Query, dict[str, Any]]:
    """The table's filters, sort, columns and page from the address (and the columns
    last chosen for this form, kept in the session)."""
    args = request.args
    form_id = args.get("form") or None
    columns = question_columns(spec)
    remembered = session.get("record_columns", {})
    # `cols_for`: the form the ticked columns belong to (another form was just chosen:
    # its own columns, not the previous form's).
    asked = args.get("cols_for", form_id if "cols" in args else None)
    keys = args.getlist("cols") if form_id and asked == form_id \
        else remembered.get(form_id or "")
    if keys is None:
        keys = [c.key for c in default_columns(columns)]
    chosen = [c for c in columns if c.key in set(keys)][:MAX_COLUMNS]  # in form order
    if form_id and asked == form_id:
        session["record_columns"] = {**remembered, form_id: [c.key for c in chosen]}
    state = args.get("state")
    conflicts = {"yes": True, "no": False}.get(args.get("conflicts", ""))
    sort = args.get("sort", "submitted")
    if sort not in META_COLUMNS and sort not in {c.key for c in chosen}:
        sort = "submitted"
    page = whole_number(args.get("page"), lo=1, hi=MAX_PAGE) or 1
    query = Query(form_id=form_id, settlement_id=args.get("settlement") or None,
                  state=None if state in (None, "any") else state,
                  text=(args.get("q") or "").strip()[:100],
                  submitted_from=_date(args.get("from")), submitted_to=_date(args.get("to")),
                  enumerator=args.get("enumerator") or None,
                  device=args.get("device") or None, conflicts=conflicts,
                  answers=parse_answer_filters(chosen, args), columns=chosen, sort=sort,
                  descending=args.get("dir", "desc") != "asc", limit=PAGE,
                  offset=(page - 1) * PAGE)
    kept = {k: v for k, v in args.items(multi=False)
            if k not in ("page", "sort", "dir", "cols", "cols_for") and v}
    kept_cols = [c.key for c in chosen]
    return query, {"page": page, "kept": kept, "cols": kept_cols,
                   "state": "any" if query.state is None else query.state}


@bp.get("/")
@roles_required(Role.ADMIN, Role.LEADER, Role.ENUMERATOR)
def index() -> str:
    """The records table: columns from the form's questions and who sent each record,
    sorted and filtered on any of them, a page at a time; leaders review several at
    once."""
    user = current_user()
    settlements = visible_settlement_ids(user)
    form_id = request.args.get("form") or None
    spec = latest_spec(db.session, form_id) if form_id else None
    lang = form_language(spec)
    query, state = _table_query(spec)
    rows, total = records_page(query, visible_record_ids(user))
    people = enumerators(settlements, assigned_only=role_of(user) is Role.ENUMERATOR)
    return render_template(
        "review/records.html", rows=rows, total=total, query=query, spec=spec, lang=lang,
        page=state["page"], pages=max((total + PAGE - 1) // PAGE, 1), kept=state["kept"],
        cols=state["cols"], chosen_state=state["state"],
        names=settlement_names(settlements), form_names=FORM_NAMES, states=STATE_LABELS,
        columns=question_columns(spec), people=people,
        devices=devices(None if role_of(user) is Role.ADMIN else [p for p, _ in people]),
        can_review=role_of(user) in _STAFF, label_of=label_of, display_value=display_value)


@bp.post("/review")
@roles_required(*_STAFF)
def review_several() -> Response:
    """The same review (approved, or has issues with one comment) for the records ticked
    in the table; each reaches its enumerator's tablet like a review made one by one."""
    back = request.form.get("back") or url_for("records.index")
    if not back.startswith("/records/"):
        back = url_for("records.index")
    state, comment = request.form.get("state", ""), request.form.get("comment", "")
    reviewer = current_user().username
    visible = visible_record_ids(current_user())
    ticked = request.form.getlist("record_id")
    try:
        done = review_many(ticked, state, comment, reviewer, visible)
    except ApiError as err:
        fields = (err.details or {}).get("fields", {})
        flash(_("Tick at least one record.") if not ticked else
              _("Tick at most %(num)d records at once.", num=MAX_BULK)
              if "record_ids" in fields else
              _("Say what is wrong: a comment is needed unless the records are approved.")
              if "comment" in fields else
              _("Choose approved or has issues.") if "state" in fields else err.message,
              "error")
        return redirect(back)
    actor = acting()
    for record_id in done:
        audit(actor, "record.review", record_id, state=state,
              comment=comment.strip()[:500], bulk=len(done), commit=False)
    db.session.commit()
    flash(ngettext("%(num)d record marked %(state)s.", "%(num)d records marked %(state)s.",
                   len(done), state=str(STATE_LABELS.get(state, state)).lower()), "success")
    return redirect(back)


@bp.get("/<record_id>")
@roles_required(Role.ADMIN, Role.LEADER, Role.ENUMERATOR)
def show(record_id: str) -> str:
    """One record: answers with the form's labels (repeats as tables), its review, its
    edit history; leaders correct an answer with the question's own widget."""
    record, settlement = _visible_record(record_id)
    spec = form_spec(record.form_id, record.form_version)
    lang = form_language(spec)
    widget = None
    chosen = request.args.get("correct", "")
    if role_of(current_user()) in _STAFF and spec is not None and chosen:
        widget = widget_for(spec, record.answers, record.fields, chosen, lang)
    return _record_page(record, settlement, spec, widget)


def _record_page(record: Record, settlement: str | None, spec: FormSpec | None,
                 widget: Any, also: list[Any] | None = None) -> str:
    """The record page; `widget` corrects one answer, `also` are the answers that must
    be given with it (questions the correction makes required)."""
    lang = form_language(spec)
    can_review = role_of(current_user()) in _STAFF
    unanswered = can_review and request.args.get("unanswered") == "1"
    items = render_answers(spec, record.answers, lang, unanswered=unanswered) \
        if spec is not None else []
    parents = [(label, str(record.fields[key])) for key, label in
               (("settlement_id", _("Settlement profile")), ("structure_id", _("Structure")))
               if record.fields.get(key) and record_visible(current_user(),
                                                            str(record.fields[key]))]
    return render_template(
        "review/record.html", record=record, title=record_title(record), items=items,
        parents=parents, spec=spec, form_title=(spec.title_in(lang) if spec
                    else FORM_NAMES.get(record.form_id, record.form_id)),
        settlement=settlement_names(None).get(settlement or "", ""),
        history=review_history(record.record_id), states=STATE_LABELS,
        review=latest_reviews([record.record_id]).get(record.record_id),
        conflicts=open_conflicts([record.record_id]), widget=widget, also=also or [],
        unanswered=unanswered, edits=record_history(record, spec, lang),
        can_review=can_review)


@bp.post("/<record_id>/review")
@roles_required(*_STAFF)
def review(record_id: str) -> Response:
    """Mark a record approved / has issues / rejected with a comment (devices pull it)."""
    _visible_record(record_id)
    reviewer = current_user().username
    state, comment = request.form.get("state", ""), request.form.get("comment", "")
    db.session.rollback()  # the review takes the sequence lock in a fresh transaction
    try:
        set_review(record_id, state, comment, reviewer=reviewer)
    except ApiError as err:
        flash(err.message, "error")
    else:
        audit(acting(), "record.review", record_id, state=state,
              comment=comment.strip()[:500])
        flash(_("Marked %(state)s. The enumerator's tablet gets the comment at its next "
                "sync.", state=str(STATE_LABELS.get(state, state)).lower()), "success")
    return redirect(url_for("records.show", record_id=record_id))


@bp.post("/<record_id>/edit")
@roles_required(*_STAFF)
def edit(record_id: str) -> Response | tuple[str, int]:
    """Correct one answer through the form (services/corrections): checked like a
    tablet's answer, calculations recomputed; an op like a tablet's, synced to tablets.

    A correction that makes another question required (tenure becomes "tenant": the
    rent is needed) is shown again with that question's input, to be given together."""
    record, settlement = _visible_record(record_id)
    field = request.form.get("path", "")
    spec = form_spec(record.form_id, record.form_version)
    lang = form_language(spec)
    back = redirect(url_for("records.show", record_id=record_id))
    widget = widget_for(spec, record.answers, record.fields, field, lang) if spec else None
    also = [p for p in dict.fromkeys(request.form.getlist("also")) if p != field]
    extra = {p: widget_for(spec, record.answers, record.fields, p, lang) for p in also}
    if widget is None or spec is None or None in extra.values():
        flash(_("Choose an answer of this record to correct."), "error")
        return back
    changes: dict[str, Any] = {}
    try:
        changes[field] = answer_from_widget(spec, field, request.form.getlist("value"), lang)
        for path in also:
            changes[path] = answer_from_widget(spec, path, request.form.getlist(
                f"value:{path}"), lang)
        editor = current_user().username
        op = edit_record(record_id, changes, user=editor)
    except ApiError as err:
        for line in refusal_lines(err):
            flash(line, "error")
        needed = [r.path for r in getattr(err, "refusals", ())
                  if r.code == "required" and r.path not in changes]
        if field in changes and needed:
            tried = {**record.fields, **changes}
            wanted = [widget_for(spec, record.answers, tried, p, lang)
                      for p in [*also, *dict.fromkeys(needed)]]
            typed = widget_for(spec, record.answers, tried, field, lang)
            typed = replace(typed, shown=widget.shown) if typed else widget  # "Now:" stays
            return _record_page(record, settlement, spec, typed,
                                [w for w in wanted if w is not None]), 422
        return redirect(url_for("records.show", record_id=record_id, correct=field,
                                _anchor="correct"))
    asked = {field: widget, **extra}
    actor = acting()
    for path, value in changes.items():
        audit(actor, "record.edit", record_id, path=path, old=record.fields.get(path),
              new=value, op_id=op.op_id, fields=sorted(op.fields))
        shown = widget_for(spec, record.answers, {path: value}, path, lang)
        flash(_("Saved: %(question)s is now %(value)s.", question=asked[path].label,
                value=(shown.shown if shown else str(value)) or _("(no answer)")), "success")
    return back
