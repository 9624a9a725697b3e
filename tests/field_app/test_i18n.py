"""App texts in English, French, Portuguese and Swahili through gettext catalogs."""

from __future__ import annotations

import gettext
from collections.abc import Iterator

import pytest

from field_app.core import i18n
from field_app.core.i18n import LANGUAGES, catalogs, extract_messages, mo_bytes, parse_po


@pytest.fixture(autouse=True)
def english_after() -> Iterator[None]:
    yield
    i18n.set_language("en")


def test_every_app_text_is_translated_in_every_language() -> None:
    messages = extract_messages()
    assert "Sync" in messages and "Enter a whole number, like 12." in messages
    assert {po.parts[-3] for po in catalogs()} == set(LANGUAGES)
    for po in catalogs():
        entries = parse_po(po.read_text(encoding="utf-8"))
        missing = [m for m in messages if not entries.get(m)]
        assert not missing, f"{po}: untranslated {missing}"
        for message in messages:  # the same {placeholders} in every language
            assert sorted(_fields(entries[message])) == sorted(_fields(message)), message


def _fields(text: str) -> list[str]:
    import string

    return [f for _, f, _, _ in string.Formatter().parse(text) if f]


def test_the_committed_mo_files_match_their_po_files() -> None:
    for po in catalogs():
        assert po.with_suffix(".mo").read_bytes() == mo_bytes(
            parse_po(po.read_text(encoding="utf-8"))), "run python -m field_app.core.i18n"


def test_gettext_reads_our_mo_files() -> None:
    for code in LANGUAGES:
        catalog = gettext.translation(i18n.DOMAIN, i18n.LOCALE_DIR, languages=[code])
        assert catalog.gettext("Sync")
    i18n.set_language("sw")
    assert i18n._("Sync") == "Sinkronisha"
    assert i18n._("Last sync: {when}").format(when="jana") == "Sinkronisha ya mwisho: jana"
    i18n.set_language("xx")
    assert i18n.language() == "en" and i18n._("Sync") == "Sync"


def test_po_parsing_handles_continuations_and_fuzzy_entries() -> None:
    text = '''msgid ""
msgstr "Language: sw\\n"

#, fuzzy
msgid "Open"
msgstr "Fungua?"

msgid "Two "
"lines"
msgstr "Mistari "
"miwili"
'''
    entries = parse_po(text)
    assert entries["Two lines"] == "Mistari miwili"
    assert "Open" not in entries
