"""`hesabu serve`'s HTTP server: waitress, with the errors it answers itself in the
API's one JSON error shape.

waitress answers some requests before the app sees them: a body over its
`max_request_body_size`, headers too large, a request it cannot parse, a crash. Its
own answers are plain text; a client that branches on `error.code` got no code (a push
over the limit was a plain-text 413). Here they are the shape of server/errors.py.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer, create_server
from waitress.task import ErrorTask

from server.errors import ERRORS, error_document, too_large_code, too_large_details

#: The error code of each status waitress answers by itself.
_CODES = {400: "request.bad", 431: "request.bad", 501: "request.bad",
          500: "server.internal"}


def _json_error_channel(max_bytes: int) -> type[HTTPChannel]:
    """An HTTPChannel whose own error answers are JSON (`max_bytes`: the app's limit,
    given in a 413's details like the app's own 413)."""

    class JsonErrorTask(ErrorTask):
        def execute(self) -> None:
            error = self.request.error
            if error.code == 413:
                code = too_large_code(self.request.path or "/")
                message, details = too_large_details(max_bytes)
            else:
                code = _CODES.get(error.code, "request.bad")
                message, details = ERRORS[code].meaning, {}
            body = json.dumps(error_document(code, message, details)).encode()
            self.status = f"{error.code} {error.reason}"
            self.response_headers.append(("Content-Type", "application/json"))
            self.set_close_on_finish()
            self.content_length = len(body)
            self.write(body)

    return type("JsonErrorChannel", (HTTPChannel,), {"error_task_class": JsonErrorTask})


def serve(app: Flask, host: str, port: int, **options: Any) -> None:
    """Serve `app` until interrupted (options: waitress's, e.g. threads)."""
    max_bytes = int(app.config["MAX_CONTENT_LENGTH"])
    # A little over the app's limit: a body between the two reaches the app, which
    # answers 413 itself; waitress stops anything larger before buffering it all.
    server = create_server(app, host=host, port=port,
                           max_request_body_size=max_bytes + 1024, **options)
    channel = _json_error_channel(max_bytes)
    listeners = [server] if isinstance(server, BaseWSGIServer) else \
        [s for s in server.map.values() if isinstance(s, BaseWSGIServer)]
    for listener in listeners:
        listener.channel_class = channel
    server.run()
