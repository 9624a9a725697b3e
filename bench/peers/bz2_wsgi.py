"""What-if for the report: Hesabu's server accepting `Content-Encoding: bzip2` push bodies.

    gunicorn -k gthread --chdir <repo> bench.peers.bz2_wsgi:app

A WSGI wrapper around the real app (server.wsgi) that turns a bzip2 body into plain JSON
before Flask sees it; everything else passes through unchanged. Measures what bz2 would
save on a slow link without touching the sync code (see docs/performance.md).
"""

from __future__ import annotations

import bz2
import io
from collections.abc import Callable, Iterable
from typing import Any

from server.wsgi import app as hesabu_app


def bz2_bodies(inner: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("HTTP_CONTENT_ENCODING", "").lower() == "bzip2":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = bz2.decompress(environ["wsgi.input"].read(length))
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            del environ["HTTP_CONTENT_ENCODING"]
        return inner(environ, start_response)

    return wrapped


app = bz2_bodies(hesabu_app)
