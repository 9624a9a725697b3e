"""Requests shaped as ODK Collect sends them, written from the OpenRosa specification
(getodk docs: openrosa-http, openrosa-form-list, openrosa-form-submission,
openrosa-authentication) and Collect's documented behaviour:

- every request carries `X-OpenRosa-Version: 1.0`, a `Date` and Collect's User-Agent;
- credentials: a 401's challenge is answered with Digest (qop=auth, a fresh cnonce, nc
  counting up for the same nonce) when offered, else Basic; later requests send them
  preemptively, and a `stale=true` challenge is answered again without asking;
- a submission is `HEAD /submission` (204 expected, it reads
  X-OpenRosa-Accept-Content-Length; when the 204 names a Location on the same host,
  that URL is kept and not asked about again) and then `POST /submission?deviceID=...`,
  multipart/form-data:
  the part `xml_submission_file` (filename `<instance>.xml`, `text/xml`), then each
  attachment in a part named by its file name; when the files exceed the accepted size
  they go in several POSTs, each with the XML again and all but the last with a part
  `*isIncomplete*` = `yes`;
- each part carries its own Content-Disposition, Content-Type and Content-Length.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import re
import secrets
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

USER_AGENT = ("org.odk.collect.android/v2024.2.4 okhttp/4.12.0 Dalvik/2.1.0 (Linux; U; "
              "Android 13; SM-T220 Build/TP1A.220624.014)")
XFORMS_LIST = "{http://openrosa.org/xforms/xformsList}"
RESPONSE = "{http://openrosa.org/http/response}"


@dataclass(frozen=True)
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def all(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]

    @property
    def message(self) -> str:
        root = ET.fromstring(self.body)
        assert root.tag == f"{RESPONSE}OpenRosaResponse", self.body
        return "".join(root.find(f"{RESPONSE}message").itertext())  # type: ignore[union-attr]


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


@dataclass
class Collect:
    """One phone: the server URL it was given and the person's credentials."""

    server_url: str
    username: str | None = None
    password: str | None = None
    prefer_basic: bool = False
    device_id: str = "collect:Xq3bWc9tkF2pLs7R"
    _challenge: dict[str, str] | None = None
    _submission: tuple[str, int] | None = None  # (URL a HEAD's Location gave, its limit)
    _nc: int = 0
    sent: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)

    @property
    def _base(self) -> tuple[str, int, str]:
        url = urlsplit(self.server_url)
        return url.hostname or "127.0.0.1", url.port or 80, url.path.rstrip("/")

    def _authorization(self, method: str, path: str) -> str | None:
        if self.username is None or self.password is None:
            return None
        challenge = self._challenge
        if challenge is None:
            return None
        if challenge["scheme"] == "basic":
            raw = f"{self.username}:{self.password}".encode()
            return "Basic " + base64.b64encode(raw).decode()
        self._nc += 1
        nc, cnonce = f"{self._nc:08x}", secrets.token_hex(16)
        ha1 = _md5(f"{self.username}:{challenge['realm']}:{self.password}")
        ha2 = _md5(f"{method}:{path}")
        response = _md5(f"{ha1}:{challenge['nonce']}:{nc}:{cnonce}:auth:{ha2}")
        return (f'Digest username="{self.username}", realm="{challenge["realm"]}", '
                f'nonce="{challenge["nonce"]}", uri="{path}", algorithm=MD5, '
                f'response="{response}", qop=auth, nc={nc}, cnonce="{cnonce}", '
                f'opaque="{challenge.get("opaque", "")}"')

    def _take_challenge(self, reply: Reply) -> bool:
        offered = {}
        for value in reply.all("WWW-Authenticate"):
            scheme, _, rest = value.partition(" ")
            params = {m[0].lower(): m[1] for m in re.findall(r'(\w+)="?([^",]*)"?', rest)}
            offered[scheme.lower()] = {"scheme": scheme.lower(), **params}
        pick = "basic" if self.prefer_basic and "basic" in offered else \
            "digest" if "digest" in offered else "basic" if "basic" in offered else None
        if pick is None:
            return False
        self._challenge, self._nc = offered[pick], 0
        return True

    def request(self, method: str, url_or_path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> Reply:
        host, port, base = self._base
        target = urlsplit(url_or_path)
        path = target.path + (f"?{target.query}" if target.query else "") \
            if target.scheme else base + url_or_path
        for attempt in range(3):
            all_headers = {"X-OpenRosa-Version": "1.0", "User-Agent": USER_AGENT,
                           "Accept-Encoding": "gzip",
                           "Date": time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime()),
                           **(headers or {})}
            auth = self._authorization(method, path)
            if auth:
                all_headers["Authorization"] = auth
            conn = http.client.HTTPConnection(host, port, timeout=60)
            try:
                conn.request(method, path, body=body, headers=all_headers)
                raw = conn.getresponse()
                data = raw.read()
                reply = Reply(raw.status, raw.getheaders(), data)
            finally:
                conn.close()
            self.sent.append((method, path, all_headers))
            if reply.status == 401 and attempt < 2 and self._take_challenge(reply):
                continue
            if reply.header("Content-Encoding") == "gzip":
                import gzip

                reply = Reply(reply.status, reply.headers, gzip.decompress(reply.body))
            return reply
        return reply

    # -- Form List, Form Download ----------------------------------------------------------
    def form_list(self) -> list[dict[str, str]]:
        reply = self.request("GET", "/formList")
        assert reply.status == 200, reply.body
        root = ET.fromstring(reply.body)
        assert root.tag == f"{XFORMS_LIST}xforms"
        return [{child.tag.removeprefix(XFORMS_LIST): (child.text or "") for child in xform}
                for xform in root.findall(f"{XFORMS_LIST}xform")]

    # -- Form Submission -------------------------------------------------------------------
    def submit(self, xml: bytes, files: dict[str, bytes] | None = None,
               name: str = "instance") -> list[Reply]:
        """HEAD (unless an earlier one named the URL), then as many POSTs as the accepted
        size asks for; their replies."""
        if self._submission is None:
            head = self.request("HEAD", "/submission")
            if head.status != 204:
                return [head]
            limit = int(head.header("X-OpenRosa-Accept-Content-Length") or 10_000_000)
            location = urlsplit(head.header("Location") or "")
            if location.hostname == self._base[0] and location.port == self._base[1]:
                self._submission = (location.path, limit)
            url = self._base[2] + "/submission"
        else:
            url, limit = self._submission
        batches: list[list[tuple[str, bytes]]] = [[]]
        size = 0
        for file_name, data in (files or {}).items():
            if batches[-1] and size + len(data) > limit:
                batches.append([])
                size = 0
            batches[-1].append((file_name, data))
            size += len(data)
        replies = []
        for index, batch in enumerate(batches):
            body, content_type = multipart(xml, f"{name}.xml", batch,
                                           incomplete=index < len(batches) - 1)
            reply = self.request("POST", f"http://{self._base[0]}:{self._base[1]}{url}"
                                 f"?deviceID={quote(self.device_id, safe='')}", body,
                                 {"Content-Type": content_type})
            replies.append(reply)
            if reply.status not in (201, 202):
                break
        return replies


def _part(headers: list[str], data: bytes) -> bytes:
    return "\r\n".join([*headers, f"Content-Length: {len(data)}", "", ""]).encode() + data


def multipart(xml: bytes, xml_name: str, files: list[tuple[str, bytes]],
              incomplete: bool = False) -> tuple[bytes, str]:
    """A submission body as Collect lays it out, and its Content-Type."""
    boundary = secrets.token_hex(16)
    kinds = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png",
             "m4a": "audio/mp4", "mp4": "video/mp4"}
    parts = [_part([f'Content-Disposition: form-data; name="xml_submission_file"; '
                    f'filename="{xml_name}"', "Content-Type: text/xml; charset=utf-8"], xml)]
    for file_name, data in files:
        kind = kinds.get(file_name.rsplit(".", 1)[-1].lower(), "application/octet-stream")
        parts.append(_part([f'Content-Disposition: form-data; name="{file_name}"; '
                            f'filename="{file_name}"', f"Content-Type: {kind}"], data))
    if incomplete:
        parts.append(_part(['Content-Disposition: form-data; name="*isIncomplete*"'], b"yes"))
    body = b"".join(f"--{boundary}\r\n".encode() + p + b"\r\n" for p in parts) \
        + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def xml_of(reply: Reply) -> Any:
    return ET.fromstring(reply.body)
