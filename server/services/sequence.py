"""Handing out server sequence numbers without gaps or reordering.

A writer locks the counter row at the start of its transaction and keeps the lock
until commit (SELECT ... FOR UPDATE on PostgreSQL; BEGIN IMMEDIATE already holds the
whole database on SQLite). So transactions that take numbers commit one after the
other in number order, and any snapshot a puller reads shows a prefix 1..N of the
numbers: it can never see N+1 before N.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.extensions import begin_write
from server.models import ServerSeq

_ROW = 1


class SequenceLock:
    """The locked counter of one write transaction."""

    def __init__(self, session: Session) -> None:
        begin_write(session)
        self._row = session.execute(
            select(ServerSeq).where(ServerSeq.id == _ROW).with_for_update()
        ).scalar_one()

    @property
    def current(self) -> int:
        return self._row.value

    def next(self) -> int:
        self._row.value += 1
        return self._row.value

    def advance(self, count: int) -> None:
        """Hand out `count` numbers at once: `current + 1` ... `current + count`, which
        the caller has already used (a push numbers its ops as it applies them and
        stores the counter once, not once per op)."""
        if count:
            self._row.value += count


def current_seq(session: Session) -> int:
    """The highest number handed out and committed, as this transaction sees it."""
    return session.execute(select(ServerSeq.value).where(ServerSeq.id == _ROW)).scalar_one()
