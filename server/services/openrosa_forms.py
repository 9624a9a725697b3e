"""The forms an OpenRosa client may download: published form versions as XForms.

Each version's XForm is made once per process from its FormSpec (`forms.xform`) and
kept with its MD5, which the form list gives as `<hash>` so Collect downloads a form
again only when it changed. The list offers each form's newest version (by publication
order), as Collect expects one entry per form id; `listAllVersions=true` lists every
version. Submissions are taken for any published version.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import select

from forms.spec import FormSpec
from forms.xform import to_xform
from server.errors import ApiError
from server.extensions import db
from server.models import FormVersion

_CACHE_KEY = "hesabu_xforms"
_lock = threading.Lock()


@dataclass(frozen=True)
class XForm:
    form_id: str
    version: str
    title: str
    titles: dict[str, str]
    xml: bytes
    md5: str
    spec: FormSpec


def _cache() -> dict[tuple[str, str, int, str], XForm]:
    return current_app.extensions.setdefault(_CACHE_KEY, {})


def _key(form_id: str, version: str, server_seq: int, published_at: Any) -> tuple:
    # The sequence number and publication time tell a version apart from one published
    # under the same name after the database was emptied (tests).
    return (form_id, version, server_seq, published_at.isoformat())


def _xform(row: FormVersion) -> XForm:
    key = _key(row.form_id, row.version, row.server_seq, row.published_at)
    cache = _cache()
    found = cache.get(key)
    if found is None:
        spec = FormSpec.from_dict(row.spec)
        xml = to_xform(spec).encode("utf-8")
        found = XForm(row.form_id, row.version, row.title, dict(spec.titles), xml,
                      hashlib.md5(xml, usedforsecurity=False).hexdigest(), spec)
        with _lock:
            cache[key] = found
    return found


def published_xforms(form_id: str | None = None, all_versions: bool = False) -> list[XForm]:
    """The forms of the form list: each form's newest version (or all), by form id."""
    query = select(FormVersion).order_by(FormVersion.form_id, FormVersion.server_seq)
    if form_id is not None:
        query = query.where(FormVersion.form_id == form_id)
    rows = list(db.session.execute(query).scalars())
    newest: dict[str, FormVersion] = {}
    chosen: list[FormVersion] = []
    for row in rows:
        if all_versions:
            chosen.append(row)
        else:
            newest[row.form_id] = row
    found = [_xform(row) for row in (chosen if all_versions else newest.values())]
    db.session.rollback()
    return found


def xform(form_id: str, version: str | None = None) -> XForm:
    """One version's XForm (the newest when `version` is None); ApiError if unknown.
    The version's identity is read first: its spec is read (and converted) only when
    this process has not made its XForm yet."""
    query = select(FormVersion.form_id, FormVersion.version, FormVersion.server_seq,
                   FormVersion.published_at).where(FormVersion.form_id == form_id)
    if version is not None:
        query = query.where(FormVersion.version == version)
    head = db.session.execute(query.order_by(FormVersion.server_seq.desc()).limit(1)).first()
    found = _cache().get(_key(*head)) if head is not None else None
    if head is not None and found is None:
        found = _xform(db.session.get(FormVersion, (head[0], head[1])))  # type: ignore[arg-type]
    db.session.rollback()
    if found is None:
        raise ApiError("openrosa.form_unknown",
                       f"form {form_id!r}" + (f" version {version!r}" if version else "")
                       + " is not published here; download the form list again")
    return found
