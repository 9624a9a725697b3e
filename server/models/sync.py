"""The op log, the server sequence counter, and the ops this server refused."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.models.types import DEVICE_LEN, HLC_LEN, UUID_LEN, StoredJSON, UtcDateTime, utcnow


class Op(db.Model):
    """Every op ever received, exactly as sent (`payload` is its wire form).

    `server_seq` is the op's position in the change feed devices pull; `pushed_by` is
    the device that delivered it (a hub delivers ops written by other devices).
    """

    __tablename__ = "ops"

    op_id: Mapped[str] = mapped_column(String(UUID_LEN), primary_key=True)
    server_seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    device_id: Mapped[str] = mapped_column(String(100))
    pushed_by: Mapped[str] = mapped_column(String(DEVICE_LEN))
    record_id: Mapped[str] = mapped_column(String(UUID_LEN), index=True)
    form_id: Mapped[str] = mapped_column(String(100))
    form_version: Mapped[str] = mapped_column(String(100))
    hlc: Mapped[str] = mapped_column(String(HLC_LEN))
    kind: Mapped[str] = mapped_column(String(10))
    payload: Mapped[dict[str, Any]] = mapped_column(StoredJSON)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class ServerSeq(db.Model):
    """The single-row counter behind `server_seq`.

    A writer locks this row first and keeps the lock until it commits, so sequence
    numbers become visible in the order they were handed out: a puller that has seen
    N has seen everything below N.
    """

    __tablename__ = "server_seq"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


class OpRefusal(db.Model):
    """An op this server did not apply, per device that sent it: what a leader sees on
    the devices page (the tablet keeps the op, with the same reason).

    `device_id` is the enrolled device the op came from (for a bundle, its signer).
    On a hub, `upstream` rows are refusals by the upstream server of ops the hub relays
    for that device. A row goes when the op is accepted from that device.
    """

    __tablename__ = "op_refusals"

    device_id: Mapped[str] = mapped_column(String(DEVICE_LEN), primary_key=True)
    op_id: Mapped[str] = mapped_column(String(UUID_LEN), primary_key=True)
    code: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text)
    retryable: Mapped[bool] = mapped_column()
    upstream: Mapped[bool] = mapped_column(default=False)
    refused_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
