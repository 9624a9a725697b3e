"""Keep the web's gettext catalogs in step with the code (server/i18n.py).

    .venv/bin/python tools/web_i18n.py            # extract, update every .po, compile .mo
    .venv/bin/python tools/web_i18n.py --check    # exit 1 if a text is untranslated or a
                                                  # .mo is stale (the tests do the same)

Texts are found in `server/` Python files (`_()`, `gettext`, `ngettext`, `lazy_gettext`,
`_l()`, and `N_()`, which marks a text translated where it is shown) and in the Jinja
templates (`{{ _("...") }}`, `ngettext`, `{% trans %}`). New texts are added to each
catalog untranslated; texts no longer used are dropped. Translations are written in the
`.po` files (any PO editor works) and compiled here.
"""

from __future__ import annotations

import io
import sys
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
SERVER = ROOT / "server"
sys.path.insert(0, str(ROOT))

from server.i18n import LANGUAGES, TRANSLATIONS, compile_catalogs, mo_bytes  # noqa: E402

FIXED_DATE = datetime(2026, 1, 1, tzinfo=UTC)
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None,
            "_l": None, "lazy_ngettext": (1, 2), "N_": None}
METHODS = [("web/templates/**.html", "jinja2"), ("**.py", "python")]
#: Folders of server/ with no text for people (migrations, the API's JSON docs).
SKIP = ("migrations/",)


def extract() -> Catalog:
    """Every text of the web in a template catalog (the source order kept)."""
    template = Catalog(project="hesabu-web")
    for filename, lineno, message, comments, context in extract_from_dir(
            str(SERVER), METHODS, keywords=KEYWORDS,
            options_map={"web/templates/**.html": {"extensions": "jinja2.ext.i18n",
                                                   "trimmed": "false"}}):
        if filename.startswith(SKIP):
            continue
        template.add(message, None, [(f"server/{filename}", lineno)],
                     auto_comments=comments, context=context)
    return template


def po_path(code: str) -> Path:
    return TRANSLATIONS / code / "LC_MESSAGES" / "messages.po"


def updated(code: str, template: Catalog) -> Catalog:
    """The language's catalog with the template's texts (translations kept)."""
    path = po_path(code)
    if path.exists():
        with path.open("rb") as source:
            catalog = read_po(source, locale=code)
    else:
        catalog = Catalog(locale=code, project="hesabu-web")
    catalog.update(template, no_fuzzy_matching=True)
    catalog.obsolete.clear()
    # Fixed header dates and no fuzzy header: an unchanged catalog is byte for byte the same.
    catalog.creation_date = catalog.revision_date = FIXED_DATE
    catalog.fuzzy = False
    catalog.project, catalog.version = "hesabu-web", "1"
    catalog.msgid_bugs_address, catalog.last_translator = "", "Hesabu"
    catalog.language_team = LANGUAGES[code]
    return catalog


def missing(catalog: Catalog) -> list[str]:
    """Texts of `catalog` without a translation."""
    out = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings) or message.fuzzy:
            out.append(message.id if isinstance(message.id, str) else message.id[0])
    return out


def po_text(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_po(out, catalog, width=100, omit_header=False, sort_output=False,
             include_lineno=False)
    return out.getvalue()


def main(argv: list[str]) -> int:
    template = extract()
    problems = []
    for code in LANGUAGES:
        if code == "en":
            continue
        catalog = updated(code, template)
        if "--check" in argv:
            path = po_path(code)
            if not path.exists() or path.read_bytes() != po_text(catalog):
                problems.append(f"{path.relative_to(ROOT)} is not up to date with the code")
            problems += [f"{code}: untranslated: {m!r}" for m in missing(catalog)]
            mo = path.with_suffix(".mo")
            if path.exists() and (not mo.exists() or mo.read_bytes() != mo_bytes(path)):
                problems.append(f"{mo.relative_to(ROOT)} is stale")
        else:
            path = po_path(code)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(po_text(catalog))
            left = missing(catalog)
            if left:
                print(f"{code}: {len(left)} texts to translate", file=sys.stderr)
    if "--check" not in argv:
        for written in compile_catalogs():
            print(f"wrote {written.relative_to(ROOT)}")
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
