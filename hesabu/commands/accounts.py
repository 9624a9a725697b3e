"""`hesabu server create-federation`, `hesabu server create-user`: accounts from the shell
(the first admin has no one to create them on the web)."""

from __future__ import annotations

import click

from hesabu.commands.options import with_server_app

_ROLES = ("admin", "leader", "enumerator", "official")


@click.command(name="create-federation")
@click.argument("name")
@click.option("--country", default="", help="Country of the federation.")
@click.option("--city", default="", help="City (or region) it profiles.")
@with_server_app
def create_federation_command(name: str, country: str, city: str) -> None:
    """Create a federation called NAME and print its id."""
    from server.services.accounts import AccountError, create_federation

    try:
        click.echo(create_federation(name, country, city).id)
    except AccountError as err:
        raise click.ClickException(str(err)) from None


@click.command(name="create-user")
@click.argument("username")
@click.option("--role", type=click.Choice(_ROLES), required=True, help="What the user does.")
@click.option("--federation", default=None, metavar="NAME_OR_ID",
              help="Their federation (every role but admin needs one).")
@click.option("--name", "display_name", default="", help="Full name shown on pages.")
@click.option("--password", default=None, hide_input=True, confirmation_prompt=True,
              prompt=True, prompt_required=False,
              help="Password (asked for without echo when not given; $HESABU_PASSWORD "
                   "also works).", envvar="HESABU_PASSWORD")
@with_server_app
def create_user_command(username: str, role: str, federation: str | None, display_name: str,
                        password: str | None) -> None:
    """Create a user who logs in at /login, e.g. the first admin:

        hesabu server create-user amina --role admin
    """
    from server.services.accounts import AccountError, create_user, find_federation
    from server.services.audit import NOBODY, audit

    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)

    federation_id = None
    if federation:
        found = find_federation(federation)
        if found is None:
            raise click.ClickException(f"no federation {federation!r}; create it with "
                                       "`hesabu server create-federation`")
        federation_id = found.id
    try:
        user = create_user(username, password, role, federation_id, display_name)
    except AccountError as err:
        raise click.ClickException(str(err)) from None
    audit(NOBODY, "user.create", user.username, role=user.role, via="command line")
    click.echo(f"{user.role} {user.username} created (id {user.id})")
