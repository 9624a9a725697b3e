"""Request bodies are read by msgspec and, for what it refuses, by `json.loads`
(`server.api.wire.parse_json`): the values must be exactly the standard library's."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.api.wire import parse_json
from server.errors import ApiError

#: JSON values as a push carries them: text of any kind (unpaired surrogates too),
#: integers past 64 bits, floats of every size (NaN and infinities included).
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.integers(min_value=2**63 - 10)
    | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=30)


def same(a: object, b: object) -> bool:
    """Equal values of equal types, key order included; NaN equal to NaN."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or repr(a) == repr(b)
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


@settings(max_examples=400, deadline=None)
@given(json_values, st.booleans())
def test_any_json_reads_as_the_standard_library_reads_it(value: object, ascii_only: bool
                                                         ) -> None:
    raw = json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    try:
        expected = json.loads(raw)
    except UnicodeDecodeError:  # a raw unpaired surrogate is not UTF-8: refused by both
        with pytest.raises(ApiError):
            parse_json(raw)
        return
    assert same(parse_json(raw), expected)


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"-?(0|[1-9][0-9]{0,40})(\.[0-9]{1,40})?([eE][-+]?[0-9]{1,3})?",
                     fullmatch=True))
def test_numbers_written_any_way_round_as_the_standard_library_rounds_them(text: str
                                                                          ) -> None:
    assert same(parse_json(text.encode()), json.loads(text))


@pytest.mark.parametrize("raw", [
    b'{"a":1,"b":2,"a":3}',                    # a repeated key: last value, first place
    b'{"a": NaN, "b": -Infinity}',             # not JSON, but json.loads reads them
    b'{"a": 1e400}',                           # past the float range: inf
    b'{"\\ud800": "\\udfff"}',                 # unpaired surrogates, escaped
    b'\xef\xbb\xbf{"a": 1}',                   # a UTF-8 byte order mark
    '{"a": "\u00e9"}'.encode("utf-16"),         # UTF-16
    '{"a": "\u00e9"}'.encode("utf-32"),         # UTF-32
    b'{"big": 123456789012345678901234567890, "neg": -98765432109876543210}',
    b' \t\r\n{"a": [1.0, -0.0, 5e-324, 1.7976931348623157e308]}\n',
])
def test_odd_but_readable_bodies_read_as_json_loads_reads_them(raw: bytes) -> None:
    assert same(parse_json(raw), json.loads(raw))


@pytest.mark.parametrize("raw", [
    b'{"a": 1} x', b'{"a": "x\ty"}', b'"\xff"', b"[" * 100_000, b"", b"{'a': 1}",
])
def test_what_json_loads_refuses_is_a_clear_400(raw: bytes) -> None:
    with pytest.raises(ApiError) as caught:
        parse_json(raw)
    assert caught.value.code == "sync.body_invalid"
    assert "not valid JSON" in caught.value.message
