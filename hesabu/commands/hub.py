"""`hesabu hub ...`: link an office hub to its upstream server, sync it, check it.

Run `link`, `sync-once` and `status` with the hub's --instance/--database-url; run
`allow` on the central server. `hesabu serve --hub --upstream URL` runs the hub with a
background upstream sync (docs/bundles-and-hub.md).
"""

from __future__ import annotations

import json
import secrets
import sys
from typing import Any

import click

from hesabu.commands.options import with_server_app


@click.group()
def hub() -> None:
    """Office hub: relay tablets' data to the central server when a link appears."""


@hub.command("link")
@click.option("--upstream", "upstream_url", required=True, metavar="URL",
              help="The central server, e.g. https://hesabu.example.org")
@click.option("--code", required=True, help="An enrolment code from the central server.")
@click.option("--hub-id", default=None, help="This hub's device id upstream "
              "(default: hub-<random>).")
@click.option("--name", default="office hub", show_default=True, help="A recognisable name.")
@click.option("--cert-pin", "pin", default=None, help="The central server's certificate pin "
              "(sha256/..., printed by its `hesabu serve --tls` and `hesabu server "
              "enrol-code`): trusted instead of an authority. Not needed for a central "
              "server with a certificate from a known authority.")
@with_server_app
def link_command(upstream_url: str, code: str, hub_id: str | None, name: str,
                 pin: str | None = None) -> None:
    """Enrol this hub with the central server (then ask its admin to run
    `hesabu hub allow HUB_ID` there)."""
    from client.errors import SyncError
    from server.services.bundles import server_private_key, server_public_key
    from server.services.hub import link_hub
    from sync.pins import PinError, check_pin

    hub_id = hub_id or f"hub-{secrets.token_hex(4)}"
    try:
        pin = check_pin(pin) if pin else None
    except PinError as exc:
        raise click.BadParameter(str(exc), param_hint="--cert-pin") from None
    try:
        link_hub(upstream_url, code, hub_id, name, public_key=server_public_key(),
                 private_key=server_private_key(), pin=pin)
    except SyncError as exc:
        raise click.ClickException(f"could not enrol with {upstream_url}: {exc}") from None
    click.echo(f"hub {hub_id} linked to {upstream_url}")
    click.echo(f"on the central server, run: hesabu hub allow {hub_id}", err=True)


@hub.command("allow")
@click.argument("hub_id")
@with_server_app
def allow_command(hub_id: str) -> None:
    """On the central server: let the enrolled device HUB_ID relay other devices' ops."""
    from server.services.hub import allow_relay

    allow_relay(hub_id)
    click.echo(f"{hub_id} may relay ops of other devices")


@hub.command("sync-once")
@with_server_app
def sync_once_command() -> None:
    """Push, upload files and pull once; prints JSON, exits 1 if the link failed."""
    from server.errors import ApiError
    from server.services.hub import sync_once

    try:
        result = sync_once()
    except ApiError as exc:
        raise click.ClickException(f"[{exc.code}] {exc.message}") from None
    click.echo(json.dumps(result.to_wire()))
    if not result.ok:
        sys.exit(1)


@hub.command("status")
@with_server_app
def status_command() -> None:
    """The upstream link as JSON: last success, waiting ops and files, last error."""
    from server.services.hub import hub_status

    click.echo(json.dumps(hub_status()))


def start_hub(app: Any, upstream_url: str | None) -> Any:
    """For `hesabu serve --hub`: point the link at `upstream_url` and start the
    background worker (returns it)."""
    from server.errors import ApiError
    from server.extensions import db
    from server.services.hub import HubWorker, hub_status, set_upstream

    with app.app_context():
        try:
            if upstream_url:
                set_upstream(upstream_url)
            status = hub_status()
        except ApiError as exc:
            raise click.ClickException(f"[{exc.code}] {exc.message}") from None
        finally:
            db.session.remove()
    click.echo(f"hub {status['hub_device_id']}: syncing with {status['upstream_url']} "
               "in the background (status: /api/hub/status)")
    return HubWorker(app).start()
