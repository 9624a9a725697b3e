"""Forms: the published versions; an admin uploads an XLSForm, sees its problems with
sheet and row, and publishes it as a new version."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from forms.spec import FormSpec
from server.auth import Role, acting, current_user, role_of, roles_required
from server.errors import ApiError
from server.extensions import db
from server.i18n import language
from server.models import FormVersion
from server.services.audit import audit
from server.services.form_upload import MAX_UPLOAD_BYTES, check_upload, publish_upload

bp = Blueprint("forms_web", __name__, url_prefix="/forms")


def _published() -> list[FormVersion]:
    return list(db.session.execute(select(FormVersion).order_by(
        FormVersion.form_id, FormVersion.published_at.desc())).scalars())


def _title(row: FormVersion) -> str:
    """A published version's title in the reader's language (the form's own translation),
    else its default title."""
    try:
        return FormSpec.from_dict(row.spec).title_in(language()) or row.title
    except (KeyError, TypeError, ValueError):
        return row.title


def _page(check: object = None, status: int = 200) -> tuple[str, int]:
    return render_template("review/forms.html", published=_published(), check=check,
                           title_of=_title, language=language(),
                           is_admin=role_of(current_user()) is Role.ADMIN,
                           max_mb=MAX_UPLOAD_BYTES // (1024 * 1024)), status


@bp.get("/")
@roles_required(Role.ADMIN, Role.LEADER)
def index() -> tuple[str, int]:
    """Published form versions; for an admin, the upload form."""
    return _page()


@bp.post("/check")
@roles_required(Role.ADMIN)
def check() -> tuple[str, int]:
    """Check an uploaded .xlsx: its problems with sheet, row and column, or its outline."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("Choose an .xlsx file to upload."), "error")
        return _page(status=422)
    try:
        result = check_upload(upload.read(MAX_UPLOAD_BYTES + 1), upload.filename,
                              current_app.instance_path)
    except ApiError as err:
        flash(err.message, "error")
        return _page(status=err.status)
    return _page(result, 200 if result.publishable else 422)


@bp.post("/publish")
@roles_required(Role.ADMIN)
def publish() -> Response:
    """Publish a checked upload: devices pull the new version at their next sync."""
    db.session.rollback()  # publishing takes the sequence lock in a fresh transaction
    try:
        result = publish_upload(request.form.get("token", ""), current_app.instance_path)
    except ApiError as err:
        flash(err.message, "error")
        return redirect(url_for("forms_web.index"))
    audit(acting(), "form.publish", f"{result.form_id}@{result.version}",
          created=result.created)
    if result.created:
        flash(_("Published %(form)s version %(version)s.", form=result.form_id,
                version=result.version), "success")
    else:
        flash(_("%(form)s version %(version)s was already published with exactly this "
                "content; nothing changed.", form=result.form_id, version=result.version),
              "info")
    return redirect(url_for("forms_web.index"))
