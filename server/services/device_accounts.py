"""Devices that belong to a person: the binding made when a device enrols with a code
made for a user (`devices.create_code_for`), the QR code a tablet scans.

QR payload (docs/accounts.md): `hesabu://enrol?server=<URL>&code=<CODE>`, the server
URL percent-encoded, the code as shown (dashes allowed), and `&pin=sha256/...` when the
server serves HTTPS with a certificate of its own (`hesabu serve --tls`; sync/pins.py).
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, urlencode

from flask import current_app

from server.extensions import db
from server.models import DeviceAccount, EnrolmentCodeAccount
from server.services.audit import Actor, audit
from server.tls import serving_pin
from sync.pins import check_pin

ENROL_SCHEME = "hesabu://enrol"


@dataclass(frozen=True)
class EnrolmentOffer:
    """A one-time code (shown once) and what the tablet scans to use it."""

    code: str
    expires_at: datetime
    payload: str
    user_id: str | None
    federation_id: str | None
    #: The server certificate's pin the payload carries (None: none needed).
    pin: str | None = None


def tls_pin() -> str | None:
    """The pin of the certificate tablets reach this server by, if they need one: set by
    `hesabu serve --tls` in its process; else $HESABU_TLS_PIN (a self-signed certificate
    at a proxy in front of gunicorn); else the one the last `hesabu serve --tls` on this
    instance noted."""
    if "HESABU_TLS_PIN" in current_app.config:
        return current_app.config["HESABU_TLS_PIN"]
    if os.environ.get("HESABU_TLS_PIN"):
        return check_pin(os.environ["HESABU_TLS_PIN"])
    return serving_pin(current_app.instance_path)


def pin_for(server_url: str, pin: str | None) -> str | None:
    """The certificate pin tablets get for `server_url`: only an https address has one."""
    return pin if pin and server_url.startswith("https://") else None


def enrolment_payload(server_url: str, code: str, pin: str | None = None) -> str:
    """The text of the QR code: `hesabu://enrol?server=...&code=...` (and `&pin=...`
    for an https address whose certificate tablets pin)."""
    fields = {"server": server_url.rstrip("/"), "code": code}
    pin = pin_for(server_url, pin)
    if pin:
        fields["pin"] = pin
    return f"{ENROL_SCHEME}?" + urlencode(fields, quote_via=quote)


def bind_enrolled_device(code_hash: str, device_id: str, client: str = "") -> None:
    """Inside enrol_device's transaction: a code made for a user binds the device to them.
    A code made on the command line binds nothing (and leaves an old binding alone).
    `client`: the enrolling device's address, for the audit log (no person acts)."""
    device = Actor(ip=client[:64])
    session = db.session
    offer = session.get(EnrolmentCodeAccount, code_hash)
    if offer is None:
        audit(device, "device.enrol", device_id, commit=False, in_federation=None,
              code="made on the command line")
        return
    audit(device, "device.enrol", device_id, commit=False,
          in_federation=offer.federation_id, for_user_id=offer.user_id,
          code_made_by=offer.created_by)
    account = session.get(DeviceAccount, device_id)
    if account is None:
        session.add(DeviceAccount(device_id=device_id, user_id=offer.user_id,
                                  federation_id=offer.federation_id))
    else:
        account.user_id, account.federation_id = offer.user_id, offer.federation_id


def qr_svg(payload: str) -> str:
    """The QR code as a standalone SVG document (black on white, a quiet zone of 4)."""
    import segno

    out = io.BytesIO()
    segno.make(payload, error="m", micro=False).save(out, kind="svg", scale=6, border=4,
                                                     xmldecl=False, title="Enrolment code")
    return out.getvalue().decode("utf-8")


def qr_png(payload: str) -> bytes:
    import segno

    out = io.BytesIO()
    segno.make(payload, error="m", micro=False).save(out, kind="png", scale=8, border=4)
    return out.getvalue()
