"""Devices that belong to a person: enrolment codes made for a user, the binding made
when the device enrols with one, the QR code a tablet scans.

QR payload (docs/accounts.md): `hesabu://enrol?server=<URL>&code=<CODE>`, the server
URL percent-encoded, the code as shown (dashes allowed), and `&pin=sha256/...` when the
server serves HTTPS with a certificate of its own (`hesabu serve --tls`; sync/pins.py).
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from flask import current_app

from server.extensions import db
from server.models import DeviceAccount, EnrolmentCodeAccount, User
from sync.pins import check_pin

ENROL_SCHEME = "hesabu://enrol"


class _Nobody:
    """The actor of an enrolment: a device with a code, not a logged-in person."""

    id = None
    username = ""
    federation_id = None


_NOBODY = _Nobody()


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
    from server.tls import serving_pin

    if "HESABU_TLS_PIN" in current_app.config:
        return current_app.config["HESABU_TLS_PIN"]
    if os.environ.get("HESABU_TLS_PIN"):
        return check_pin(os.environ["HESABU_TLS_PIN"])
    return serving_pin(current_app.instance_path)


def enrolment_payload(server_url: str, code: str, pin: str | None = None) -> str:
    """The text of the QR code: `hesabu://enrol?server=...&code=...` (and `&pin=...`
    for an https address whose certificate tablets pin)."""
    fields = {"server": server_url.rstrip("/"), "code": code}
    if pin and server_url.startswith("https://"):
        fields["pin"] = pin
    return f"{ENROL_SCHEME}?" + urlencode(fields, quote_via=quote)


def create_code_for(user: User, server_url: str, ttl_hours: float,
                    created_by: str | None) -> EnrolmentOffer:
    """An enrolment code that enrols one device for `user` (and their federation)."""
    from server.services.devices import _digest, create_enrolment_code, normalise_code

    code, expires = create_enrolment_code(ttl_hours)
    db.session.add(EnrolmentCodeAccount(code_hash=_digest(normalise_code(code)),
                                        user_id=user.id, federation_id=user.federation_id,
                                        created_by=created_by))
    db.session.commit()
    payload = enrolment_payload(server_url, code, tls_pin())
    pin = parse_qs(urlsplit(payload).query).get("pin", [None])[0]
    return EnrolmentOffer(code, expires, payload, user.id, user.federation_id, pin)


def bind_enrolled_device(code_hash: str, device_id: str) -> None:
    """Inside enrol_device's transaction: a code made for a user binds the device to them.
    A code made on the command line binds nothing (and leaves an old binding alone)."""
    from server.services.audit import audit

    session = db.session
    offer = session.get(EnrolmentCodeAccount, code_hash)
    if offer is None:
        audit("device.enrol", device_id, user=_NOBODY, commit=False, in_federation=None,
              code="made on the command line")
        return
    audit("device.enrol", device_id, user=_NOBODY, commit=False,
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
