"""Bundle tests: the central server on SQLite and on PostgreSQL, tablets as real stores."""

from harness import central, central_url

__all__ = ["central", "central_url"]
