"""The error code registry, the code that raises errors and docs/errors.md agree."""

from __future__ import annotations

import re
from pathlib import Path

from server.errors import ERRORS
from sync.codes import CODES

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
ROW = re.compile(r"^\| `([a-z_]+\.[a-z_]+)` \| (\d{3}) \|", re.MULTILINE)


def test_every_registered_code_is_documented_with_its_status() -> None:
    documented = {code: int(status) for code, status in ROW.findall(DOC)}
    assert documented == {code: e.status for code, e in ERRORS.items()}


def test_the_protocol_codes_are_in_the_registry_with_the_same_status() -> None:
    for code, info in CODES.items():
        assert ERRORS[code].status == info.http_status


def test_every_code_the_server_raises_is_registered() -> None:
    raised: set[str] = set()
    for path in (ROOT / "server").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        raised.update(re.findall(r'ApiError\(\s*"([a-z_]+\.[a-z_]+)"', text))
        raised.update(re.findall(r'error_response\(\s*"([a-z_]+\.[a-z_]+)"', text))
    assert raised, "the scan found nothing: the pattern is wrong"
    assert raised <= set(ERRORS), sorted(raised - set(ERRORS))


CLIENT_ROW = re.compile(r"^\| `([a-z_]+\.[a-z_]+)` \| client \|", re.MULTILINE)


def test_the_codes_the_sync_client_gives_itself_are_registered_and_documented() -> None:
    from client.errors import CLIENT_CODES

    raised: set[str] = set()
    for path in [*(ROOT / "client").rglob("*.py"), *(ROOT / "field_app").rglob("*.py")]:
        raised.update(re.findall(r'code="([a-z_]+\.[a-z_]+)"',
                                 path.read_text(encoding="utf-8")))
    assert "sync.certificate_pin_mismatch" in raised
    assert raised <= set(CLIENT_CODES) | set(ERRORS), sorted(raised - set(CLIENT_CODES))
    assert set(CLIENT_ROW.findall(DOC)) == set(CLIENT_CODES)
    assert not set(CLIENT_CODES) & set(ERRORS)
