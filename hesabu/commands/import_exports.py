"""`hesabu import kobo|ona FILE --form FORM_ID`: a federation's history from KoboToolbox
or Ona, imported all or nothing (docs/openrosa.md)."""

from __future__ import annotations

from pathlib import Path

import click

from hesabu.commands.options import with_server_app


@click.group(name="import")
def import_group() -> None:
    """Import submissions exported from KoboToolbox or Ona."""


def _command(source: str, label: str) -> click.Command:
    @click.command(name=source, help=f"""Import a {label} export FILE (.xlsx, or .csv) of
    the form FORM_ID: every row becomes a record, or, if any cell cannot be imported,
    nothing does and each problem is listed as SHEET:ROW:COLUMN: message (exit 1).
    Importing the same file again changes nothing; a newer export of the same
    submissions changes only what differs.""")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--form", "form_id", required=True, metavar="FORM_ID",
                  help="The published form the export was made with, e.g. "
                       "sdi_household_enumeration.")
    @click.option("--version", default=None, help="Its version (default: the newest).")
    @click.option("--federation", default=None, metavar="NAME_OR_ID",
                  help="The federation whose history this is (default: the server's only "
                       "one).")
    @with_server_app
    def command(file: Path, form_id: str, version: str | None,
                federation: str | None) -> None:
        from server.services.imports import ExportFileError, describe, import_export

        try:
            report = import_export(file, source, form_id, federation, version)
        except ExportFileError as err:
            raise click.ClickException(str(err)) from None
        click.echo(describe(report))
        if not report.imported:
            raise SystemExit(1)

    return command


import_group.add_command(_command("kobo", "KoboToolbox"))
import_group.add_command(_command("ona", "Ona"))
