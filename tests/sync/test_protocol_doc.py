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


def test_the_example_op_is_a_valid_op() -> None:
    [example] = [b for b in json_blocks() if '"op_id"' in b and '"kind"' in b]
    op = Op.from_wire(json.loads(example))
    assert op.kind == "edit" and op.fields["__deleted__"] is False


def test_the_hlc_example_parses() -> None:
    assert parse_hlc("1767225600000-000003-tab-07").counter == 3
    assert "1767225600000-000003-tab-07" in DOC.read_text(encoding="utf-8")
