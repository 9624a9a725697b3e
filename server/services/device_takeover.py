"""Who may enrol a device id that is already enrolled (issue 14: device takeover).

Enrolling an id again gives it a new token and ends the old one, so it must not be
possible to take another federation's tablet by naming its id (demo ids such as
`tab-amina` are easy to guess). An id that is already enrolled may be enrolled again
only

- with a code of the device's own federation, or an admin's code (made by or for an
  admin, or on the command line by whoever runs the server); a device enrolled without
  a federation (a command-line code) counts as the operator's, and
- by the device itself, when it has registered a key: the request carries the same
  public key and its signature of `sync.bundle_crypto.enrolment_proof_message` (the
  one-time code, id and key; the field app and `hesabu hub link` send it), or the
  device's current token (`Authorization: Bearer`, for a client that cannot sign). A
  registered key never changes by enrolment.

A device that never registered a key (apps before bundles, the demo's seeded devices)
registers the one it sends now. A new id needs no proof; a signature sent with one must
still be right.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from server.auth.roles import Role
from server.errors import ApiError
from server.extensions import db
from server.models import Device, DeviceAccount, DeviceKey, EnrolmentCodeAccount, User
from sync import bundle_crypto


@dataclass(frozen=True)
class EnrolProof:
    """What an enrolment request says about the device beyond its id."""

    code: str
    public_key: str | None = None
    signature: str | None = None
    #: The `Authorization` header, if the device sent its current token.
    authorization: str | None = None

    def signed(self, device_id: str, key: str) -> bool:
        if self.public_key != key or not self.signature:
            return False
        return bundle_crypto.verify(
            key, bytes.fromhex(self.signature),
            bundle_crypto.enrolment_proof_message(self.code, device_id, key))

    def holds_token(self, token_hash: str) -> bool:
        scheme, _, token = (self.authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return False
        sent = hashlib.sha256(token.strip().encode("utf-8")).hexdigest()
        return hmac.compare_digest(sent, token_hash)


def _taken(device_id: str, why: str) -> ApiError:
    return ApiError("auth.device_taken",
                    f"device id {device_id} is already enrolled and {why}. A new tablet "
                    "makes its own id; to enrol this one again, use a code from its own "
                    "federation (or an admin) on the tablet itself")


def _admins_code(offer: EnrolmentCodeAccount | None) -> bool:
    """A code made on the command line, for an admin, or by an admin."""
    if offer is None or offer.federation_id is None:
        return True
    maker = db.session.get(User, offer.created_by) if offer.created_by else None
    return maker is not None and maker.role == Role.ADMIN.value


def check_enrolment(device: Device, fresh: bool, code_hash: str, proof: EnrolProof) -> None:
    """Inside enrol_device's transaction, the device row locked: ApiError
    `auth.device_taken` when this enrolment may not take `device`'s id."""
    session = db.session
    if proof.signature and proof.public_key and not proof.signed(device.id, proof.public_key):
        raise ApiError("request.invalid", "the signature does not match the public key",
                       details={"fields": {"signature": ["not a signature of this "
                                                         "enrolment by public_key"]}})
    if fresh:
        return
    offer = session.get(EnrolmentCodeAccount, code_hash)
    if not _admins_code(offer):
        assert offer is not None
        account = session.get(DeviceAccount, device.id)
        if account is None or account.federation_id != offer.federation_id:
            raise _taken(device.id, "belongs to another federation (or to the server's "
                                    "operator)")
    key = session.get(DeviceKey, device.id)
    if key is None:
        return
    if proof.public_key not in (None, key.public_key):
        raise _taken(device.id, "has another key")
    if not (proof.signed(device.id, key.public_key) or proof.holds_token(device.token_hash)):
        raise _taken(device.id, "this request does not prove it comes from that device "
                                "(no signature by its key, no current token)")
