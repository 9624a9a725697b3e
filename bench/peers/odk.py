"""An ODK-style baseline: one OpenRosa submission per household. A MODEL of the protocol,
not ODK Central: the endpoint here only stores what it gets.

    python bench/peers/odk.py --port 8081 --dir /tmp/odk     # the endpoint (stdlib)

Per household the client does what an OpenRosa client does (OpenRosa Form Submission
API): `HEAD /submission` (the server answers 204 with X-OpenRosa-Accept-Content-Length),
then `POST /submission` as multipart/form-data with the instance XML in the part
`xml_submission_file` and each photo in its own part, on one keep-alive connection,
one submission after another. The XML is what an XLSForm instance looks like: the form's
field names and group nesting, every field present (blank when unanswered), one element
per repeat instance, select_multiple as space-separated names, meta/instanceID.
"""

from __future__ import annotations

import argparse
import http.client
import http.server
import threading
import time
import uuid
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from typing import Any

from forms.submission import write_instance

OPENROSA = {"X-OpenRosa-Version": "1.0"}
ACCEPT_LENGTH = 10 * 1024 * 1024
MAX_RESENDS = 50


# -- the instance XML ------------------------------------------------------------------------
def instance_xml(spec: Any, record_id: str, answers: dict[str, Any]) -> bytes:
    """The household as an XLSForm instance, as ODK Collect would submit it."""
    return write_instance(spec, answers, f"uuid:{record_id}")


def multipart(xml: bytes, files: list[Path]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [(b'Content-Disposition: form-data; name="xml_submission_file"; '
              b'filename="submission.xml"\r\nContent-Type: text/xml\r\n\r\n', xml)]
    for f in files:
        parts.append((f'Content-Disposition: form-data; name="{f.name}"; '
                      f'filename="{f.name}"\r\nContent-Type: image/jpeg\r\n\r\n'.encode(),
                      f.read_bytes()))
    body = b"".join(b"--" + boundary.encode() + b"\r\n" + head + data + b"\r\n"
                    for head, data in parts) + b"--" + boundary.encode() + b"--\r\n"
    return body, f"multipart/form-data; boundary={boundary}"


# -- the endpoint ----------------------------------------------------------------------------
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as ODK Collect's HTTP client uses
    disable_nagle_algorithm = True  # headers and body go in separate writes
    store: Path

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(self, status: int, body: bytes = b"") -> None:
        self.send_response(status)
        for k, v in OPENROSA.items():
            self.send_header(k, v)
        self.send_header("X-OpenRosa-Accept-Content-Length", str(ACCEPT_LENGTH))
        self.send_header("Content-Type", "text/xml; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_HEAD(self) -> None:
        self._answer(204)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        message = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + self.headers.get("Content-Type", "").encode() + b"\r\n\r\n"
            + raw)
        xml = None
        files = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name == "xml_submission_file":
                xml = part.get_payload(decode=True)
            elif name:
                files[name] = part.get_payload(decode=True)
        if not xml or b"<instanceID>" not in xml:
            self._answer(400, b"<OpenRosaResponse><message>no instance</message>"
                              b"</OpenRosaResponse>")
            return
        instance = xml.split(b"<instanceID>")[1].split(b"</instanceID>")[0].decode()
        folder = self.store / instance.replace(":", "_")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "submission.xml").write_bytes(xml)
        for name, data in files.items():
            (folder / Path(name).name).write_bytes(data)
        self._answer(201, b'<OpenRosaResponse xmlns="http://openrosa.org/http/response">'
                          b'<message nature="submit_success">full submission upload was '
                          b"successful!</message></OpenRosaResponse>")


def serve(port: int, folder: Path) -> http.server.ThreadingHTTPServer:
    folder.mkdir(parents=True, exist_ok=True)
    handler = type("StoreHandler", (Handler,), {"store": folder})
    return http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)


def submitted(folder: Path) -> int:
    return sum(1 for p in folder.glob("*/submission.xml"))


# -- the client ------------------------------------------------------------------------------
class Client:
    """Submits one instance at a time on one keep-alive connection; a failed submission
    is sent again whole (OpenRosa has no resume), as Collect does on its next attempt.

    Collect asks HEAD before a submission, and only once per upload session when the
    server's 204 carried a Location (it then keeps that URL): `head_once`."""

    def __init__(self, port: int, timeout_s: float = 120, path: str = "/submission",
                 user_agent: str = "hesabu-bench odk-model", head_once: bool = False) -> None:
        self.port = port
        self.timeout_s = timeout_s
        self.path = path  # e.g. /key/<token>/submission: Hesabu's URL with the key
        self.user_agent = user_agent
        self.head_once = head_once
        self.headed = False
        self.conn: http.client.HTTPConnection | None = None
        self.resends = 0

    def _request(self, method: str, body: bytes | None, headers: dict[str, str]) -> int:
        if method == "HEAD":
            self.headed = True
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                                   timeout=self.timeout_s)
        try:
            self.conn.request(method, self.path, body=body, headers=headers)
            resp = self.conn.getresponse()
            resp.read()
            return resp.status
        except (OSError, http.client.HTTPException):
            self.close()
            raise

    def submit(self, xml: bytes, files: list[Path]) -> None:
        headers = {**OPENROSA, "Date": time.strftime("%a, %d %b %Y %H:%M:%S GMT",
                                                     time.gmtime()),
                   "User-Agent": self.user_agent}
        body, content_type = multipart(xml, files)
        for attempt in range(MAX_RESENDS + 1):
            try:
                if not (self.head_once and self.headed) and \
                        self._request("HEAD", None, headers) != 204:
                    raise RuntimeError("HEAD /submission did not answer 204")
                status = self._request("POST", body, {**headers,
                                                      "Content-Type": content_type})
                if status not in (200, 201, 202):
                    raise RuntimeError(f"POST /submission answered {status}")
                return
            except (OSError, http.client.HTTPException):
                if attempt == MAX_RESENDS:
                    raise
                self.resends += 1
                time.sleep(1.0)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="ODK-style submission endpoint (a model)")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", type=Path, required=True)
    args = parser.parse_args(argv)
    httpd = serve(args.port, args.dir)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        httpd.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
