"""The certificate pins a tablet trusts its server by (see sync/pins.py).

They come with the enrolment code (the QR code's `pin=`) and are kept in the store's
settings with the server address they belong to: a sync with that server uses them on
every connection (client.transport), a sync with any other address does not.

A new certificate reaches the tablet while the old one is still served: the server
announces the next pin on its answers to this device (over the connection pinned to
the current certificate, with the device's token), and `learn_pins` keeps both. Once the
server serves the new one, the first sync that connects by it drops the old pin.
"""

from __future__ import annotations

from collections.abc import Iterable

from client.transport import HttpTransport
from field_app.core.store import Store
from sync.pins import pins_after

SETTING = "tls:pins"


def server_pins(store: Store, server_url: str | None = None) -> tuple[str, ...]:
    """The pins of `server_url` (default: the enrolled server), () when it has none."""
    url = (server_url or store.device.server_url or "").rstrip("/")
    kept = store.get_setting(SETTING)
    if not isinstance(kept, dict) or kept.get("server") != url or not url:
        return ()
    pins = kept.get("pins")
    return tuple(p for p in pins if isinstance(p, str)) if isinstance(pins, list) else ()


def keep_pins(store: Store, server_url: str, pins: Iterable[str]) -> None:
    """Trust `server_url` by `pins` from now on (none: by the CA bundle)."""
    store.set_setting(SETTING, {"server": server_url.rstrip("/"), "pins": list(pins)})


def learn_pins(store: Store, transport: HttpTransport) -> tuple[str, ...]:
    """After a sync: keep the pin the server matched and the next one it announced
    (the pins this device trusts from now on, returned)."""
    pins = server_pins(store, transport.base_url)
    if not transport.pins:
        return pins
    learned = pins_after(pins, transport.pin_used, transport.next_pin)
    if learned != pins:
        keep_pins(store, transport.base_url, learned)
    return learned
