"""Looking rows up by many ids at once: `column IN (ids)` in as few statements as the
database allows.

A push looks up its records, their open conflicts, the stored ops it may replay and the
scopes of its records by the ids of a batch (a thousand or more). On PostgreSQL one
`column = ANY(:ids)` takes them all as a single array parameter, so the statement's text,
its parsing and its plan are the same for any number of ids: as an `IN` list of 400
parameters each statement cost about 2 ms of query building and planning, a third of a
push's database time. SQLite has no arrays; there `IN` lists of at most `CHUNK` ids keep
well within its parameter limit (and cost it little).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, any_, bindparam

from server.extensions import db

#: Ids per `IN (...)` list where arrays are not available.
CHUNK = 400


def among(column: Any, ids: Iterable[Any]) -> list[ColumnElement[bool]]:
    """Conditions that together select the rows whose `column` is one of `ids`: run one
    statement per condition (none for no ids)."""
    wanted = list(ids)
    if not wanted:
        return []
    if db.session.get_bind().dialect.name == "postgresql":
        return [column == any_(bindparam(None, wanted, type_=ARRAY(column.type)))]
    return [column.in_(wanted[start:start + CHUNK]) for start in range(0, len(wanted), CHUNK)]
