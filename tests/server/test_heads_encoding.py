"""The stored form of a record's heads reads back exactly, in its compact forms too."""

from __future__ import annotations

from server.services.apply import decode_heads, encode_heads

A = "01964c02-0000-7000-8000-00000000000a"
B = "01964c02-0000-7000-8000-00000000000b"


def test_a_record_as_its_tablet_created_it_stores_no_paths() -> None:
    fields = {"consent": "yes", "household/head_name": "Esther Mwale", "household/size": 3}
    heads = {path: {A: (A, "hlc-a", "tab-1", value)} for path, value in fields.items()}
    stored = encode_heads(heads, fields)
    assert stored == {"ops": [[A, "hlc-a", "tab-1"]], "won": "all", "fields": {}}
    assert decode_heads(stored, fields) == heads


def test_two_writers_keep_the_listed_form() -> None:
    fields = {"consent": "yes", "household/size": 4}
    heads = {"consent": {A: (A, "hlc-a", "tab-1", "yes")},
             "household/size": {A: (A, "hlc-a", "tab-1", 3), B: (B, "hlc-b", "tab-2", 4)}}
    stored = encode_heads(heads, fields)
    assert stored["won"] == [["consent"], []]
    assert decode_heads(stored, fields) == heads


def test_a_record_created_with_its_tombstone_field_stores_no_paths() -> None:
    """Tablets send a new household with `__deleted__: false`: still no paths listed."""
    fields = {"consent": "yes", "household/size": 3}
    for deleted in (False, True):
        heads = {path: {A: (A, "h", "t", value)} for path, value in fields.items()}
        heads["__deleted__"] = {A: (A, "h", "t", deleted)}
        stored = encode_heads(heads, fields)
        assert stored == {"ops": [[A, "h", "t"]], "won": "all+deleted", "fields": {}}
        assert decode_heads(stored, fields, deleted=deleted) == heads


def test_a_tombstone_of_another_op_keeps_the_listed_form() -> None:
    fields = {"consent": "yes"}
    heads = {"consent": {A: (A, "h", "t", "yes")}, "__deleted__": {B: (B, "h2", "t", True)}}
    stored = encode_heads(heads, fields)
    assert stored["won"] == [["consent"], ["__deleted__"]]
    assert decode_heads(stored, fields, deleted=True) == heads


def test_a_record_holding_only_its_tombstone_lists_it() -> None:
    heads = {"__deleted__": {A: (A, "h", "t", True)}}
    stored = encode_heads(heads, {})
    assert stored["won"] == [["__deleted__"]]
    assert decode_heads(stored, {}, deleted=True) == heads


def test_heads_of_a_field_the_record_lacks_keep_the_listed_form() -> None:
    fields = {"consent": "yes"}
    heads = {"consent": {A: (A, "h", "t", "yes")}, "other": {A: (A, "h", "t", None)},
             "__deleted__": {A: (A, "h", "t", False)}}
    assert encode_heads(heads, fields)["won"] == [["consent", "other", "__deleted__"]]
