"""The `hesabu` command line: the front door to every part of the system.

Each part registers its command group here; the groups live in `hesabu/commands/`
so this file stays a table of contents.
"""

from __future__ import annotations

import click

from hesabu import __version__
from hesabu.commands.accounts import create_federation_command, create_user_command
from hesabu.commands.app import app_command
from hesabu.commands.bundle import bundle
from hesabu.commands.collect import collect_access_command
from hesabu.commands.forms import forms
from hesabu.commands.hub import hub
from hesabu.commands.import_exports import import_group
from hesabu.commands.server import db, serve, server_group
from hesabu.commands.sync import device, sync


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hesabu")
def main() -> None:
    """Hesabu: offline-first data collection for settlement profiling."""


main.add_command(forms)
main.add_command(serve)
main.add_command(db)
main.add_command(server_group)
server_group.add_command(create_federation_command)
server_group.add_command(create_user_command)
server_group.add_command(collect_access_command)
main.add_command(sync)
main.add_command(device)
main.add_command(bundle)
main.add_command(app_command)
main.add_command(hub)
main.add_command(import_group)


if __name__ == "__main__":  # pragma: no cover
    main()
