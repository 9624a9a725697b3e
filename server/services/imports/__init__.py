"""`hesabu import kobo|ona FILE --form FORM_ID`: a federation's history from KoboToolbox
or Ona becomes Hesabu records, through the op path every submission takes
(services/xform_records.py), all or nothing.

Every row is read first (`mapping.ExportReader`); if any cell cannot be imported, the
problems are listed with sheet, row and column and nothing is written. Otherwise all the
submissions are written in one transaction as the federation's import device
(`import-...`, bound to the federation, so its settlement profiles found settlements
there and its structures and households link by name and painted number). Each
submission's id (`_uuid`) is its instance id: importing the file again changes nothing,
and a later export of the same submissions after corrections in Kobo changes only the
answers that differ (conflicting with edits made in Hesabu meanwhile, as any edit).
"""

from __future__ import annotations

import csv
import io
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from forms.spec import FormSpec
from server.errors import ApiError
from server.extensions import begin_write, db
from server.models import Device, DeviceAccount, Federation, FormVersion
from server.services.audit import NOBODY, audit
from server.services.imports.mapping import ExportReader, Problem, Sheet
from server.services.imports.xlsx import XlsxError, read_xlsx
from server.services.xform_records import Incoming, write_instances

SOURCES = ("kobo", "ona")


class ExportFileError(Exception):
    """The file cannot be imported at all (unreadable, unknown form or federation)."""


@dataclass
class ImportReport:
    source: str
    file: str
    form_id: str
    form_version: str
    rows: int = 0
    created: int = 0
    changed: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def imported(self) -> bool:
        return not self.problems


def read_sheets(path: Path) -> list[Sheet]:
    """The sheets of an .xlsx export, or the one sheet of a .csv export (comma or
    semicolon separated, as Kobo writes it)."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        try:
            found = read_xlsx(path)
        except XlsxError as exc:
            raise ExportFileError(f"{path.name} cannot be read: {exc}") from None
        sheets = []
        for name, rows in found:
            while rows and not any(v not in (None, "") for v in rows[-1]):
                rows.pop()
            headers = [str(h).strip() if h is not None else "" for h in (rows[0] if rows
                                                                         else [])]
            sheets.append(Sheet(name, headers, rows[1:]))
        return sheets
    if suffix == ".csv":
        text = path.read_text(encoding="utf-8-sig")
        first = text.split("\n", 1)[0]
        delimiter = ";" if first.count(";") > first.count(",") else ","
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
        rows = [r for r in rows if any(c.strip() for c in r)]
        return [Sheet(path.stem[:31], [h.strip() for h in rows[0]] if rows else [], rows[1:])]
    raise ExportFileError(f"{path.name}: export files are .xlsx or .csv")


def _form(form_id: str, version: str | None) -> FormSpec:
    query = select(FormVersion).where(FormVersion.form_id == form_id)
    if version is not None:
        query = query.where(FormVersion.version == version)
    row = db.session.execute(query.order_by(FormVersion.server_seq.desc()).limit(1)
                             ).scalar_one_or_none()
    spec = FormSpec.from_dict(row.spec) if row is not None else None
    db.session.rollback()
    if spec is None:
        raise ExportFileError(f"form {form_id!r}" + (f" version {version!r}" if version else "")
                           + " is not published here; publish it first "
                           "(hesabu server publish-form)")
    return spec


def find_federation(federation: str | None) -> tuple[str, str]:
    """(id, name) of the federation named (by name or id), else of the only one."""
    session = db.session
    query = select(Federation.id, Federation.name)
    if federation is not None:
        query = query.where((Federation.id == federation) | (Federation.name == federation))
    found = session.execute(query.limit(2)).all()
    session.rollback()
    if not found:
        raise ExportFileError(
            (f"no federation {federation!r}" if federation else "no federation yet")
            + ": an import needs the federation whose history this is "
              "(hesabu server create-federation)")
    if len(found) > 1:
        raise ExportFileError("this server has several federations: say whose history "
                              "this is with --federation")
    return found[0][0], found[0][1]


def import_device(federation_id: str, name: str) -> str:
    """The device a federation's imports are written as (made on first use)."""
    session = db.session
    device_id = f"import-{federation_id[-12:]}"
    begin_write(session)
    if session.get(Device, device_id) is None:
        session.add(Device(id=device_id, name=f"Kobo/Ona import ({name})"[:200],
                           token_hash=secrets.token_hex(32)))  # no usable token
        session.flush()
        session.add(DeviceAccount(device_id=device_id, federation_id=federation_id))
    session.commit()
    return device_id


def import_export(path: Path, source: str, form_id: str, federation: str | None = None,
                  version: str | None = None) -> ImportReport:
    """Import one export file (see the module docstring); the report says what changed,
    or lists the problems (then nothing changed)."""
    if source not in SOURCES:
        raise ExportFileError(f"unknown export source {source!r}; one of {', '.join(SOURCES)}")
    spec = _form(form_id, version)
    federation_id, federation_name = find_federation(federation)
    report = ImportReport(source, path.name, spec.id, spec.version)
    reader = ExportReader(spec, read_sheets(path))
    rows = reader.read()
    report.rows = len(rows)
    report.problems = reader.problems
    if report.problems:
        return report
    items = [Incoming(row.instance_id, spec, row.answers, None, row.names, {},
                      where=row.where) for row in rows]
    device_id = import_device(federation_id, federation_name)
    try:
        outcomes = write_instances(device_id, items, source=source, actor=None,
                                   update_changed=True)
    except ApiError as exc:
        report.problems = [Problem(path.name, None, None, exc.message)]
        return report
    for outcome in outcomes:
        if outcome.kind == "created":
            report.created += 1
        elif outcome.kind == "edited":
            report.changed += 1
        else:
            report.unchanged += 1
    if report.created or report.changed:  # an import that changed nothing leaves no trace
        audit(NOBODY, f"import.{source}", path.name, form_id=spec.id, form_version=spec.version,
              device_id=device_id, rows=report.rows, created=report.created,
              changed=report.changed)
    return report


def describe(report: ImportReport, most: int = 50) -> str:
    """What a person reads after an import."""
    if report.problems:
        lines = [str(p) for p in report.problems[:most]]
        if len(report.problems) > most:
            lines.append(f"... and {len(report.problems) - most} more")
        lines.append(f"{report.file}: {len(report.problems)} problem(s) in {report.rows} "
                     f"submission(s). Nothing was imported.")
        return "\n".join(lines)
    return (f"{report.file}: {report.rows} submission(s) of {report.form_id} "
            f"{report.form_version}: {report.created} new record(s), {report.changed} "
            f"changed, {report.unchanged} already imported.")


__all__ = ["SOURCES", "ExportFileError", "ImportReport", "describe", "import_export",
           "read_sheets"]
