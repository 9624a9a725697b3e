"""Uploading an XLSForm on the web: check it, show its problems, publish a version.

An upload is kept under `instance/form_uploads/<sha256>.xlsx` between the check and
the publish, so the admin publishes exactly the file that was checked.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import gettext as _

from forms import FormError, FormProblem, FormSpec, load_form
from server.errors import ApiError
from server.services.forms import Published, publish_form

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
_TOKEN = re.compile(r"^[0-9a-f]{64}$")
_XLSX_MAGIC = b"PK\x03\x04"


@dataclass
class UploadCheck:
    token: str
    filename: str
    spec: FormSpec | None
    problems: list[FormProblem] = field(default_factory=list)

    @property
    def errors(self) -> list[FormProblem]:
        return [p for p in self.problems if p.is_error]

    @property
    def publishable(self) -> bool:
        return self.spec is not None and not self.errors


#: Checked uploads nobody published are removed after this many seconds.
KEEP_SECONDS = 24 * 3600


def _folder(instance_path: str | Path) -> Path:
    folder = Path(instance_path) / "form_uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _forget_old(folder: Path) -> None:
    cutoff = time.time() - KEEP_SECONDS
    for old in folder.glob("*.xlsx"):
        try:
            if old.stat().st_mtime < cutoff:
                old.unlink()
        except OSError:
            pass  # another request removed it first


def check_upload(data: bytes, filename: str, instance_path: str | Path) -> UploadCheck:
    """Keep the upload and load it as a form; problems carry sheet, row and column."""
    if not filename.lower().endswith(".xlsx"):
        raise ApiError("request.invalid", _("upload an XLSForm saved as .xlsx"),
                       details={"fields": {"file": ["must be an .xlsx file"]}})
    if not data:
        raise ApiError("request.invalid", _("the file is empty"),
                       details={"fields": {"file": ["empty"]}})
    if len(data) > MAX_UPLOAD_BYTES:
        raise ApiError("request.too_large",
                       _("the file is larger than %(mb)d MB",
                         mb=MAX_UPLOAD_BYTES // (1024 * 1024)))
    if not data.startswith(_XLSX_MAGIC):
        raise ApiError("request.invalid", _("this is not an .xlsx workbook (is it an old .xls "
                                             "renamed? save it as .xlsx)"),
                       details={"fields": {"file": ["not xlsx"]}})
    token = hashlib.sha256(data).hexdigest()
    folder = _folder(instance_path)
    _forget_old(folder)
    path = folder / f"{token}.xlsx"
    path.write_bytes(data)
    warnings: list[FormProblem] = []
    try:
        spec = load_form(path, warnings=warnings)
    except FormError as err:
        return UploadCheck(token, filename, None, list(err.problems))
    except Exception as exc:  # a workbook openpyxl cannot read at all
        return UploadCheck(token, filename, None,
                           [FormProblem(f"the workbook cannot be read: {exc}")])
    if not spec.version:
        warnings.insert(0, FormProblem("the settings sheet has no version; add one to publish",
                                       code="form.no_version", sheet="settings"))
    return UploadCheck(token, filename, spec, warnings)


def publish_upload(token: str, instance_path: str | Path) -> Published:
    """Publish the checked upload `token` (its SHA-256)."""
    if not _TOKEN.match(token or ""):
        raise ApiError("request.invalid", _("unknown upload; upload the form again"))
    path = _folder(instance_path) / f"{token}.xlsx"
    if not path.exists():
        raise ApiError("request.not_found", _("that upload is gone; upload the form again"))
    spec = load_form(path)
    try:
        result = publish_form(spec)
    except ValueError as exc:
        raise ApiError("request.invalid", str(exc)) from None
    path.unlink(missing_ok=True)
    return result
