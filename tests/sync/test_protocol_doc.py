"""docs/sync-protocol.md is the contract: its codes and examples must match the code."""

from __future__ import annotations

import json
import re
from pathlib import Path

from sync.codes import CODES
from sync.hlc import parse_hlc
from sync.ops import Op

DOC = Path(__file__).resolve().parents[2] / "docs" / "sync-protocol.md"


def json_blocks() -> list[str]:
    return re.findall(r"```json\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


def test_every_code_is_in_the_table_with_its_status_and_retryability() -> None:
    text = DOC.read_text(encoding="utf-8")
    for info in CODES.values():
        row = f"| `{info.code}` | {info.http_status} | {'yes' if info.retryable else 'no'} |"
        assert row in text, f"docs/sync-protocol.md lacks or misstates: {row}"


def test_every_json_example_is_json() -> None:
    for block in json_blocks():
        json.loads(block)


def test_the_example_ops_are_valid_ops_in_both_forms() -> None:
    flat, nested = [Op.from_wire(json.loads(b)) for b in json_blocks()
                    if '"op_id"' in b and '"kind"' in b]
    assert flat.kind == "edit" and flat.fields["__deleted__"] is False
    assert flat.parents["phone"] == ()  # no entry: no parents
    assert "answers" in nested.to_wire() and nested.to_wire(answers=False)["fields"][
        "members[9bc2d7]"] == 2


# The modules behind the endpoints a sync client calls (enrol, push, pull, forms,
# attachments); every error code they can answer with must be in the protocol doc.
SYNC_SERVER_MODULES = [
    "server/api/sync.py", "server/api/wire.py", "server/api/devices.py",
    "server/api/attachments.py", "server/api/forms.py", "server/services/push.py",
    "server/services/pull.py", "server/services/apply.py", "server/services/devices.py",
    "server/services/attachments.py", "server/services/sequence.py",
    "server/services/clock.py",
]


def test_every_code_a_sync_endpoint_can_answer_with_is_documented() -> None:
    import inspect

    from server.errors import _HTTP_CODES
    from server.services.hub import relay_rejections

    root = DOC.parents[1]
    sources = [(root / m).read_text(encoding="utf-8") for m in SYNC_SERVER_MODULES]
    sources.append(inspect.getsource(relay_rejections))  # called by push
    code_re = re.compile(r'"((?:sync|auth|attachment|request|server|hub)\.[a-z_]+)"')
    codes = {c for text in sources for c in code_re.findall(text)}
    # The error handlers answer any endpoint with these.
    codes |= set(_HTTP_CODES.values()) | {"server.internal", "server.unavailable",
                                          "sync.batch_too_large"}
    assert len(codes) > 20
    text = DOC.read_text(encoding="utf-8")
    missing = sorted(c for c in codes if f"| `{c}` |" not in text)
    assert not missing, f"docs/sync-protocol.md section 7 lacks {missing}"


def test_the_hlc_example_parses() -> None:
    assert parse_hlc("1767225600000-000003-tab-07").counter == 3
    assert "1767225600000-000003-tab-07" in DOC.read_text(encoding="utf-8")
