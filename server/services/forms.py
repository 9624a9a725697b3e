"""Publishing form versions; which versions exist."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from forms.spec import FormSpec
from server.errors import ApiError
from server.extensions import db
from server.models import FormVersion
from server.services.sequence import SequenceLock
from sync.canonical import canonical_json


@dataclass(frozen=True)
class Published:
    form_id: str
    version: str
    server_seq: int
    created: bool


def publish_form(spec: FormSpec | Mapping[str, Any]) -> Published:
    """Publish a form version (devices pull it). Publishing the same content again is a
    no-op; different content under a published version is refused (immutable)."""
    spec = spec if isinstance(spec, FormSpec) else FormSpec.from_dict(spec)
    if not spec.version:
        raise ValueError(_("form %(form)r has no version: set `version` in its settings sheet",
                           form=spec.id))
    data = spec.to_dict()
    session = db.session
    seq = SequenceLock(session)
    existing = session.get(FormVersion, (spec.id, spec.version))
    if existing is not None:
        same, existing_seq = canonical_json(existing.spec) == canonical_json(data), \
            existing.server_seq
        session.rollback()  # expires `existing`: read it before
        if not same:
            raise ApiError("form.version_exists",
                           _("form %(form)r version %(version)r is already published with "
                             "different content; give the changed form a new version",
                             form=spec.id, version=spec.version))
        return Published(spec.id, spec.version, existing_seq, created=False)
    number = seq.next()
    session.add(FormVersion(form_id=spec.id, version=spec.version, title=spec.title,
                            spec=data, server_seq=number))
    session.commit()
    return Published(spec.id, spec.version, number, created=True)


class KnownForms:
    """Which (form_id, version) pairs exist, asked once per pair per batch."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._cache: dict[tuple[str, str], bool] = {}

    def __call__(self, form_id: str, version: str) -> bool:
        key = (form_id, version)
        if key not in self._cache:
            self._cache[key] = self._session.execute(
                select(FormVersion.form_id).where(FormVersion.form_id == form_id,
                                                  FormVersion.version == version)
            ).first() is not None
        return self._cache[key]


def form_version(form_id: str, version: str) -> dict[str, Any] | None:
    """A published version with its FormSpec JSON, or None."""
    row = db.session.get(FormVersion, (form_id, version))
    found = None if row is None else {
        "form_id": row.form_id, "version": row.version, "title": row.title,
        "published_at": row.published_at.isoformat(), "spec": row.spec}
    db.session.rollback()
    return found


def form_spec(form_id: str, version: str) -> FormSpec | None:
    """The FormSpec of a published version, or None."""
    row = db.session.get(FormVersion, (form_id, version))
    return None if row is None else FormSpec.from_dict(row.spec)
