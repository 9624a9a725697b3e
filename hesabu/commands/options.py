"""What the commands that work on a server's database share: `--database-url`,
`--instance`, and running inside the server app (as Flask's `with_appcontext`).

    @server_group.command(name="devices")
    @with_server_app
    def devices() -> None:
        for d in list_devices(): ...

The server's modules are imported only when a command runs: the server's dependencies
are optional extras, and a tablet-only install still runs `hesabu sync`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import click

R = TypeVar("R")

database_option = click.option(
    "--database-url", "database_url", metavar="URL", default=None,
    help="SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db "
         "(default: $HESABU_DATABASE_URL, else instance/hesabu.db).")
instance_option = click.option(
    "--instance", "instance", metavar="DIR", default=None,
    help="Folder for the SQLite file and attachments (default: ./instance).")


def server_app(database_url: str | None, instance: str | None, **extra: Any) -> Any:
    """The server's Flask app for these options (its database upgraded to the newest
    schema); `extra`: more configuration."""
    from server.app import create_app  # the server's dependencies are optional extras

    config: dict[str, Any] = dict(extra)
    if database_url:
        config["SQLALCHEMY_DATABASE_URI"] = database_url
    if instance:
        config["INSTANCE_PATH"] = instance
    return create_app(config)


def in_server_app(database_url: str | None, instance: str | None, job: Callable[[], R]) -> R:
    """`job()` inside the server app's context, its database connections closed after.

    For a command that needs the server only on some paths (`hesabu bundle import`
    without `--store`); a command that always does takes `@with_server_app`.
    """
    app = server_app(database_url, instance)
    with app.app_context():
        from server.extensions import db, expect_writes  # needs the server, as above

        try:
            # A command that reads and then writes takes SQLite's write lock at the start
            # of each transaction: it waits for tablets' pushes instead of failing.
            with expect_writes():
                return job()
        finally:
            db.session.remove()
            db.engine.dispose()


def with_server_app(command: Callable[..., R]) -> Callable[..., R]:
    """Give a command `--database-url` and `--instance` and run its body inside the
    server app (see `in_server_app`); the body does not receive the two options."""

    @database_option
    @instance_option
    @functools.wraps(command)
    def run(*args: Any, database_url: str | None, instance: str | None, **kwargs: Any) -> R:
        return in_server_app(database_url, instance, lambda: command(*args, **kwargs))

    return run
