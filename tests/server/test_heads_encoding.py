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


def test_a_deleted_record_lists_its_tombstone() -> None:
    fields = {"consent": "yes"}
    heads = {"consent": {A: (A, "h", "t", "yes")}, "__deleted__": {A: (A, "h", "t", True)}}
    stored = encode_heads(heads, fields)
    assert stored["won"] == [["consent", "__deleted__"]]
    assert decode_heads(stored, fields, deleted=True) == heads
