"""Looking rows up by many ids at once: `column IN (ids)` in one statement, whatever
the number of ids.

A push looks up its records, their open conflicts, the stored ops it may replay and the
scopes of its records by the ids of a batch (a thousand or more). The ids travel as
one parameter, a JSON array, that the database unpacks itself:
`column IN (SELECT ... FROM json_array_elements_text(:ids))` on PostgreSQL,
`column IN (SELECT value FROM json_each(:ids))` on SQLite. So the statement's text is
the same for any number of ids (SQLAlchemy compiles it once; PostgreSQL parses it the
same way), and no per-id parameter is built on either side.

Measured for 1,000 ids on PostgreSQL 15: 3.3 ms as an `= ANY(:array)` parameter, most of
it psycopg adapting the list, against 1.1 ms as JSON text (3.6 against 4.9 ms on a
table of 300,000 rows, where the index is probed per id). On SQLite, `IN` lists of 400
parameters cost SQLAlchemy more to render than SQLite to run, and three statements per
thousand ids instead of one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import JSON, ColumnElement, Text, bindparam, cast, func, select

from server.extensions import db
from server.services.rows import compact_json

#: How many (record, path) pairs go in one `IN` list of tuples (push's open conflicts):
#: those are not single ids, and stay well within SQLite's parameter limit.
CHUNK = 400


def among(column: Any, ids: Iterable[Any]) -> list[ColumnElement[bool]]:
    """Conditions that together select the rows whose `column` is one of `ids` (strings
    or integers): one condition, so one statement, for any number of ids. A list, empty
    for no ids, so that a caller's `for where in among(...)` runs no statement then."""
    wanted = list(ids)
    if not wanted:
        return []
    as_json = bindparam(None, compact_json(wanted), type_=Text)
    if db.session.get_bind().dialect.name == "postgresql":
        items = func.json_array_elements_text(cast(as_json, JSON)).table_valued("value")
        return [column.in_(select(cast(items.c.value, column.type)))]
    items = func.json_each(as_json).table_valued("value")
    return [column.in_(select(items.c.value))]
