"""`hesabu serve`, `hesabu db ...`, `hesabu server ...`: run and administer the server."""

from __future__ import annotations

import os
from typing import Any

import click

from hesabu.commands.hub import start_hub
from hesabu.commands.options import (
    database_option,
    instance_option,
    server_app,
    with_server_app,
)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on.")
@database_option
@instance_option
@click.option("--hub", "as_hub", is_flag=True,
              help="Run as an office hub: sync with the upstream server in the background.")
@click.option("--upstream", metavar="URL", default=None,
              help="With --hub: the upstream server's address (after `hesabu hub link`).")
@click.option("--tls", is_flag=True,
              help="Serve HTTPS with the instance's own certificate (made on the first "
                   "start in <instance>/tls/, then reused); tablets pin it.")
@click.option("--cert", "cert_file", metavar="PEM", default=None,
              type=click.Path(dir_okay=False),
              help="Serve HTTPS with this certificate (with --key) instead of the "
                   "instance's own (implies --tls).")
@click.option("--key", "key_file", metavar="PEM", default=None,
              type=click.Path(dir_okay=False), help="The private key of --cert.")
@click.option("--tls-name", "tls_names", metavar="NAME", multiple=True,
              help="A host name or address the instance's own certificate is made for "
                   "(repeat; default: this machine's name and addresses). Used only when "
                   "the certificate is first made.")
def serve(host: str, port: int, database_url: str | None, instance: str | None,
          as_hub: bool = False, upstream: str | None = None, tls: bool = False,
          cert_file: str | None = None, key_file: str | None = None,
          tls_names: tuple[str, ...] = ()) -> None:
    """Run the sync server (upgrades the database first).

    It runs on waitress (threads, keep-alive), fine for a hub laptop; with --tls on
    cheroot, which serves HTTPS. A national deployment runs `gunicorn server.wsgi:app`
    on PostgreSQL (docs/deploy.md).
    """
    from server.access_log import add_handler
    from server.tls import TlsError, given_certificate, note_serving, self_signed

    if (cert_file is None) != (key_file is None):
        raise click.UsageError("--cert and --key go together")
    # The access log to standard error unless HESABU_ACCESS_LOG names a file.
    if not os.environ.get("HESABU_ACCESS_LOG"):
        add_handler("-")
    app = server_app(database_url, instance, **({"HESABU_NODE_ID": "hub"} if as_hub else {}))
    files = None
    try:
        if cert_file and key_file:
            files = given_certificate(cert_file, key_file)
        elif tls:
            files = self_signed(app.instance_path, tls_names or ())
    except TlsError as exc:
        raise click.ClickException(str(exc)) from None
    app.config["HESABU_TLS_PIN"] = files.pin if files else None
    app.config["HESABU_TLS_NEXT_PIN"] = files.next_pin if files else None
    if files is not None:
        app.config["SESSION_COOKIE_SECURE"] = True  # the leaders' login never goes over http
    note_serving(app.instance_path, files)
    if as_hub:
        start_hub(app, upstream)
    database = app.config["SQLALCHEMY_DATABASE_URI"].split("@")[-1]
    if files is not None:
        _serve_tls(app, host, port, files, database)
        return
    click.echo(f"Hesabu server on http://{host}:{port} (database: {database})")
    from server.waitress_serve import serve as serve_with_waitress

    # waitress keeps a tablet's connection open between requests (werkzeug's server
    # closes every one, and on a link with a 600 ms round trip each new connection
    # costs a handshake); it runs the same on a Windows or Linux office laptop.
    serve_with_waitress(app, host, port, threads=8, ident="hesabu")


def _serve_tls(app: Any, host: str, port: int, files: Any, database: str) -> None:
    from server.tls import https_server

    made = "made now" if files.created else "kept"
    click.echo(f"certificate {files.cert} ({made}; valid until {files.not_after:%Y-%m-%d})")
    if files.pin:
        click.echo(f"certificate pin (in every enrolment QR code): {files.pin}")
    else:
        click.echo("certificate signed by an authority: tablets need no pin")
    if files.next_pin:
        click.echo(f"next certificate pin (announced to syncing devices): {files.next_pin}")
    server = https_server(app, host, port, files)
    try:
        server.prepare()  # binds the port (0: one the system chose)
        click.echo(f"Hesabu server on https://{host}:{server.bind_addr[1]} "
                   f"(database: {database})")
        server.serve()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


@click.group()
def db() -> None:
    """Manage the server database."""


@db.command()
@with_server_app
def upgrade() -> None:
    """Upgrade the database to the newest schema (creates it if empty)."""
    from server.extensions import db as sqla
    from server.migrate import current_revision, head_revision

    # Making the server app upgrades; the command only reports.
    click.echo(f"database at revision {current_revision(sqla.engine)} "
               f"(newest: {head_revision()})")


@click.group(name="server")
def server_group() -> None:
    """Administer the sync server: devices and forms."""


@server_group.command(name="enrol-code")
@click.option("--ttl-hours", default=24.0, show_default=True, type=click.FloatRange(min=0.01),
              help="How long the code stays valid.")
@with_server_app
def enrol_code(ttl_hours: float) -> None:
    """Print a one-time code that enrols one tablet (POST /api/devices/enrol)."""
    from server.services.device_accounts import tls_pin
    from server.services.devices import create_enrolment_code

    code, expires = create_enrolment_code(ttl_hours)
    pin = tls_pin()
    click.echo(code)
    click.echo(f"valid once, until {expires:%Y-%m-%d %H:%M} UTC", err=True)
    if pin:
        click.echo(f"the server's certificate pin (type it with the code): {pin}", err=True)


@server_group.command(name="tls-next")
@click.option("--tls-name", "tls_names", metavar="NAME", multiple=True,
              help="A host name or address for the new certificate (repeat; default: "
                   "those of the current one).")
@instance_option
def tls_next(tls_names: tuple[str, ...], instance: str | None) -> None:
    """Prepare a new key and certificate for `hesabu serve --tls`. Restart the server:
    every device that syncs learns the new pin. Then run `hesabu server tls-switch`."""
    from server.app import instance_folder
    from server.tls import TlsError, prepare_next

    try:
        files = prepare_next(instance_folder(instance), tls_names)
    except TlsError as exc:
        raise click.ClickException(str(exc)) from None
    made = "made now" if files.created else "already prepared"
    click.echo(f"next certificate {files.cert} ({made})")
    click.echo(f"next pin: {files.pin}")
    click.echo("restart `hesabu serve --tls` so it announces the pin; switch once every "
               "tablet has synced (`hesabu server devices` shows when each was last seen)",
               err=True)


@server_group.command(name="tls-switch")
@instance_option
def tls_switch(instance: str | None) -> None:
    """Serve the certificate `hesabu server tls-next` prepared (restart the server after);
    the old pair is kept in <instance>/tls/previous/."""
    from server.app import instance_folder
    from server.tls import TlsError, switch_to_next

    try:
        files = switch_to_next(instance_folder(instance))
    except TlsError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"serving {files.cert} from the next start; pin {files.pin}")


@server_group.command(name="devices")
@with_server_app
def devices() -> None:
    """List enrolled devices: id, name, last seen, revoked."""
    from server.services.devices import list_devices

    for d in list_devices():
        seen = f"{d.last_seen:%Y-%m-%d %H:%M}" if d.last_seen else "never"
        state = "revoked" if d.revoked else "active"
        click.echo(f"{d.id}\t{d.name}\tlast seen {seen}\t{state}")


@server_group.command(name="revoke")
@click.argument("device_id")
@with_server_app
def revoke(device_id: str) -> None:
    """Refuse DEVICE_ID from now on (a lost or stolen tablet)."""
    from server.services.devices import revoke_device

    if not revoke_device(device_id):
        raise click.ClickException(f"no device {device_id!r}")
    click.echo(f"device {device_id} revoked")


@server_group.command(name="publish-form")
@click.argument("paths", metavar="PATH...", nargs=-1, required=True)
@with_server_app
def publish_form_command(paths: tuple[str, ...]) -> None:
    """Publish XLSForm versions so devices can pull them and push records in them.

    Publishing a version again with the same content does nothing; a changed form needs
    a new `version` in its settings sheet. Exits 1 if any form could not be published.
    """
    from forms.errors import FormError
    from forms.loader import load_form
    from server.errors import ApiError
    from server.services.forms import publish_form

    ok = True
    for path in paths:
        try:
            result = publish_form(load_form(path))
        except FormError as err:
            ok = False
            for problem in err.problems:
                if problem.is_error:
                    click.echo(f"{path}: {problem.sheet}:{problem.row}: {problem.message}",
                               err=True)
            continue
        except (ApiError, ValueError) as err:
            ok = False
            click.echo(f"{path}: {err}", err=True)
            continue
        verb = "published" if result.created else "already published"
        click.echo(f"{result.form_id} version {result.version} {verb} "
                   f"(server_seq {result.server_seq})")
    if not ok:
        raise SystemExit(1)


@server_group.command(name="demo-data")
@with_server_app
def demo_data() -> None:
    """Load the demo dataset (federations, users of every role, settlements, structures,
    households, conflicts, reviews) and print the demo logins. Running it again adds
    nothing."""
    from server.services.demo import load_demo

    summary = load_demo()
    if summary.created:
        click.echo(f"demo data loaded: {summary.settlements} settlements, "
                   f"{summary.structures} structures, {summary.households} households, "
                   f"{summary.conflicts} open conflicts, {summary.reviews} reviews")
    else:
        click.echo("demo data already loaded (nothing added)")
    click.echo("Demo logins (username / password / role):")
    for username, role, password, federation in summary.users:
        where = f"  ({federation})" if federation else ""
        click.echo(f"  {username:<18} {password:<22} {role}{where}")
