"""Search that ignores case and accents: "joao", "JOÃO" and "João" are the same word.

`fold` is the rule: Unicode NFKD, combining marks dropped, casefold. A record matches
when the folded text of its answers contains the folded query.

SQLite runs that very function as the SQL function `hesabu_fold` (server.extensions
registers it on every connection).

PostgreSQL cannot call Python and its `unaccent` extension may not be installed. A
translate() table was tried first and measured: translate() compares every character
with every entry of the table, 12.8 s over 20,000 household records against 0.15 s for
lower()/LIKE. So on PostgreSQL the *query* is turned into a regular expression instead
(`search_regex`): each character of the folded query becomes the class of every
character (BMP) that folds to it ("a" -> a, A, à, á, â, ã, ä, å, ā, ă, ą, ǎ, ...), and
combining marks may follow it (text written decomposed, a + U+0303). The classes come
from `fold` itself, so both databases find the same records; the one difference left is
a letter that folds to two (ß -> ss, ﬁ -> fi): PostgreSQL knows only ß/ẞ, as "ss"
inside the query.
"""

from __future__ import annotations

import functools
import unicodedata
from typing import Any

#: Name of the SQLite function (registered by server.extensions.install_sqlite_hooks).
SQLITE_FUNCTION = "hesabu_fold"

#: The blocks of combining diacritical marks, as a PostgreSQL bracket expression body.
COMBINING_MARKS = r"\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"

#: Two-letter folds PostgreSQL also matches: the folded query's "ss" finds ß and ẞ.
PAIRS = {"ss": "ßẞ"}


def fold(text: str) -> str:
    """`text` without case or accents: NFKD, combining marks dropped, casefold."""
    if text.isascii():
        return text.lower()  # the same as below, much faster
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def fold_sql_value(value: Any) -> str | None:
    """`fold` as SQLite calls it: NULL stays NULL, numbers fold as their text."""
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return fold(str(value))


def like_escape(text: str) -> str:
    """`text` as a literal inside a LIKE pattern with ESCAPE '/'."""
    return text.replace("/", "//").replace("%", "/%").replace("_", "/_")


@functools.cache
def folds_to() -> dict[str, str]:
    """character -> every BMP character whose fold is that one character (itself
    included), sorted. Built once per process from `fold` (about 0.1 s)."""
    found: dict[str, set[str]] = {}
    for code in range(0x10000):
        if 0xD800 <= code < 0xE000:
            continue
        char = chr(code)
        folded = fold(char)
        if len(folded) == 1:
            found.setdefault(folded, {folded}).add(char)
    return {key: "".join(sorted(chars)) for key, chars in found.items()}


def _class(chars: str) -> str:
    if len(chars) == 1 and chars.isascii() and chars.isalnum():
        return chars
    return "[" + "".join(f"\\u{ord(c):04x}" for c in chars) + "]"


def search_regex(query: str) -> str:
    """A PostgreSQL regular expression (ARE, for `~`) matching any text whose fold
    contains fold(query). Every character is written as a \\uXXXX escape or an ASCII
    letter or digit, so nothing in the query is special."""
    classes = folds_to()
    folded = fold(query)
    marks = f"[{COMBINING_MARKS}]*"
    parts = []
    i = 0
    while i < len(folded):
        pair = folded[i:i + 2]
        if pair in PAIRS:
            plain = "".join(_class(classes.get(c, c)) + marks for c in pair)
            parts.append(f"(?:{plain}|{_class(PAIRS[pair])}{marks})")
            i += 2
            continue
        char = folded[i]
        if 0xD800 <= ord(char) < 0xE000 or ord(char) > 0xFFFF:
            parts.append(f"\\U{ord(char):08x}")  # astral: itself only
        else:
            parts.append(_class(classes.get(char, char)) + marks)
        i += 1
    return "".join(parts)
