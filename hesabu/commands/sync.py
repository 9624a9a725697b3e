"""`hesabu sync` and `hesabu device ...`: a device store driven from the shell.

Useful for a hub operator, for tests and benchmarks, and for support staff looking at
a tablet's database: the same store and sync client as the app, without the screens.
"""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path
from typing import Any

import click

from client.api import SyncApi
from client.errors import SyncError
from client.transport import HttpTransport
from field_app.core import encryption, outbox
from field_app.core.errors import StoreError
from field_app.core.integrity import check_store
from field_app.core.pins import server_pins
from field_app.core.store import Store, open_store
from field_app.core.sync_runner import SyncOptions, enrol, run_sync
from field_app.core.vault import VaultError
from sync.pins import PinError, check_pin

STORE_OPTION = click.option("--store", "store_path", required=True,
                            type=click.Path(dir_okay=False, path_type=Path),
                            help="The device store (an SQLite file).")


def unlock_options(command: Any) -> Any:
    """--pin and --recovery-key: what opens an encrypted store (docs/device-store.md)."""
    command = click.option(
        "--recovery-key", envvar="HESABU_RECOVERY_KEY",
        help="An encrypted store's recovery key (the leader's, shown when its PIN was "
             "chosen); also $HESABU_RECOVERY_KEY.")(command)
    return click.option("--pin", envvar="HESABU_PIN",
                        help="An encrypted store's PIN; also $HESABU_PIN.")(command)


def open_unlocked(store_path: Path, pin: str | None = None,
                  recovery_key: str | None = None, **kwargs: Any) -> Store:
    """Open a store, unlocked with the PIN or the recovery key if it is encrypted."""
    store = open_store(store_path, **kwargs)
    if not store.encrypted:
        return store
    try:
        if recovery_key:
            opened = encryption.unlock_with_recovery(store, recovery_key)
            what = "recovery key"
        elif pin:
            opened = encryption.unlock(store, pin)
            what = "PIN"
        else:
            raise click.ClickException(
                f"{store_path} is encrypted: pass --pin, or a leader's --recovery-key")
        if not opened:
            raise click.ClickException(f"this {what} does not open {store_path}")
    except VaultError as exc:
        store.close()
        raise click.ClickException(str(exc)) from exc
    except click.ClickException:
        store.close()
        raise
    return store


def _progress(phase: str, done: int, total: int) -> None:
    click.echo(f"  {phase}: {done}/{total}", err=True)


@click.command()
@STORE_OPTION
@click.option("--server", "server_url", help="Server address, e.g. http://hub.local:5000 "
              "(remembered in the store).")
@click.option("--enrol-code", help="One-time code from a federation leader (first sync).")
@click.option("--cert-pin", default=None, help="With --enrol-code: the server certificate's "
              "pin (sha256/..., printed by `hesabu serve --tls`), trusted instead of a CA.")
@click.option("--batch", "max_ops", type=click.IntRange(1), default=SyncOptions.max_ops,
              show_default=True, help="At most this many ops per push request.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--quiet", is_flag=True, help="No progress lines on stderr.")
@unlock_options
def sync(store_path: Path, server_url: str | None, enrol_code: str | None, max_ops: int,
         as_json: bool, quiet: bool, pin: str | None, recovery_key: str | None,
         cert_pin: str | None = None) -> None:
    """Sync a device store with a server: push its outbox, pull changes, upload files.

    Exits 0 when everything went through, 1 when something needs attention.
    """
    if not store_path.exists():
        raise click.ClickException(f"no store at {store_path}; create it with "
                                   f"`hesabu device init --store {store_path}`")
    if cert_pin and not enrol_code:
        raise click.UsageError("--cert-pin goes with --enrol-code: an enrolled device keeps "
                               "the pin it was enrolled with (and the server's next one)")
    store = open_unlocked(store_path, pin, recovery_key)
    try:
        url = server_url or store.device.server_url
        if not url:
            raise click.ClickException("no server known for this store: pass --server URL")
        if server_url:
            store.set_server(url=server_url)
        try:
            pins = ((check_pin(cert_pin),) if cert_pin and enrol_code
                    else server_pins(store, url))
        except PinError as exc:
            raise click.BadParameter(str(exc), param_hint="--cert-pin") from None
        with HttpTransport(url, store.device.token, pins=pins) as transport:
            api = SyncApi(transport)
            try:
                if enrol_code:
                    enrol(store, api, enrol_code)
                elif not store.device.enrolled:
                    raise click.ClickException("this device is not enrolled: pass --enrol-code")
                summary = run_sync(store, api, options=SyncOptions(max_ops=max_ops),
                                   progress=None if quiet else _progress,
                                   cancel=threading.Event())
            except (SyncError, StoreError) as exc:
                raise click.ClickException(str(exc)) from exc
        if as_json:
            click.echo(json.dumps({
                "sent": summary.sent, "received": summary.received,
                "conflicts": summary.conflicts, "ok": summary.ok,
                "rejected": [r.to_wire() for r in summary.rejected],
                "errors": list(summary.errors), "text": summary.describe(),
                "requests": transport.stats.requests,
                "bytes_sent": transport.stats.bytes_sent,
                "bytes_received": transport.stats.bytes_received}))
        else:
            click.echo(summary.describe())
    finally:
        store.close()
    if not summary.ok:
        sys.exit(1)


@click.group()
def device() -> None:
    """Create and inspect device stores (the tablet's database)."""


@device.command("init")
@STORE_OPTION
@click.option("--name", default="", help="A name people recognise, e.g. 'Kibera tablet 3'.")
@click.option("--server", "server_url", help="Server address to remember.")
def device_init(store_path: Path, name: str, server_url: str | None) -> None:
    """Create a device store (or open an existing one) and print its device id."""
    store = open_store(store_path, device_name=name)
    try:
        if server_url or name:
            store.set_server(url=server_url, name=name or None)
        click.echo(store.device.device_id)
    finally:
        store.close()


@device.command("status")
@STORE_OPTION
def device_status(store_path: Path) -> None:
    """Show a store's identity, server, waiting changes, cursor and open conflicts."""
    if not store_path.exists():
        raise click.ClickException(f"no store at {store_path}")
    store = open_store(store_path)
    try:
        d, c = store.device, outbox.counts(store)
        conflicts = store.query("SELECT count(*) AS n FROM fields WHERE conflict = 1")[0]["n"]
        records = store.query("SELECT count(*) AS n FROM records WHERE deleted = 0")[0]["n"]
        for label, value in [
            ("device", f"{d.device_id} {d.name}".strip()),
            ("server", d.server_url or "-"),
            ("enrolled", "yes" if d.enrolled else "no"),
            ("records", records),
            ("to send", c.ready),
            ("drafts held", c.held),
            ("refused", c.parked),
            ("pull cursor", store.cursor()),
            ("conflicts", conflicts),
        ]:
            click.echo(f"{label:>12}: {value}")
        _echo_refusals(outbox.errors(store))
    finally:
        store.close()


def _echo_refusals(errors: list[dict]) -> None:
    """The server's reasons for the changes it refused, one line per reason."""
    groups: dict[tuple[bool, str], list[str]] = {}
    for row in errors:
        error = row["last_error"]
        groups.setdefault((row["ready"] == outbox.PARKED, str(error.get("code"))),
                          []).append(str(error.get("message")))
    for parked, title in ((True, "refused, kept aside (send them again with `hesabu device "
                                 "resend` once the cause is fixed)"),
                          (False, "refused for now, sent again at each sync")):
        found = [(code, messages) for (p, code), messages in sorted(groups.items()) if p == parked]
        if found:
            click.echo(f"{title}:")
        for code, messages in found:
            click.echo(f"  {len(messages)} x [{code}] {messages[-1]}")


@device.command("resend")
@STORE_OPTION
def device_resend(store_path: Path) -> None:
    """Send refused changes again: they go back in the queue for the next sync or bundle
    (once a leader fixed what made the server refuse them)."""
    if not store_path.exists():
        raise click.ClickException(f"no store at {store_path}")
    store = open_store(store_path)
    try:
        count = outbox.send_again(store)
    finally:
        store.close()
    click.echo(f"{count} refused changes will be sent again at the next sync or bundle export")


@device.command("check")
@STORE_OPTION
@unlock_options
def device_check(store_path: Path, pin: str | None, recovery_key: str | None) -> None:
    """Check a store: SQLite integrity and every edit with its op. Exits 1 on problems."""
    if not store_path.exists():
        raise click.ClickException(f"no store at {store_path}")
    store = open_unlocked(store_path, pin, recovery_key)
    try:
        problems = check_store(store)
    finally:
        store.close()
    for p in problems:
        click.echo(p)
    click.echo("ok" if not problems else f"{len(problems)} problems")
    if problems:
        sys.exit(1)


@device.command("recover")
@STORE_OPTION
@click.option("--recovery-key", envvar="HESABU_RECOVERY_KEY", required=True,
              help="The recovery key shown when the store's PIN was chosen.")
@click.option("--new-pin", required=True, help="The PIN that opens the store from now on.")
def device_recover(store_path: Path, recovery_key: str, new_pin: str) -> None:
    """A forgotten PIN: open an encrypted store with its recovery key and set a new PIN.

    For a copy of a tablet's store on a computer (the app's "Forgot the PIN?" does the
    same on the tablet). `hesabu sync` and `hesabu bundle export` also take
    --recovery-key, to send what the tablet had not sent yet.
    """
    from field_app.core.app_state import AppState, BadPinError

    if not store_path.exists():
        raise click.ClickException(f"no store at {store_path}")
    store = open_unlocked(store_path, recovery_key=recovery_key)
    try:
        if not store.encrypted:
            raise click.ClickException(f"{store_path} is not encrypted")
        AppState(store).set_pin(new_pin)
        waiting = outbox.counts(store)
    except BadPinError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        store.close()
    click.echo(f"new PIN set; {waiting.ready} changes and {waiting.held} drafts are waiting "
               "to be sent")
