"""The access log: one line per request, on the logger `hesabu.access`.

    127.0.0.1 leader.nairobi "GET /records/" 200 5120 12.4ms
    10.0.0.7 device:tab-amina "POST /api/sync/push" 200 311 48.0ms

Who is the logged-in user's username, `device:<id>` for an enrolled device, else "-";
the size is the body's bytes ("-" when streamed). Query strings are left out (a records
search can hold a person's name) and the key in an OpenRosa key URL
(`/key/<token>/...`) is written as `/key/***/`.

Where it goes: `HESABU_ACCESS_LOG` (config or environment) is a file path, or "-" for
standard error; `hesabu serve` writes to standard error unless told otherwise. Without
it the lines still reach the `hesabu.access` logger (for a logging configuration of
your own) and nowhere else.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import time

from flask import Flask, Response, g, request

LOGGER = "hesabu.access"
_KEY_URL = re.compile(r"^/key/[^/]+")
_HANDLER_MARK = "_hesabu_access_target"


def _who() -> str:
    user = getattr(request, "_hesabu_user", None)  # only if this request looked it up
    if user is not None:
        return str(user.username)
    device = g.get("device")
    if device is not None:
        return f"device:{getattr(device, 'id', '?')}"
    return "-"


def _start() -> None:
    g.hesabu_started = time.perf_counter()


def _line(response: Response) -> Response:
    started = g.get("hesabu_started")
    took = f"{(time.perf_counter() - started) * 1000:.1f}ms" if started else "-"
    size = "-" if response.is_streamed else str(response.calculate_content_length() or 0)
    path = _KEY_URL.sub("/key/***", request.path)
    logging.getLogger(LOGGER).info('%s %s "%s %s" %s %s %s', request.remote_addr or "-",
                                   _who(), request.method, path, response.status_code,
                                   size, took)
    return response


def add_handler(target: str) -> None:
    """Write the access log to `target`: a file path, or "-" for standard error (once
    per target however many apps are made)."""
    logger = logging.getLogger(LOGGER)
    logger.setLevel(logging.INFO)
    if any(getattr(h, _HANDLER_MARK, None) == target for h in logger.handlers):
        return
    handler: logging.Handler = (logging.StreamHandler(sys.stderr) if target == "-"
                                else logging.FileHandler(target, encoding="utf-8"))
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    setattr(handler, _HANDLER_MARK, target)
    logger.addHandler(handler)


def install_access_log(app: Flask) -> None:
    app.config.setdefault("HESABU_ACCESS_LOG", os.environ.get("HESABU_ACCESS_LOG", ""))
    logging.getLogger(LOGGER).setLevel(logging.INFO)
    target = str(app.config["HESABU_ACCESS_LOG"] or "").strip()
    if target:
        add_handler(target)
    app.before_request(_start)
    app.after_request(_line)
