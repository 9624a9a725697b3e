"""An OpenRosa submission (the multipart POST of ODK Collect, Kobo Collect or Enketo)
read, checked and handed to `services.xform_records` as one XForm instance.

Everything is checked before anything is stored: the XML (safe parsing), its form and
version (published here), its root element, every field and value against the form,
the instance id, an edit's original; only then are its attachment files stored
(content-addressed, like a tablet's photos) and its op written. Files the XML does not
name are ignored; files it names that did not come (yet) arrive in a later POST of the
same XML, as Collect sends a large submission in parts.
"""

from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy.exc import OperationalError

from forms.submission import SubmissionError, instance_header, parse_xml, read_submission
from server.errors import ApiError
from server.services.audit import Actor
from server.services.bundles import store_complete_files
from server.services.openrosa_auth import CollectIdentity
from server.services.openrosa_forms import xform
from server.services.xform_records import FileInfo, Incoming, Outcome, write_instances


@dataclass(frozen=True)
class Part:
    """A file part of the multipart body: its form field name, file name and bytes."""

    name: str
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Receipt:
    outcome: Outcome
    form_title: str


def _attachments(names: tuple[str, ...], parts: list[Part]) -> dict[str, tuple[FileInfo, bytes]]:
    """The parts that are files the submission names (by file name, else field name)."""
    limit = int(current_app.config["HESABU_MAX_ATTACHMENT_BYTES"])
    found: dict[str, tuple[FileInfo, bytes]] = {}
    for part in parts:
        name = part.filename if part.filename in names else part.name
        if name not in names or name in found:
            continue
        if len(part.data) > limit:
            raise ApiError("openrosa.too_large",
                           f"{name} is {len(part.data)} bytes; files may be at most {limit}")
        kind = part.content_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
        found[name] = (FileInfo(hashlib.sha256(part.data).hexdigest(), len(part.data),
                                kind.split(";")[0].strip()[:100]), part.data)
    return found


def database_unavailable(err: Exception) -> bool:
    """Whether `err` is the database being busy or unreachable (answered 503)."""
    return isinstance(err, OperationalError)


def receive_submission(identity: CollectIdentity, xml: bytes, parts: list[Part],
                       actor: Actor) -> Receipt:
    """Take one POST of a submission; ApiError (nothing stored) if it cannot be taken.
    `actor`: the person sending it, as the audit log records them."""
    try:
        root = parse_xml(xml)
        _, form_id, version = instance_header(root)
        if version is None:
            raise ApiError("openrosa.form_unknown",
                           f"the submission of {form_id!r} names no form version; download "
                           "the form from this server again")
        form = xform(form_id, version)
        submission = read_submission(root, form.spec)
    except SubmissionError as exc:
        raise ApiError(exc.code, exc.message) from None
    received = _attachments(submission.files, parts)
    item = Incoming(submission.instance_id, form.spec, submission.answers,
                    submission.deprecated_id, submission.files,
                    {name: info for name, (info, _) in received.items()})

    def store_files() -> None:
        store_complete_files(Path(current_app.instance_path),
                             [(info.sha256, lambda data=data: data)
                              for info, data in received.values()], identity.device_id)

    (outcome,) = write_instances(identity.device_id, [item], source="openrosa",
                                 actor=actor, before_write=store_files)
    return Receipt(outcome, form.title)
