"""The app's own texts in the enumerator's language (gettext catalogs).

Catalogs live in `field_app/locale/<lang>/LC_MESSAGES/hesabu.po` and are compiled to
`.mo` next to them (`python -m field_app.core.i18n` or `compile_catalogs()`; the app
compiles stale ones when it starts and a test checks the committed `.mo` files match).
Form labels are not here: they come from the form's own translations.

    set_language("sw")
    _("Sync")          # "Sinkronisha"
"""

from __future__ import annotations

import ast
import gettext
import re
import struct
from pathlib import Path

DOMAIN = "hesabu"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
#: Languages the app speaks: code -> the language's own name.
LANGUAGES = {"en": "English", "fr": "Français", "pt": "Português", "sw": "Kiswahili"}
DEFAULT_LANGUAGE = "en"

_current: gettext.NullTranslations = gettext.NullTranslations()
_code = DEFAULT_LANGUAGE


def set_language(code: str) -> None:
    """Switch the app texts to `code` (unknown codes fall back to English)."""
    global _current, _code
    if code not in LANGUAGES:
        code = DEFAULT_LANGUAGE
    _current = gettext.translation(DOMAIN, LOCALE_DIR, languages=[code], fallback=True)
    _code = code


def language() -> str:
    return _code


def _(message: str) -> str:
    """The app text `message` in the current language."""
    return _current.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _current.ngettext(singular, plural, n)


# -- compiling catalogs (a small msgfmt: the device build and tests need no gettext tools)
def parse_po(text: str) -> dict[str, str]:
    """msgid -> msgstr of a .po file (untranslated and fuzzy entries left out)."""
    entries: dict[str, str] = {}
    msgid: list[str] = []
    msgstr: list[str] = []
    target: list[str] | None = None
    fuzzy = False

    def done() -> None:
        nonlocal fuzzy
        key, value = "".join(msgid), "".join(msgstr)
        if target is not None and (value or key == "") and not (fuzzy and key):
            entries[key] = value
        msgid.clear()
        msgstr.clear()
        fuzzy = False

    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("#,") and "fuzzy" in line:
            fuzzy = True
        elif line.startswith("msgid "):
            if target is msgstr:
                done()
            target = msgid
            msgid.append(ast.literal_eval(line[6:]))
        elif line.startswith("msgstr "):
            target = msgstr
            msgstr.append(ast.literal_eval(line[7:]))
        elif line.startswith('"') and target is not None:
            target.append(ast.literal_eval(line))
        elif not line and target is msgstr:
            done()
            target = None
    if target is msgstr:
        done()
    return entries


def mo_bytes(entries: dict[str, str]) -> bytes:
    """The GNU .mo file for `entries` (what msgfmt writes, without a hash table)."""
    keys = sorted(entries)
    ids = [k.encode() for k in keys]
    strs = [entries[k].encode() for k in keys]
    n = len(keys)
    key_start = 7 * 4 + 16 * n
    offsets: list[int] = []
    blob = b""
    for s in ids:
        offsets += [len(s), key_start + len(blob)]
        blob += s + b"\0"
    pos = key_start + len(blob)
    for s in strs:
        offsets += [len(s), pos]
        pos += len(s) + 1
    header = struct.pack("<7I", 0x950412DE, 0, n, 7 * 4, 7 * 4 + 8 * n, 0, 0)
    return header + struct.pack(f"<{4 * n}I", *offsets) + blob + b"".join(
        s + b"\0" for s in strs)


def catalogs() -> list[Path]:
    return sorted(LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def compile_catalogs(force: bool = False) -> list[Path]:
    """Write each stale `.mo` from its `.po`; returns the files written."""
    written = []
    for po in catalogs():
        mo = po.with_suffix(".mo")
        data = mo_bytes(parse_po(po.read_text(encoding="utf-8")))
        if force or not mo.exists() or mo.read_bytes() != data:
            try:
                mo.write_bytes(data)
            except OSError:
                continue  # a read-only install: the shipped .mo is used
            written.append(mo)
    return written


if __name__ == "__main__":
    for path in compile_catalogs():
        print(f"wrote {path}")


# -- finding the texts to translate -------------------------------------------------------
_CONTINUED = re.compile(r"""(?:\b_|\b_t|\bapp\.t|\bt)\(\s*((?:(['"])(?:\\.|(?!\2).)*\2\s*)+)[,)]""")


def extract_messages(roots: list[Path] | None = None) -> list[str]:
    """Every app text in the source (`_("...")` in core, `t(...)`/`app.t(...)` in the UI,
    including implicitly joined string literals), sorted."""
    base = LOCALE_DIR.parent
    roots = roots or [base / "core", base / "ui"]
    found: set[str] = set()
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.suffix not in (".py", ".kv"):
                continue
            text = path.read_text(encoding="utf-8")
            for match in _CONTINUED.finditer(text):
                try:
                    value = ast.literal_eval("(" + match.group(1) + ")")
                except (SyntaxError, ValueError):
                    continue
                if isinstance(value, str) and value.strip(" .") != "":
                    found.add(value)
    return sorted(found)
