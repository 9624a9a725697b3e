"""`hesabu server collect-access`: give a person access for ODK Collect, Kobo Collect or
Enketo (docs/openrosa.md)."""

from __future__ import annotations

import click

from hesabu.commands.options import with_server_app


@click.command(name="collect-access")
@click.argument("username")
@click.option("--url", "server_url", required=True, metavar="URL",
              help="The server's address as phones reach it, e.g. https://hesabu.example.org")
@with_server_app
def collect_access_command(username: str, server_url: str) -> None:
    """Print the server URL, username and password that USERNAME types into ODK Collect
    (or the URL with their key, nothing else to type). Running it again gives a new
    password and key; the old ones stop working."""
    from server.errors import ApiError
    from server.services.openrosa_auth import issue_access

    try:
        access = issue_access(None, username, server_url)
    except ApiError as err:
        raise click.ClickException(err.message) from None
    click.echo(f"ODK Collect / Kobo Collect settings for {access.username}:\n"
               f"  either: server URL {access.token_url}\n"
               f"          (nothing else to type)\n"
               f"  or:     server URL {access.server_url}\n"
               f"          username   {access.username}\n"
               f"          password   {access.password}\n"
               f"Shown once. Its submissions are written as device {access.device_id}; "
               f"`hesabu server revoke {access.device_id}` stops it.")
