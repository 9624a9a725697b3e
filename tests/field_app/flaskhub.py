"""The real Flask server (`server.app.create_app`) on a loopback port, for client tests.

It offers what the client tests look at: the ops the server stored (in server_seq
order), attachments, the requests it answered, fresh enrolment codes, and a hook that
runs after a push was committed and before its answer is sent (to kill the client at
that moment).
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from werkzeug.serving import make_server

from forms.spec import FormSpec, Node
from server.app import create_app
from server.extensions import db
from server.models import Op as OpRow
from server.models import ServerSeq
from server.services.attachments import complete_file
from server.services.devices import create_enrolment_code
from server.services.forms import publish_form
from server.services.pull_ahead import settle
from server.tls import TlsFiles, https_server
from sync.ops import Op


class FlaskHub:
    def __init__(self, instance: Path, forms: Iterable[tuple[str, str]] = (("hh", "1"),),
                 database_url: str | None = None, ssl_context: ssl.SSLContext | None = None,
                 questions: Iterable[str] = (), tls: TlsFiles | None = None,
                 **config: Any) -> None:
        """`ssl_context`: serve HTTPS with it (the url then starts with https://).
        `tls`: serve HTTPS with these files on cheroot, as `hesabu serve --tls` does.
        `questions`: text questions every published form has (a leader's corrections and
        conflict resolutions are checked against the form, so they need real questions)."""
        self.instance = instance
        self.scheme = "https" if ssl_context is not None or tls is not None else "http"
        self.app = create_app({
            "SQLALCHEMY_DATABASE_URI": database_url or f"sqlite:///{instance / 'hesabu.db'}",
            "INSTANCE_PATH": str(instance), **config})
        with self.app.app_context():
            for form_id, version in forms:
                children = tuple(Node("question", "text", name, (name,)) for name in questions)
                publish_form(FormSpec(id=form_id, version=version, title=form_id,
                                      children=children))
        self.before_push_reply: Callable[[], None] | None = None
        self.requests: list[str] = []  # "METHOD /path" of every request, in order
        #: The certificate pin tablets are given (None: plain HTTP or an authority's).
        self.pins: tuple[str, ...] = (tls.pin,) if tls is not None and tls.pin else ()
        if tls is not None:
            self.app.config["HESABU_TLS_PIN"] = tls.pin
            self._cheroot = https_server(self._wsgi, "127.0.0.1", 0, tls, threads=4)
            self._cheroot.prepare()  # binds the port
            self.port = self._cheroot.bind_addr[1]
            self._thread = threading.Thread(target=self._cheroot.serve, daemon=True)
            self._thread.start()
            return
        self._cheroot = None
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True,
                                   ssl_context=ssl_context)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)
        self._thread.start()

    def _wsgi(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        self.requests.append(f"{environ['REQUEST_METHOD']} {environ.get('PATH_INFO', '')}")
        hook = self.before_push_reply
        if hook is None or environ.get("PATH_INFO") != "/api/sync/push":
            return self.app(environ, start_response)
        captured: list[Any] = []

        def capture(status: str, headers: list, exc_info: Any = None) -> None:
            captured.extend([status, headers])

        body = b"".join(self.app(environ, capture))  # the push is committed by now
        hook()
        start_response(*captured)
        return [body]

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def close(self) -> None:
        if self._cheroot is not None:
            self._cheroot.stop()
        else:
            self._server.shutdown()
            self._server.server_close()
        self._thread.join(timeout=10)
        assert settle(self.app), "a pull page made ahead did not finish"
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()

    def new_code(self) -> str:
        with self.app.app_context():
            code, _ = create_enrolment_code(1)
        return code

    @property
    def log(self) -> list[Op]:
        """Every op the server stored, in server_seq order."""
        with self.app.app_context():
            rows = db.session.execute(select(OpRow.payload).order_by(OpRow.server_seq))
            ops = [Op.from_wire(payload) for (payload,) in rows]
            db.session.rollback()
        return ops

    @property
    def seq(self) -> int:
        """The latest server sequence number (ops and form publications)."""
        with self.app.app_context():
            n = db.session.execute(select(ServerSeq.value)).scalar_one()
            db.session.rollback()
        return n

    def op_count(self, op_id: str) -> int:
        with self.app.app_context():
            n = db.session.execute(select(func.count()).select_from(OpRow)
                                   .where(OpRow.op_id == op_id)).scalar_one()
            db.session.rollback()
        return n

    def blob(self, sha256: str) -> bytes | None:
        with self.app.app_context():
            path = complete_file(Path(self.app.instance_path), sha256)
        return path.read_bytes() if path is not None else None
