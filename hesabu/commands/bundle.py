"""`hesabu bundle ...`: sync by USB stick (docs/bundles-and-hub.md).

On a tablet's store: `export` writes the signed bundle, `import --store` applies the
server's return bundle. On a server or hub: `import` applies a device bundle (and can
write the return bundle at once), `return` writes a return bundle for a device.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from hesabu.commands.options import (
    database_option,
    in_server_app,
    instance_option,
    with_server_app,
)
from hesabu.commands.sync import open_unlocked, unlock_options

if TYPE_CHECKING:
    from field_app.core.store import Store

_FILE = click.Path(dir_okay=False, path_type=Path)


def _refused(exc: Any) -> click.ClickException:
    return click.ClickException(f"[{exc.code}] {exc.message} Nothing was imported.")


@click.group()
def bundle() -> None:
    """Move data by USB stick: signed bundles of ops and photos."""


@bundle.command("export")
@click.option("--store", "store_path", required=True, type=_FILE, help="The device store.")
@click.option("--out", "out", required=True, type=_FILE, help="The bundle file to write.")
@unlock_options
def export_command(store_path: Path, out: Path, pin: str | None,
                   recovery_key: str | None) -> None:
    """Write the tablet's unsent changes and photos to one signed file."""
    from field_app.core.bundles import export_bundle_file

    if not store_path.exists():
        raise click.ClickException(f"no store at {store_path}")
    store = open_unlocked(store_path, pin, recovery_key)
    try:
        result = export_bundle_file(store, out)
    finally:
        store.close()
    click.echo(f"bundle {result.bundle_id}: {result.ops} changes, {result.attachments} files "
               f"-> {out}")
    for path in result.missing_files:
        click.echo(f"  not exported (missing or changed on this tablet): {path}", err=True)


@bundle.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--store", "store_path", type=_FILE, default=None,
              help="Import a return bundle into this device store (else: into the server).")
@click.option("--return-out", "return_out", type=_FILE, default=None,
              help="Server: also write the return bundle for the device to this file.")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
@database_option
@instance_option
@unlock_options
def import_command(file: Path, store_path: Path | None, return_out: Path | None,
                   as_json: bool, database_url: str | None, instance: str | None,
                   pin: str | None, recovery_key: str | None) -> None:
    """Verify a bundle (signature, every checksum) and apply it; all or nothing.

    Importing the same bundle again changes nothing. A damaged, altered, unsigned or
    foreign-signed bundle is refused with its code (docs/errors.md) and exit status 1.
    """
    from sync.bundle import BundleError

    if store_path is not None:
        if not store_path.exists():
            raise click.ClickException(f"no store at {store_path}")
        _import_on_device(file, open_unlocked(store_path, pin, recovery_key), as_json)
        return

    from server.errors import ApiError
    from server.services.bundles import import_bundle, write_return_bundle

    def job() -> dict[str, Any]:
        with file.open("rb") as fh:
            result = import_bundle(fh)
        answer = result.to_wire()
        if return_out is not None:
            with return_out.open("wb") as out:
                write_return_bundle(result.device_id, out, in_reply_to=result.bundle_id)
            answer["return_bundle"] = str(return_out)
        return answer

    try:
        answer = in_server_app(database_url, instance, job)
    except (BundleError, ApiError) as exc:
        raise _refused(exc) from None
    if as_json:
        click.echo(json.dumps(answer))
        return
    verb = "already imported" if answer["already_imported"] else "imported"
    click.echo(f"bundle {answer['bundle_id']} from {answer['device_id']} {verb}: "
               f"{answer['acked']} of {answer['ops']} changes accepted, "
               f"{len(answer['rejected'])} refused, {answer['attachments']} files")
    for item in answer["rejected"]:
        click.echo(f"  refused {item['op_id']}: [{item['code']}] {item['message']}", err=True)
    if "return_bundle" in answer:
        click.echo(f"return bundle -> {answer['return_bundle']}")


def _import_on_device(file: Path, store: Store, as_json: bool) -> None:
    from field_app.core.bundles import import_return_file
    from sync.bundle import BundleError

    try:
        result = import_return_file(store, file)
    except BundleError as exc:
        raise _refused(exc) from None
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps({"bundle_id": result.bundle_id, "acked": result.acked,
                               "rejected": [r.to_wire() for r in result.rejected],
                               "received": result.received, "forms": result.forms,
                               "cursor": result.cursor}))
        return
    click.echo(f"return bundle {result.bundle_id}: {result.acked} changes confirmed, "
               f"{result.received} received, {result.forms} forms, "
               f"{len(result.rejected)} refused")


@bundle.command("return")
@click.option("--device", "device_id", required=True, help="The device the bundle is for.")
@click.option("--out", "out", required=True, type=_FILE, help="The bundle file to write.")
@click.option("--cursor", type=click.IntRange(0), default=None,
              help="Changes after this server sequence (default: the cursor the device's "
                   "last bundle carried).")
@with_server_app
def return_command(device_id: str, out: Path, cursor: int | None) -> None:
    """Write a signed return bundle for a device: acknowledgements and its changes."""
    from server.errors import ApiError
    from server.services.bundles import write_return_bundle

    try:
        with out.open("wb") as fh:
            manifest = write_return_bundle(device_id, fh, cursor=cursor)
    except ApiError as exc:
        out.unlink(missing_ok=True)
        raise click.ClickException(f"[{exc.code}] {exc.message}") from None
    click.echo(f"return bundle {manifest['bundle_id']} for {device_id}: {manifest['acked']} "
               f"acknowledged, {manifest['changes']} changes -> {out}")
